'use strict';
// An export that keeps failing is said once, visibly, without OTEL_LOG_LEVEL; and the Jaeger
// legacy collector endpoint of the retired Jaeger exporter becomes Jaeger's OTLP receiver.
const assert = require('node:assert/strict');
const { trace } = require('@opentelemetry/api');
const { initTelemetry, activeTelemetry, OTELMetrics, OTELTracer } = require('@motadata/otel');
const { resolveTelemetryOptions } = require('../dist/src/telemetry-options.js');
const { listen } = require('./support/servers');

/** Collects the kit's process warnings while `fn` runs. */
async function kitWarnings(fn) {
  const warnings = [];
  const onWarning = (w) => w.name === 'MotadataOtelWarning' && warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

async function closedPortUrl() {
  const closed = await listen(() => {});
  await closed.close();
  return closed.url;
}

describe('export failures', () => {
  let timeout;
  before(() => {
    timeout = process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '500';
  });
  after(() => {
    if (timeout === undefined) delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
    else process.env.OTEL_EXPORTER_OTLP_TIMEOUT = timeout;
  });
  afterEach(() => activeTelemetry()?.shutdown());

  for (const [name, startCollector] of [
    ['refusing connections', null],
    ['answering 500', (req, res) => { req.resume(); res.statusCode = 500; res.end(); }],
  ]) {
    it(`says once which export fails, and where, with the collector ${name}`, async () => {
      const collector = startCollector === null ? undefined : await listen(startCollector);
      const endpoint = collector?.url ?? (await closedPortUrl());
      try {
        const warnings = await kitWarnings(async () => {
          const telemetry = initTelemetry({ traces: { exporter: 'otlp', endpoint }, metrics: { exporter: 'otlp', endpoint, intervalMillis: 60000 }, logs: { exporter: 'none' } });
          for (let round = 0; round < 3; round++) {
            trace.getTracer('test').startSpan(`work ${round}`).end();
            new OTELMetrics().incrementCounter('export.test.events');
            // A flush whose export failed rejects; the warning is what this test is about.
            await telemetry.forceFlush().catch(() => undefined);
          }
          await telemetry.shutdown();
        });
        const about = (signal, path) => warnings.filter((w) => w.includes(`exporting ${signal} to ${endpoint}/v1/${path} failed`));
        assert.equal(about('spans', 'traces').length, 1, warnings.join('\n'));
        assert.equal(about('metrics', 'metrics').length, 1, warnings.join('\n'));
        if (startCollector === null) assert.match(about('spans', 'traces')[0], /\(ECONNREFUSED\)/);
      } finally {
        await collector?.close();
      }
    });
  }

  it('says nothing while exports succeed', async () => {
    const collector = await listen((req, res) => { req.resume(); res.end(); });
    try {
      const warnings = await kitWarnings(async () => {
        const telemetry = initTelemetry({ traces: { exporter: 'otlp', endpoint: collector.url }, metrics: { exporter: 'none' }, logs: { exporter: 'none' } });
        trace.getTracer('test').startSpan('fine').end();
        await telemetry.forceFlush();
        await telemetry.shutdown();
      });
      assert.deepEqual(warnings, []);
    } finally {
      await collector.close();
    }
  });
});

describe('a Jaeger legacy collector endpoint (http://jaeger:14268/api/traces)', () => {
  afterEach(() => activeTelemetry()?.shutdown());

  it('becomes Jaeger\'s OTLP receiver on the same host in traces.endpoint', () => {
    const resolve = (endpoint) => resolveTelemetryOptions({ traces: { exporter: 'jaeger', endpoint } }, {}).traces;
    assert.equal(resolve('http://jaeger:14268/api/traces').url, 'http://jaeger:4318/v1/traces');
    assert.equal(resolve('https://jaeger.example:443/api/traces').url, 'https://jaeger.example:4318/v1/traces');
    assert.equal(resolve('http://jaeger:14268/api/traces').legacyJaegerEndpoint, 'http://jaeger:14268/api/traces');
    assert.equal(resolve('http://jaeger:4318').url, 'http://jaeger:4318/v1/traces');
    assert.equal(resolve('http://jaeger:4318').legacyJaegerEndpoint, undefined);
  });

  it('is said once, visibly, by initTelemetry() and by configureExporter()', async () => {
    const warnings = await kitWarnings(async () => {
      const telemetry = initTelemetry({ traces: { exporter: 'jaeger', endpoint: 'http://127.0.0.1:14268/api/traces' }, metrics: { exporter: 'none' }, logs: { exporter: 'none' } });
      new OTELTracer().configureExporter({ type: 'jaeger', endpoint: 'http://jaeger:14268/api/traces' });
      await telemetry.shutdown();
    });
    const legacy = warnings.filter((w) => /legacy Thrift collector/.test(w));
    assert.equal(legacy.length, 2, warnings.join('\n'));
    assert.match(legacy[0], /traces\.endpoint http:\/\/127\.0\.0\.1:14268\/api\/traces .* sending OTLP to http:\/\/127\.0\.0\.1:4318\/v1\/traces/);
    assert.match(legacy[1], /configureExporter\(\) endpoint http:\/\/jaeger:14268\/api\/traces .* sending OTLP to http:\/\/jaeger:4318\/v1\/traces/);
  });
});
