'use strict';
// One CLIENT span and one set of trace headers per request, whoever else traces it: tracedFetch,
// instrumentation-http, instrumentation-undici. And never a span for the exporters' own calls.
const assert = require('node:assert/strict');
const { context, trace } = require('@opentelemetry/api');
const { initTelemetry, instrumentOutbound, tracedFetch } = require('@motadata/otel');
const { startMemoryTelemetry, clientSpans, parentSpanId } = require('./support/telemetry');
const { startOtlpReceiver } = require('./support/otlp-receiver');
const { startEcho, sentValues, httpGet } = require('./support/outbound');

/** Runs `fn` in a new active span and returns the span (ended). */
async function inParent(fn) {
  const parent = trace.getTracer('test').startSpan('parent');
  try {
    await context.with(trace.setSpan(context.active(), parent), fn);
  } finally {
    parent.end();
  }
  return parent;
}

/** The one traceparent the request carried, checked to be the only one, as [traceId, parentId]. */
function onlyTraceparent(record) {
  const values = sentValues(record, 'traceparent');
  assert.equal(values.length, 1, `one traceparent, got ${JSON.stringify(values)}`);
  return values[0].split('-').slice(1, 3);
}

describe('outgoing requests traced once', () => {
  let echo;
  before(async () => (echo = await startEcho()));
  after(() => echo.close());
  beforeEach(() => (echo.seen.length = 0));

  describe('with tracedFetch()', () => {
    let telemetry;
    before(async () => (telemetry = await startMemoryTelemetry()));
    after(() => telemetry.shutdown());

    it('makes its own CLIENT span only: the channels leave its request alone', async () => {
      const parent = await inParent(() => tracedFetch(`${echo.url}/x`).then((r) => r.text()));
      const [span, ...more] = clientSpans(telemetry.getFinishedSpans());
      assert.equal(more.length, 0);
      assert.equal(parentSpanId(span), parent.spanContext().spanId);
      assert.deepEqual(onlyTraceparent(echo.seen[0]), [parent.spanContext().traceId, span.spanContext().spanId]);
    });
  });

  describe('with instrumentation-http (initTelemetry({ instrumentHttp: true }))', () => {
    let telemetry;
    let http;
    before(async () => {
      telemetry = await startMemoryTelemetry({ instrumentHttp: true });
      http = require('node:http'); // patched when next required
    });
    after(() => telemetry.shutdown());

    it('leaves node:http requests to it: its CLIENT span, its traceparent, nothing of the kit\'s', async () => {
      const parent = await inParent(() => new Promise((resolve, reject) => http.get(`${echo.url}/x`, (res) => res.resume().on('end', resolve)).on('error', reject)));
      const spans = clientSpans(telemetry.getFinishedSpans());
      assert.deepEqual(spans.map((s) => s.instrumentationScope.name), ['@opentelemetry/instrumentation-http']);
      assert.equal(parentSpanId(spans[0]), parent.spanContext().spanId);
      assert.deepEqual(onlyTraceparent(echo.seen[0]), [parent.spanContext().traceId, spans[0].spanContext().spanId]);
    });

    it('still traces fetch, which instrumentation-http does not see', async () => {
      telemetry.reset();
      await inParent(() => fetch(`${echo.url}/y`).then((r) => r.text()));
      assert.deepEqual(clientSpans(telemetry.getFinishedSpans()).map((s) => s.instrumentationScope.name), ['@motadata/otel']);
    });
  });

  describe('with instrumentation-undici', () => {
    let telemetry;
    let undici;
    let stop;
    const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
    before(async () => (telemetry = await startMemoryTelemetry({ outbound: false })));
    after(() => telemetry.shutdown());
    beforeEach(() => telemetry.reset());
    afterEach(() => {
      stop?.();
      undici?.disable();
    });

    const scopes = () => clientSpans(telemetry.getFinishedSpans()).map((s) => s.instrumentationScope.name);

    it('enabled first: leaves fetch requests to it (their traceparent is of the active trace)', async () => {
      undici = new UndiciInstrumentation();
      stop = instrumentOutbound();
      const parent = await inParent(() => fetch(`${echo.url}/x`).then((r) => r.text()));
      assert.deepEqual(scopes(), ['@opentelemetry/instrumentation-undici']);
      const [span] = clientSpans(telemetry.getFinishedSpans());
      assert.deepEqual(onlyTraceparent(echo.seen[0]), [parent.spanContext().traceId, span.spanContext().spanId]);
    });

    it('enabled after: steps aside once a request shows a second traceparent, and leaves the next ones to it', async () => {
      stop = instrumentOutbound();
      undici = new UndiciInstrumentation();
      await inParent(() => fetch(`${echo.url}/first`).then((r) => r.text()));
      telemetry.reset();
      const parent = await inParent(() => fetch(`${echo.url}/second`).then((r) => r.text()));
      assert.deepEqual(scopes(), ['@opentelemetry/instrumentation-undici']);
      const [span] = clientSpans(telemetry.getFinishedSpans());
      assert.deepEqual(onlyTraceparent(echo.seen[1]), [parent.spanContext().traceId, span.spanContext().spanId]);
    });

    it('does nothing when stopped: instrumentation-undici alone', async () => {
      undici = new UndiciInstrumentation();
      instrumentOutbound()();
      await inParent(() => fetch(`${echo.url}/x`).then((r) => r.text()));
      assert.deepEqual(scopes(), ['@opentelemetry/instrumentation-undici']);
    });
  });

  describe('the exporters\' own requests (a real OTLP export to a local receiver)', () => {
    let receiver;
    let telemetry;
    const exportHeaders = [];
    before(async () => {
      receiver = await startOtlpReceiver();
      receiver.server.on('request', (req) => exportHeaders.push(req.headers));
      telemetry = initTelemetry({
        serviceName: 'exporting',
        traces: { exporter: 'otlp', endpoint: receiver.url, protocol: 'http/json' },
        metrics: { exporter: 'otlp', endpoint: receiver.url, protocol: 'http/json' },
        logs: { exporter: 'none' },
      });
      await telemetry.ready;
    });
    after(async () => {
      await telemetry.shutdown();
      await receiver.close();
    });

    it('get no CLIENT span and no trace header, even when flushed inside a trace: no feedback loop', async () => {
      const parent = await inParent(async () => {
        await fetch(`${echo.url}/x`).then((r) => r.text());
        await httpGet(`${echo.url}/y`);
        await telemetry.forceFlush(); // the export runs in the active trace, suppressed
      });
      await telemetry.forceFlush();
      for (let i = 0; i < 3; i++) await telemetry.forceFlush();
      assert.ok(exportHeaders.length >= 2, `the receiver was called (${exportHeaders.length} requests)`);
      assert.deepEqual(exportHeaders.filter((h) => h.traceparent !== undefined || h.baggage !== undefined), []);
      const receiverPort = Number(new URL(receiver.url).port);
      const spans = receiver.spans.filter((s) => s.traceId === parent.spanContext().traceId || s.attributes['server.port'] === receiverPort);
      assert.deepEqual(spans.map((s) => [s.name, s.kind, s.attributes['url.full'] ?? null]).sort(), [
        ['GET', 3, `${echo.url}/x`],
        ['GET', 3, `${echo.url}/y`],
        ['parent', 1, null],
      ]);
      assert.equal(receiver.spans.length, 3, 'nothing but the app\'s spans, however often it flushes');
    });
  });
});
