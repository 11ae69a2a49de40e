'use strict';
// initTelemetry() traces outgoing requests made inside a trace (its `outbound` option, on by
// default): plain fetch and node:http, with no call-site change.
const assert = require('node:assert/strict');
const { context, propagation, trace, SpanKind, SpanStatusCode, TraceFlags } = require('@opentelemetry/api');
const { initTelemetry, instrumentOutbound } = require('@motadata/otel');
const { startMemoryTelemetry, clientSpans, parentSpanId } = require('./support/telemetry');
const { startEcho, sentValues, httpGet, CLIENTS, closedPort } = require('./support/outbound');

const SUPPRESS_TRACING = require('@opentelemetry/api').createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
const STALE = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;

/** Runs `fn` in a new active span `parent` (ended after) and returns [result, parent span]. */
async function inParent(fn, ctx = context.active()) {
  const parent = trace.getTracer('test').startSpan('parent', {}, ctx);
  try {
    return [await context.with(trace.setSpan(ctx, parent), fn), parent];
  } finally {
    parent.end();
  }
}

describe('outgoing requests with initTelemetry()\'s outbound default', () => {
  let telemetry;
  let echo;
  before(async () => {
    telemetry = await startMemoryTelemetry();
    echo = await startEcho();
  });
  after(async () => {
    await echo.close();
    await telemetry.shutdown();
  });
  beforeEach(() => {
    telemetry.reset();
    echo.seen.length = 0;
  });

  for (const client of CLIENTS) {
    describe(`${client.name}`, () => {
      it('makes one CLIENT span, the active span\'s child, with the semconv attributes', async () => {
        const [res, parent] = await inParent(() => client.call(`${echo.url}/items/7?color=red`));
        assert.equal(res.status, 200);
        const [span, ...more] = clientSpans(telemetry.getFinishedSpans());
        assert.equal(more.length, 0);
        assert.equal(span.kind, SpanKind.CLIENT);
        assert.equal(span.name, 'GET');
        assert.equal(span.instrumentationScope.name, '@motadata/otel');
        assert.equal(parentSpanId(span), parent.spanContext().spanId);
        assert.equal(span.spanContext().traceId, parent.spanContext().traceId);
        const port = Number(new URL(echo.url).port);
        assert.deepEqual(span.attributes, {
          'http.request.method': 'GET',
          'server.address': '127.0.0.1',
          'server.port': port,
          'url.full': `${echo.url}/items/7?color=red`,
          'http.response.status_code': 200,
        });
        assert.equal(span.status.code, SpanStatusCode.UNSET);
      });

      it(client.headersSettable ? 'sends traceparent whose parent is the CLIENT span, and the baggage' : 'sends no header (this Node writes the head before any channel can add to it)', async () => {
        const baggage = propagation.createBaggage({ 'tenant.id': { value: 'acme' } });
        await inParent(() => client.call(`${echo.url}/x`), propagation.setBaggage(context.active(), baggage));
        const [span] = clientSpans(telemetry.getFinishedSpans());
        const { headers } = echo.seen[0];
        if (client.headersSettable) {
          assert.equal(headers.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
          assert.equal(headers.baggage, 'tenant.id=acme');
        } else {
          assert.equal(headers.traceparent, undefined);
          assert.equal(headers.baggage, undefined);
        }
      });

      it('marks 4xx and 5xx responses as errors', async () => {
        await inParent(async () => {
          await client.call(`${echo.url}/x?status=503`);
          await client.call(`${echo.url}/x?status=404`);
        });
        const spans = clientSpans(telemetry.getFinishedSpans());
        assert.deepEqual(spans.map((s) => [s.attributes['http.response.status_code'], s.attributes['error.type'], s.status.code]), [
          [503, '503', SpanStatusCode.ERROR],
          [404, '404', SpanStatusCode.ERROR],
        ]);
      });

      it('records a network error with its code, the exception and status ERROR', async () => {
        const port = await closedPort();
        await inParent(() => assert.rejects(client.call(`http://127.0.0.1:${port}/x`)));
        const [span, ...more] = clientSpans(telemetry.getFinishedSpans());
        assert.equal(more.length, 0);
        assert.equal(span.attributes['error.type'], 'ECONNREFUSED');
        assert.equal(span.attributes['http.response.status_code'], undefined);
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        assert.ok(span.events.some((e) => e.name === 'exception'));
      });

      it('ends the span when the response head arrives, not when a slow body does', async () => {
        const started = Date.now();
        await inParent(() => client.call(`${echo.url}/x?slowBody=300`));
        assert.ok(Date.now() - started >= 290, 'the call waited for the body');
        const [span] = clientSpans(telemetry.getFinishedSpans());
        const millis = span.duration[0] * 1e3 + span.duration[1] / 1e6;
        assert.ok(millis < 250, `the span lasted ${millis} ms`);
      });

      it('makes no span and sends no header outside a trace', async () => {
        await client.call(`${echo.url}/x`);
        assert.deepEqual(clientSpans(telemetry.getFinishedSpans()), []);
        assert.equal(echo.seen[0].headers.traceparent, undefined);
      });

      it('makes no span and sends no header while tracing is suppressed (the exporters\' own calls)', async () => {
        await inParent(() => context.with(context.active().setValue(SUPPRESS_TRACING, true), () => client.call(`${echo.url}/x`)));
        assert.deepEqual(clientSpans(telemetry.getFinishedSpans()), []);
        assert.equal(echo.seen[0].headers.traceparent, undefined);
      });

      it('redacts credentials in the query of url.full and sends the URL unchanged', async () => {
        await inParent(() => client.call(`${echo.url}/obj?X-Amz-Signature=secret&sig=azure&color=a%20b`));
        assert.equal(echo.seen[0].url, '/obj?X-Amz-Signature=secret&sig=azure&color=a%20b');
        const [span] = clientSpans(telemetry.getFinishedSpans());
        assert.equal(span.attributes['url.full'], `${echo.url}/obj?X-Amz-Signature=REDACTED&sig=REDACTED&color=a%20b`);
      });

      if (!client.headersSettable) return;

      it('replaces a caller\'s stale traceparent of another trace, and drops its tracestate', async () => {
        await inParent(() => client.call(`${echo.url}/x`, { TraceParent: STALE, tracestate: 'vendor=stale', 'x-own': '1' }));
        const [span] = clientSpans(telemetry.getFinishedSpans());
        const record = echo.seen[0];
        assert.deepEqual(sentValues(record, 'traceparent'), [`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`]);
        assert.equal(record.headers.tracestate, undefined);
        assert.equal(record.headers['x-own'], '1');
      });

      it('leaves a request alone that already carries a traceparent of the active trace (made by another instrumentation)', async () => {
        await inParent(async () => {
          const { traceId } = trace.getActiveSpan().spanContext();
          await client.call(`${echo.url}/x`, { traceparent: `00-${traceId}-${'3'.repeat(16)}-01` });
        });
        assert.deepEqual(clientSpans(telemetry.getFinishedSpans()), []);
        assert.deepEqual(sentValues(echo.seen[0], 'traceparent').map((v) => v.split('-')[2]), ['3'.repeat(16)]);
      });

      it('propagates an unsampled trace as unsampled, recording nothing', async () => {
        const unsampled = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.NONE, isRemote: true });
        await context.with(trace.setSpan(context.active(), unsampled), () => client.call(`${echo.url}/x`));
        assert.deepEqual(clientSpans(telemetry.getFinishedSpans()), []);
        const [, traceId, spanId, flags] = echo.seen[0].headers.traceparent.split('-');
        assert.deepEqual([traceId, flags], ['a'.repeat(32), '00']);
        assert.notEqual(spanId, 'b'.repeat(16), 'a new span id, the CLIENT span\'s');
      });
    });
  }

  it('makes one CLIENT span per redirect hop, each with its own traceparent', async () => {
    const hops = await require('./support/servers').listen((req, res) => {
      res.statusCode = 302;
      res.setHeader('location', `${echo.url}/landed`);
      res.end();
    });
    try {
      await inParent(() => fetch(`${hops.url}/start`).then((r) => r.text()));
    } finally {
      await hops.close();
    }
    const spans = clientSpans(telemetry.getFinishedSpans());
    assert.deepEqual(spans.map((s) => s.attributes['http.response.status_code']), [302, 200]);
    assert.equal(echo.seen[0].headers.traceparent.split('-')[2], spans[1].spanContext().spanId);
  });

  it('keeps the method sent as http.request.method_original when it is not canonical', async () => {
    await inParent(async () => {
      await fetch(`${echo.url}/x`, { method: 'PATCH' }).then((r) => r.text());
      await new Promise((resolve, reject) => require('node:http').request(`${echo.url}/x`, { method: 'PURGE' }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
    });
    const spans = clientSpans(telemetry.getFinishedSpans());
    assert.deepEqual(spans.map((s) => [s.name, s.attributes['http.request.method'], s.attributes['http.request.method_original']]), [
      ['PATCH', 'PATCH', undefined],
      ['HTTP', '_OTHER', 'PURGE'],
    ]);
  });
});

describe('instrumentOutbound()', () => {
  let telemetry;
  let echo;
  before(async () => {
    telemetry = await startMemoryTelemetry({ outbound: false });
    echo = await startEcho();
  });
  after(async () => {
    await echo.close();
    await telemetry.shutdown();
  });
  beforeEach(() => {
    telemetry.reset();
    echo.seen.length = 0;
  });

  const call = () => inParent(() => httpGet(`${echo.url}/x`).then(() => fetch(`${echo.url}/y`)).then((r) => r.text()));

  it('is off with initTelemetry({ outbound: false })', async () => {
    await call();
    assert.deepEqual(clientSpans(telemetry.getFinishedSpans()), []);
    assert.equal(echo.seen[1].headers.traceparent, undefined);
  });

  it('subscribes once however often it is called; the latest options apply until stopped', async () => {
    const first = instrumentOutbound();
    const second = instrumentOutbound({ traceHeaders: 'none' });
    try {
      await call();
      assert.equal(clientSpans(telemetry.getFinishedSpans()).length, 2, 'one span per request');
      assert.equal(echo.seen[1].headers.traceparent, undefined, 'the second call\'s traceHeaders: none');
      second();
      second();
      telemetry.reset();
      await call();
      assert.equal(clientSpans(telemetry.getFinishedSpans()).length, 2);
      assert.match(echo.seen[3].headers.traceparent, /^00-/, 'the first call\'s options again');
    } finally {
      first();
    }
    telemetry.reset();
    await call();
    assert.deepEqual(clientSpans(telemetry.getFinishedSpans()), [], 'no span once every call is stopped');
  });

  it('is stopped by the shutdown() of the initTelemetry() that started it', async () => {
    await telemetry.shutdown();
    const own = initTelemetry({ serviceName: 'own', traces: { exporter: 'memory' }, metrics: { exporter: 'none' }, logs: { exporter: 'none' } });
    await own.shutdown();
    telemetry = await startMemoryTelemetry({ outbound: false });
    await call();
    assert.deepEqual(clientSpans(telemetry.getFinishedSpans()), []);
  });
});
