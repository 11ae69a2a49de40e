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
    echo = await listen(async (req, res) => {
      const status = Number(new URL(req.url, 'http://x').searchParams.get('status') ?? 200);
      let body = '';
      for await (const chunk of req) body += chunk;
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ headers: req.headers, method: req.method, url: req.url, body }));
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
      assert.equal(body.headers.traceparent, `00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
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

  it('sends a Request given as init as fetch would: method, body and headers', async () => {
    const original = new Request(`${echo.url}/original`, { method: 'POST', body: 'payload', headers: { 'x-own': '1' } });
    const body = await (await tracedFetch(`${echo.url}/forwarded`, original)).json();
    assert.deepEqual([body.method, body.body, body.url, body.headers['x-own']], ['POST', 'payload', '/forwarded', '1']);
    assert.match(body.headers.traceparent, /^00-[0-9a-f]{32}-/);
    const [client] = clientSpans(telemetry.getFinishedSpans());
    assert.equal(client.attributes['http.request.method'], 'POST');
  });

  it('drops a caller\'s tracestate when a traceparent of a new trace replaces theirs', async () => {
    const stale = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    for (const headers of [{ TraceParent: stale, TraceState: 'vendor=stale' }, new Headers({ traceparent: stale, tracestate: 'vendor=stale' })]) {
      const body = await (await tracedFetch(`${echo.url}/x`, { headers })).json();
      assert.notEqual(body.headers.traceparent, stale);
      assert.equal(body.headers.tracestate, undefined, 'the stale tracestate belongs to another trace');
    }
    const plain = injectTraceHeaders({ TraceState: 'vendor=stale' }, trace.setSpan(context.active(), trace.getTracer('test').startSpan('s')));
    assert.deepEqual(Object.keys(plain).sort(), ['traceparent']);
  });

  it('ends its span when the caller\'s headers cannot be sent, and rethrows fetch\'s error', async () => {
    await assert.rejects(tracedFetch(`${echo.url}/x`, { headers: [['bad name', 'x']] }), TypeError);
    const [client] = clientSpans(telemetry.getFinishedSpans());
    assert.equal(client.status.code, SpanStatusCode.ERROR);
    assert.equal(client.attributes['error.type'], 'TypeError');
  });

  it('keeps the method sent, when it is not the canonical one, as http.request.method_original', async () => {
    // fetch sends `patch` as written, which Node's HTTP parser refuses (400); it upper-cases `get`.
    assert.equal((await tracedFetch(`${echo.url}/x`, { method: 'patch' })).status, 400);
    assert.equal((await (await tracedFetch(`${echo.url}/x`, { method: 'PATCH' })).json()).method, 'PATCH');
    assert.equal((await (await tracedFetch(`${echo.url}/x`, { method: 'get' })).json()).method, 'GET');
    const attributes = clientSpans(telemetry.getFinishedSpans()).map((s) => [s.attributes['http.request.method'], s.attributes['http.request.method_original']]);
    assert.deepEqual(attributes, [['PATCH', 'patch'], ['PATCH', undefined], ['GET', undefined]]);
  });

  it('gives a data: URL no server.address or server.port, and url.full without its payload', async () => {
    assert.equal(await (await tracedFetch(`data:text/plain;base64,${Buffer.from('secret').toString('base64')}`)).text(), 'secret');
    const [client] = clientSpans(telemetry.getFinishedSpans());
    assert.equal(client.attributes['server.address'], undefined);
    assert.equal(client.attributes['server.port'], undefined);
    assert.equal(client.attributes['url.full'], 'data:text/plain;base64,');
  });

  it('redacts the values of semconv\'s sensitive query keys in url.full, keeping the keys, and sends them unchanged', async () => {
    const query = 'X-Amz-Signature=deadbeef&AWSAccessKeyId=AKIA123&Signature=s3cr3t&sig=azure&X-Goog-Signature=g&X-Amz-Security-Token=tok&SIG=kept&color=a%20b';
    const body = await (await tracedFetch(`${echo.url}/obj?${query}`)).json();
    assert.equal(body.url, `/obj?${query}`, 'the request itself is untouched');
    const [client] = clientSpans(telemetry.getFinishedSpans());
    assert.equal(
      client.attributes['url.full'],
      `${echo.url}/obj?X-Amz-Signature=REDACTED&AWSAccessKeyId=REDACTED&Signature=REDACTED&sig=REDACTED&X-Goog-Signature=REDACTED&X-Amz-Security-Token=REDACTED&SIG=kept&color=a%20b`,
    );
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
      assert.equal(plain.traceparent, `00-${traceId}-${spanId}-01`);
      assert.equal(headers.get('traceparent'), `00-${traceId}-${spanId}-01`);
    });
  });

  it('writes nothing outside a trace', () => {
    assert.deepEqual(injectTraceHeaders({}), {});
  });
});

describe('trace headers a propagator makes from a caller\'s data', () => {
  let telemetry;
  let echo;
  before(async () => {
    telemetry = await startMemoryTelemetry({ propagators: ['tracecontext', 'baggage', 'jaeger'] });
    echo = await listen((req, res) => res.end(JSON.stringify({ headers: req.headers })));
  });
  after(async () => {
    await echo.close();
    await telemetry.shutdown();
  });

  // W3C baggage keys arrive percent-decoded: `baggage: a%20b=1` is the key "a b", which the Jaeger
  // propagator writes as the header name `uberctx-a b`, invalid in HTTP.
  const withBaggage = (entries, fn) => context.with(propagation.setBaggage(context.active(), propagation.createBaggage(entries)), fn);

  it('leaves out a header name HTTP does not allow; the call and the other headers go through', async () => {
    for (const headers of [undefined, { 'x-own': '1' }, new Headers({ 'x-own': '1' })]) {
      const body = await withBaggage({ 'a b': { value: '1' }, team: { value: 'red' } }, async () => (await tracedFetch(`${echo.url}/x`, { headers })).json());
      assert.equal(body.headers['uberctx-team'], 'red');
      assert.match(body.headers.baggage, /team=red/);
      assert.ok(body.headers['uber-trace-id']);
    }
    const plain = withBaggage({ 'a b': { value: '1' } }, () => injectTraceHeaders({}));
    assert.deepEqual(Object.keys(plain).filter((k) => k.startsWith('uberctx')), []);
  });

  it('replaces the caller\'s header of the same name in another case', async () => {
    const body = await withBaggage({ userId: { value: 'new' } }, async () => (await tracedFetch(`${echo.url}/x`, { headers: { 'uberctx-userid': 'old' } })).json());
    assert.equal(body.headers['uberctx-userid'], 'new');
  });
});

describe('injectTraceHeaders() with B3', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry({ propagators: ['b3multi', 'baggage'] })));
  after(() => telemetry.shutdown());

  it('drops the caller\'s X-B3-* headers of another trace that it does not write, and keeps the caller\'s baggage', () => {
    const span = trace.getTracer('test').startSpan('s');
    const headers = injectTraceHeaders({ 'X-B3-TraceId': 'a'.repeat(32), 'X-B3-ParentSpanId': 'b'.repeat(16), 'X-B3-Flags': '1', baggage: 'team=red', accept: '*/*' }, trace.setSpan(context.active(), span));
    span.end();
    assert.deepEqual(Object.keys(headers).sort(), ['accept', 'baggage', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
    assert.equal(headers['x-b3-traceid'], span.spanContext().traceId);
    assert.equal(headers.baggage, 'team=red');
  });
});
