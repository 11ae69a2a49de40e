'use strict';
const assert = require('node:assert/strict');
const { context, propagation, trace, SpanStatusCode } = require('@opentelemetry/api');
const { tracedFetch, injectTraceHeaders } = require('@motadata/otel');
const { listen } = require('./support/servers');
const { startMemoryTelemetry, clientSpans, parentSpanId } = require('./support/telemetry');

describe('tracedFetch()', () => {
  let telemetry;
  let echo;
  before(async () => {
    telemetry = await startMemoryTelemetry();
    echo = await listen((req, res) => {
      const status = Number(new URL(req.url, 'http://x').searchParams.get('status') ?? 200);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ headers: req.headers, method: req.method }));
    });
  });
  after(async () => {
    await echo.close();
    await telemetry.shutdown();
  });
  beforeEach(() => telemetry.reset());

  it('joins the active trace and injects traceparent, tracestate and baggage', async () => {
    const tracer = trace.getTracer('test');
    const body = await tracer.startActiveSpan('parent', async (parent) => {
      const baggage = propagation.createBaggage({ 'tenant.id': { value: 'acme' } });
      const res = await context.with(propagation.setBaggage(context.active(), baggage), () => tracedFetch(`${echo.url}/x`, { method: 'POST', body: '{}', headers: { 'x-own': '1' } }));
      parent.end();
      return res.json();
    });
    const [client] = clientSpans(telemetry.getFinishedSpans());
    const parent = telemetry.getFinishedSpans().find((s) => s.name === 'parent');
    assert.equal(parentSpanId(client), parent.spanContext().spanId);
    assert.equal(client.name, 'POST');
    assert.equal(body.method, 'POST');
    assert.equal(body.headers['x-own'], '1', 'the caller\'s headers are kept');
    assert.equal(body.headers.traceparent.split('-')[1], parent.spanContext().traceId);
    assert.equal(body.headers.traceparent.split('-')[2], client.spanContext().spanId);
    assert.equal(body.headers.baggage, 'tenant.id=acme');
  });

  it('runs fetch with its CLIENT span active, so a client instrumented below it nests under it', async () => {
    const realFetch = globalThis.fetch;
    let activeInFetch;
    globalThis.fetch = async (input, init) => {
      activeInFetch = trace.getActiveSpan()?.spanContext().spanId;
      return realFetch(input, init);
    };
    try {
      await trace.getTracer('test').startActiveSpan('parent', async (parent) => {
        await tracedFetch(`${echo.url}/active`);
        parent.end();
      });
    } finally {
      globalThis.fetch = realFetch;
    }
    const [client] = clientSpans(telemetry.getFinishedSpans());
    assert.equal(activeInFetch, client.spanContext().spanId);
  });

  it('does not mutate the caller\'s init or headers', async () => {
    const headers = { accept: 'application/json' };
    const init = { headers };
    await tracedFetch(`${echo.url}/x`, init);
    assert.deepEqual(headers, { accept: 'application/json' });
    assert.equal(init.headers, headers);
  });

  it('replaces a stale traceparent the caller passed, in any case, and keeps headers given as Headers or pairs', async () => {
    const stale = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    for (const headers of [{ TraceParent: stale, 'x-own': 'a' }, new Headers({ traceparent: stale, 'x-own': 'a' }), [['traceparent', stale], ['x-own', 'a']]]) {
      telemetry.reset();
      const body = await (await tracedFetch(`${echo.url}/x`, { headers })).json();
      const [client] = clientSpans(telemetry.getFinishedSpans());
      assert.equal(body.headers.traceparent, `00-${client.spanContext().traceId}-${client.spanContext().spanId}-03`);
      assert.equal(body.headers['x-own'], 'a');
    }
  });

  it('keeps the caller\'s headers given as a Map or another Headers implementation', async () => {
    // A Headers from another fetch implementation (the undici or node-fetch packages): iterable
    // pairs with get/set, not an instance of the global Headers.
    class ForeignHeaders {
      constructor(entries) {
        this.map = new Map(entries);
      }
      get(name) {
        return this.map.get(name) ?? null;
      }
      set(name, value) {
        this.map.set(name, value);
      }
      [Symbol.iterator]() {
        return this.map[Symbol.iterator]();
      }
    }
    for (const headers of [new Map([['authorization', 'Bearer X'], ['x-own', 'a']]), new ForeignHeaders([['authorization', 'Bearer X'], ['x-own', 'a']])]) {
      const body = await (await tracedFetch(`${echo.url}/x`, { headers })).json();
      assert.equal(body.headers.authorization, 'Bearer X', headers.constructor.name);
      assert.equal(body.headers['x-own'], 'a');
      assert.match(body.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
    }
  });

  it('keeps a caller\'s own baggage when the context has none to send, whatever form the headers take', async () => {
    for (const headers of [{ Baggage: 'team=red' }, new Headers({ baggage: 'team=red' }), [['baggage', 'team=red']]]) {
      const body = await (await tracedFetch(`${echo.url}/x`, { headers })).json();
      assert.equal(body.headers.baggage, 'team=red');
    }
    // With baggage in the context, the propagator's replaces the caller's.
    const baggage = propagation.createBaggage({ 'tenant.id': { value: 'acme' } });
    const body = await context.with(propagation.setBaggage(context.active(), baggage), async () => (await tracedFetch(`${echo.url}/x`, { headers: { Baggage: 'team=red' } })).json());
    assert.equal(body.headers.baggage, 'tenant.id=acme');
  });

  it('marks 4xx and 5xx responses as errors and returns them untouched', async () => {
    const res = await tracedFetch(`${echo.url}/x?status=503`);
    assert.equal(res.status, 503);
    const [client] = clientSpans(telemetry.getFinishedSpans());
    assert.equal(client.status.code, SpanStatusCode.ERROR);
    assert.equal(client.attributes['http.response.status_code'], 503);
    assert.equal(client.attributes['error.type'], '503');
  });

  it('records a network error and rethrows it unchanged', async () => {
    const closed = await listen(() => {});
    const url = closed.url;
    await closed.close();
    await assert.rejects(tracedFetch(`${url}/x`), (err) => err instanceof TypeError);
    const [client] = clientSpans(telemetry.getFinishedSpans());
    assert.equal(client.status.code, SpanStatusCode.ERROR);
    assert.equal(client.attributes['error.type'], 'ECONNREFUSED');
    assert.ok(client.events.some((e) => e.name === 'exception'));
  });

  it('redacts credentials in url.full', async () => {
    const url = new URL(echo.url);
    url.username = 'user';
    url.password = 'hunter2';
    await tracedFetch(new Request(`${echo.url}/x`), {}).then((r) => r.text());
    await tracedFetch(url.href + 'y').catch(() => undefined); // fetch refuses URLs with credentials
    const spans = clientSpans(telemetry.getFinishedSpans());
    assert.ok(spans.every((s) => !String(s.attributes['url.full']).includes('hunter2')));
    assert.ok(spans.some((s) => String(s.attributes['url.full']).includes('REDACTED')));
  });
});

describe('injectTraceHeaders()', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());

  it('writes the active context into a plain object and into Headers', () => {
    trace.getTracer('test').startActiveSpan('outer', (span) => {
      const plain = injectTraceHeaders({ 'content-type': 'application/json' });
      const headers = injectTraceHeaders(new Headers());
      span.end();
      const { traceId, spanId } = span.spanContext();
      assert.equal(plain['content-type'], 'application/json');
      assert.equal(plain.traceparent, `00-${traceId}-${spanId}-03`);
      assert.equal(headers.get('traceparent'), `00-${traceId}-${spanId}-03`);
    });
  });

  it('writes nothing outside a trace', () => {
    assert.deepEqual(injectTraceHeaders({}), {});
  });
});
