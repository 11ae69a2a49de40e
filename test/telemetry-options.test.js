'use strict';
// Precedence of initTelemetry() settings: explicit options > OTEL_* variables > defaults.
// resolveTelemetryOptions() is internal; it takes the environment as an argument, so every rule
// is checked without touching process.env.
const assert = require('node:assert/strict');
const { resolveTelemetryOptions } = require('../dist/src/telemetry-options.js');

describe('initTelemetry() settings precedence', () => {
  it('defaults to OTLP/HTTP protobuf on localhost:4318 for every signal, sampling everything', () => {
    const r = resolveTelemetryOptions({}, {});
    assert.deepEqual(r.traces.exporters, ['otlp']);
    assert.equal(r.traces.url, 'http://localhost:4318/v1/traces');
    assert.equal(r.metrics.url, 'http://localhost:4318/v1/metrics');
    assert.equal(r.logs.url, 'http://localhost:4318/v1/logs');
    assert.equal(r.traces.protocol, 'http/protobuf');
    assert.equal(r.metrics.intervalMillis, 60000);
    assert.deepEqual(r.traces.sampler, { kind: 'parentbased_always_on' });
  });

  it('builds signal URLs from OTEL_EXPORTER_OTLP_ENDPOINT and takes per-signal ones as they are', () => {
    const r = resolveTelemetryOptions({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:9000/custom' });
    assert.equal(r.traces.url, 'http://collector:4318/base/v1/traces');
    assert.equal(r.metrics.url, 'http://metrics:9000/custom');
  });

  it('prefers explicit endpoints and protocols over the environment', () => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env:4318/v1/traces', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const r = resolveTelemetryOptions({ traces: { endpoint: 'http://explicit:4318', protocol: 'http/protobuf' } }, env);
    assert.equal(r.traces.url, 'http://explicit:4318/v1/traces');
    assert.equal(r.traces.protocol, 'http/protobuf');
    assert.equal(r.metrics.protocol, 'http/json', 'the env still applies where no option is given');
    assert.equal(resolveTelemetryOptions({ traces: { endpoint: 'http://x:4318/v1/traces' } }, {}).traces.url, 'http://x:4318/v1/traces');
  });

  it('reads exporter lists, with none winning, and the metric interval', () => {
    assert.deepEqual(resolveTelemetryOptions({}, { OTEL_TRACES_EXPORTER: 'otlp, console' }).traces.exporters, ['otlp', 'console']);
    assert.deepEqual(resolveTelemetryOptions({}, { OTEL_METRICS_EXPORTER: 'prometheus,none' }).metrics.exporters, ['none']);
    assert.deepEqual(resolveTelemetryOptions({ metrics: { exporter: 'memory' } }, { OTEL_METRICS_EXPORTER: 'prometheus' }).metrics.exporters, ['memory']);
    assert.equal(resolveTelemetryOptions({}, { OTEL_METRIC_EXPORT_INTERVAL: '5000' }).metrics.intervalMillis, 5000);
    assert.equal(resolveTelemetryOptions({ metrics: { intervalMillis: 250 } }, { OTEL_METRIC_EXPORT_INTERVAL: '5000' }).metrics.intervalMillis, 250);
  });

  it('reads OTEL_METRIC_EXPORT_TIMEOUT, kept within the interval as the SDK requires', () => {
    assert.equal(resolveTelemetryOptions({}, {}).metrics.timeoutMillis, 30000);
    assert.equal(resolveTelemetryOptions({}, { OTEL_METRIC_EXPORT_TIMEOUT: '7000' }).metrics.timeoutMillis, 7000);
    assert.equal(resolveTelemetryOptions({ metrics: { intervalMillis: 1000 } }, { OTEL_METRIC_EXPORT_TIMEOUT: '7000' }).metrics.timeoutMillis, 1000);
    assert.throws(() => resolveTelemetryOptions({}, { OTEL_METRIC_EXPORT_TIMEOUT: 'soon' }), /OTEL_METRIC_EXPORT_TIMEOUT="soon" must be a positive integer/);
  });

  it('takes the Prometheus port and host from OTEL_EXPORTER_PROMETHEUS_*, options winning', () => {
    const env = { OTEL_EXPORTER_PROMETHEUS_PORT: '9999', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1' };
    assert.deepEqual([resolveTelemetryOptions({}, env).metrics.port, resolveTelemetryOptions({}, env).metrics.host], [9999, '127.0.0.1']);
    assert.deepEqual([resolveTelemetryOptions({ metrics: { port: 9100, host: '::1' } }, env).metrics.port, resolveTelemetryOptions({ metrics: { port: 9100, host: '::1' } }, env).metrics.host], [9100, '::1']);
    assert.throws(() => resolveTelemetryOptions({}, { OTEL_EXPORTER_PROMETHEUS_PORT: '0' }), /OTEL_EXPORTER_PROMETHEUS_PORT="0" must be a port number in \[1, 65535\]/);
  });

  it('maps OTEL_TRACES_SAMPLER and its argument, and sampleRatio overrides both', () => {
    assert.deepEqual(resolveTelemetryOptions({}, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).traces.sampler, { kind: 'parentbased_traceidratio', ratio: 0.25 });
    assert.deepEqual(resolveTelemetryOptions({ traces: { sampleRatio: 0.5 } }, { OTEL_TRACES_SAMPLER: 'always_off' }).traces.sampler, { kind: 'parentbased_traceidratio', ratio: 0.5 });
    assert.throws(() => resolveTelemetryOptions({}, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }), /OTEL_TRACES_SAMPLER_ARG="2" must be a number in \[0, 1\]/);
  });

  it('reads OTEL_PROPAGATORS: W3C trace context and baggage by default, each name once, none wins', () => {
    const names = (options, env) => resolveTelemetryOptions(options, env).propagators;
    assert.deepEqual(names({}, {}), ['tracecontext', 'baggage']);
    assert.deepEqual(names({}, { OTEL_PROPAGATORS: ' ' }), ['tracecontext', 'baggage'], 'empty is unset, as the spec says');
    assert.deepEqual(names({}, { OTEL_PROPAGATORS: 'b3multi, tracecontext,b3multi' }), ['b3multi', 'tracecontext']);
    assert.deepEqual(names({}, { OTEL_PROPAGATORS: 'tracecontext,none' }), ['none']);
    assert.deepEqual(names({}, { OTEL_PROPAGATORS: ',' }), ['tracecontext', 'baggage'], 'a list of nothing is unset, not "no propagation"');
    assert.deepEqual(names({}, { OTEL_PROPAGATORS: 'B3, TraceContext' }), ['b3', 'tracecontext'], 'enum values in any case');
    assert.deepEqual(names({ propagators: ['b3'] }, { OTEL_PROPAGATORS: 'jaeger' }), ['b3']);
    assert.deepEqual(names({}, { OTEL_PROPAGATORS: 'xray,ottrace' }), ['xray', 'ottrace']);
    assert.throws(() => names({}, { OTEL_PROPAGATORS: 'tracecontext,xray-lambda' }), /OTEL_PROPAGATORS="tracecontext,xray-lambda" must be a comma-separated list of tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace, none/);
    assert.throws(() => names({ propagators: [] }, {}), /option "propagators" must be a non-empty list/);
    assert.throws(() => names({ propagators: 'b3' }, {}), /option "propagators" must be a non-empty list .*, got "b3"/);
    assert.throws(() => names({ propagators: ['w3c'] }, {}), /option "propagators" must be a non-empty list .*, got \["w3c"\]/);
  });

  it('reads enum variables in any case, as the spec says, and a list of nothing as unset', () => {
    const r = resolveTelemetryOptions({}, { OTEL_TRACES_EXPORTER: 'Zipkin', OTEL_METRICS_EXPORTER: ',', OTEL_LOGS_EXPORTER: 'NONE', OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.5', OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' });
    assert.deepEqual(r.traces.exporters, ['zipkin']);
    assert.deepEqual(r.metrics.exporters, ['otlp']);
    assert.deepEqual(r.logs.exporters, ['none']);
    assert.deepEqual(r.traces.sampler, { kind: 'parentbased_traceidratio', ratio: 0.5 });
    assert.equal(r.metrics.protocol, 'http/json');
    assert.throws(() => resolveTelemetryOptions({}, { OTEL_TRACES_SAMPLER: 'Always_Onx' }), /OTEL_TRACES_SAMPLER="Always_Onx" must be one of/);
  });

  it('uses the zipkin default URL and OTEL_EXPORTER_ZIPKIN_ENDPOINT for zipkin', () => {
    assert.equal(resolveTelemetryOptions({ traces: { exporter: 'zipkin' } }, {}).traces.zipkinUrl, 'http://localhost:9411/api/v2/spans');
    assert.equal(resolveTelemetryOptions({ traces: { exporter: 'zipkin' } }, { OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://z:9411/api/v2/spans' }).traces.zipkinUrl, 'http://z:9411/api/v2/spans');
    assert.equal(resolveTelemetryOptions({ traces: { exporter: 'zipkin', endpoint: 'http://z2:9411/api/v2/spans' } }, {}).traces.zipkinUrl, 'http://z2:9411/api/v2/spans');
  });

  it('keeps the OTLP and Zipkin URLs apart when OTEL_TRACES_EXPORTER lists both', () => {
    const env = { OTEL_TRACES_EXPORTER: 'otlp,zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://z:9411/api/v2/spans' };
    const { traces } = resolveTelemetryOptions({}, env);
    assert.deepEqual(traces.exporters, ['otlp', 'zipkin']);
    assert.equal(traces.url, 'http://collector:4318/v1/traces');
    assert.equal(traces.zipkinUrl, 'http://z:9411/api/v2/spans');
    assert.throws(() => resolveTelemetryOptions({ traces: { endpoint: 'http://x:4318' } }, env), /option "traces\.endpoint" must be unset when the exporters are both zipkin and OTLP/);
  });

  it('rejects an OTEL_EXPORTER_ZIPKIN_ENDPOINT that is not an http(s) URL, naming it', () => {
    assert.throws(() => resolveTelemetryOptions({ traces: { exporter: 'zipkin' } }, { OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'garbage' }), /OTEL_EXPORTER_ZIPKIN_ENDPOINT="garbage" must be an http\(s\) URL/);
  });

  it('rejects a grpc protocol from the environment with the variable named', () => {
    assert.throws(() => resolveTelemetryOptions({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /OTEL_EXPORTER_OTLP_PROTOCOL="grpc" must be one of http\/protobuf, http\/json \(grpc is not bundled\)/);
  });
});
