'use strict';
// The "official route": @opentelemetry/sdk-node's NodeSDK with the upstream instrumentations,
// set up like the kit (every request sampled, BatchSpanProcessor, OTLP/HTTP to the sink in the
// same encoding, metrics every second, logs to the sink too). It must start BEFORE the
// framework is required, which is why the app builders require express/koa lazily.
// Everything is required from the variant's own tree, so on each line it is that line's SDK:
// `@opentelemetry/sdk-trace` exists on 2.x and 3.x alike (sdk-trace-base is gone on 3.x), and
// its processors, like sdk-logs', take an options object with the exporter in it.
const { env } = require('./server-env');

function exporters(protocol) {
  // Same encoding as the kit's run, so the comparison is not protobuf against JSON.
  const json = protocol === 'http/json';
  return {
    Trace: require(json ? '@opentelemetry/exporter-trace-otlp-http' : '@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter,
    Metric: require(json ? '@opentelemetry/exporter-metrics-otlp-http' : '@opentelemetry/exporter-metrics-otlp-proto').OTLPMetricExporter,
    Log: require(json ? '@opentelemetry/exporter-logs-otlp-http' : '@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter,
  };
}

/** Starts the NodeSDK with the given instrumentation instances; returns a recordCost stand-in. */
function startOfficial(serviceName, instrumentations) {
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { BatchSpanProcessor, AlwaysOnSampler } = require('@opentelemetry/sdk-trace');
  const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
  const { BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
  const { Trace, Metric, Log } = exporters(env.otlpProtocol);
  const base = env.otlpEndpoint.replace(/\/$/, '');

  const sdk = new NodeSDK({
    serviceName,
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor({ exporter: new Trace({ url: `${base}/v1/traces` }), scheduledDelayMillis: Number(process.env.OTEL_BSP_SCHEDULE_DELAY || 5000) })],
    // The timeout may not exceed the interval; the kit uses min(30 s, interval) as well.
    metricReaders: [new PeriodicExportingMetricReader({ exporter: new Metric({ url: `${base}/v1/metrics` }), exportIntervalMillis: env.metricIntervalMs, exportTimeoutMillis: Math.min(30000, env.metricIntervalMs) })],
    logRecordProcessors: [new BatchLogRecordProcessor({ exporter: new Log({ url: `${base}/v1/logs` }) })],
    instrumentations,
  });
  sdk.start();
  return { sdk, recordCost: makeRecordCost() };
}

/**
 * What a team on the official route writes by hand for "record this LLM call's cost": the same
 * span attributes and metric instruments as the kit's recordCost, without its validation. Works
 * with an Express req or a Koa ctx (both have .headers).
 */
function makeRecordCost() {
  const { trace, metrics } = require('@opentelemetry/api');
  const meter = metrics.getMeter('bench-official');
  const costCounter = meter.createCounter('gateway.cost', { unit: 'USD' });
  const tokensUsed = meter.createCounter('gateway.tokens.used', { unit: '{token}' });
  const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
  return function recordCost(reqOrCtx, cost) {
    const span = trace.getActiveSpan();
    if (span !== undefined && span.isRecording()) {
      span.setAttributes({
        'gen_ai.request.model': cost.model,
        'gen_ai.provider.name': cost.provider,
        'gen_ai.usage.input_tokens': cost.inputTokens,
        'gen_ai.usage.output_tokens': cost.outputTokens,
        'motadata.cost.usd': cost.usd,
      });
    }
    const attrs = { 'http.route': '/v1/generate', 'gen_ai.request.model': cost.model, 'gen_ai.provider.name': cost.provider };
    const tenant = reqOrCtx.headers['x-tenant-id'];
    if (tenant !== undefined) attrs['tenant.id'] = tenant;
    costCounter.add(cost.usd, attrs);
    const input = { ...attrs, 'gen_ai.operation.name': 'chat', 'gen_ai.token.type': 'input' };
    const output = { ...input, 'gen_ai.token.type': 'output' };
    tokensUsed.add(cost.inputTokens, input);
    tokenUsage.record(cost.inputTokens, input);
    tokensUsed.add(cost.outputTokens, output);
    tokenUsage.record(cost.outputTokens, output);
  };
}

module.exports = { startOfficial };
