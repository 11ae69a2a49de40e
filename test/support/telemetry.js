'use strict';
// An isolated in-memory telemetry per suite (hono's createTestTracer() idea): spans and metrics
// are read back from the SDK itself, never from the kit's own bookkeeping.
const { initTelemetry } = require('@motadata/otel');
const { SpanKind } = require('@opentelemetry/api');

async function startMemoryTelemetry(options = {}) {
  const telemetry = initTelemetry({
    serviceName: 'test-service',
    ...options,
    traces: { exporter: 'memory', ...options.traces },
    metrics: { exporter: 'memory', ...options.metrics },
    logs: { exporter: 'memory', ...options.logs },
  });
  await telemetry.ready;
  return telemetry;
}

/** Polls until `predicate(spans)` holds: spans end when the response closes, after the client has read it. */
async function waitForSpans(telemetry, predicate, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = telemetry.getFinishedSpans();
    if (predicate(spans)) return spans;
    if (Date.now() > deadline) {
      const counts = {};
      for (const span of spans) counts[span.name] = (counts[span.name] ?? 0) + 1;
      throw new Error(`timed out waiting for spans; have: ${JSON.stringify(counts)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const serverSpans = (spans) => spans.filter((s) => s.kind === SpanKind.SERVER);
const clientSpans = (spans) => spans.filter((s) => s.kind === SpanKind.CLIENT);

/** Waits for `count` SERVER spans and returns them. */
function waitForServerSpans(telemetry, count = 1) {
  return waitForSpans(telemetry, (spans) => serverSpans(spans).length >= count).then(serverSpans);
}

/** All data points of a metric by name, from a fresh collection. */
async function metricPoints(telemetry, name) {
  const resourceMetrics = await telemetry.collectMetrics();
  const points = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) points.push(...metric.dataPoints.map((p) => ({ ...p, descriptor: metric.descriptor })));
    }
  }
  return points;
}

/** The one data point whose attributes include `attributes`. */
async function metricPoint(telemetry, name, attributes) {
  const points = await metricPoints(telemetry, name);
  return points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
}

const parentSpanId = (span) => span.parentSpanContext?.spanId;

/**
 * How much a metric holds over the points `matches` picks: a histogram's counts or a sum's values,
 * added up. Metrics are cumulative for the whole suite, so a test compares this before and after.
 */
async function metricTotal(telemetry, name, matches = () => true) {
  const points = await metricPoints(telemetry, name);
  return points.filter((p) => matches(p.attributes)).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0);
}

module.exports = { startMemoryTelemetry, waitForSpans, waitForServerSpans, serverSpans, clientSpans, metricPoints, metricPoint, metricTotal, parentSpanId };
