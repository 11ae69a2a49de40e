'use strict';
// The HTTP clients real apps use, unchanged, inside a request the Express middleware handles,
// against real servers on 127.0.0.1: the `openai` package (against an OpenAI-compatible stub,
// JSON and streamed), axios, got, global fetch and http.get. Each call gets one CLIENT span, the
// SERVER span's child, and the downstream sees that span as its parent.
const assert = require('node:assert/strict');
const express = require('express');
const axios = require('axios');
const { OpenAI } = require('openai');
const { SpanStatusCode } = require('@opentelemetry/api');
const { otelMiddleware } = require('@motadata/otel/express');
const { listen } = require('./support/servers');
const { startMemoryTelemetry, waitForSpans, serverSpans, clientSpans, parentSpanId } = require('./support/telemetry');
const { startEcho, sentValues, httpGet, HTTP_HEADERS_SETTABLE, lookupLoopback, closedPort } = require('./support/outbound');

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** An OpenAI-compatible stub: chat completions as JSON, or as server-sent events with `stream: true`; model `fail` answers 500. */
async function startOpenAiStub() {
  const seen = [];
  const server = await listen(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const request = JSON.parse(body || '{}');
    seen.push({ url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, request });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return res.writeHead(404).end();
    if (request.model === 'fail') return res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"provider down","type":"server_error"}}');
    const base = { id: 'chatcmpl-1', created: 1700000000, model: request.model };
    if (!request.stream) {
      const message = { role: 'assistant', content: 'Hello there' };
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders(); // the head now, the events as they come
    const words = ['Hello', ' there', ', streamed'];
    for (const [i, word] of words.entries()) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      const choice = { index: 0, delta: i === 0 ? { role: 'assistant', content: word } : { content: word }, finish_reason: i === words.length - 1 ? 'stop' : null };
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [choice] })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  });
  return { ...server, seen };
}

describe('outgoing calls of real HTTP clients inside an Express request', () => {
  let telemetry;
  let echo;
  let stub;
  let app;
  let got;

  // Each client makes one GET to `url` (or one chat completion) and returns the status it saw.
  const openai = (baseURL) => new OpenAI({ apiKey: 'test-key', baseURL: `${baseURL}/v1`, maxRetries: 0 });
  const CLIENTS = {
    fetch: { nodeHttp: false, get: async (url) => (await fetch(url)).status },
    'http.get': { nodeHttp: true, get: async (url, lookup) => (await httpGet(url, lookup ? { lookup } : {})).status },
    axios: { nodeHttp: true, get: async (url, lookup) => (await axios.get(url, { validateStatus: () => true, ...(lookup ? { lookup } : {}) })).status },
    got: { nodeHttp: true, get: async (url, lookup) => (await got(url, { throwHttpErrors: false, retry: { limit: 0 }, ...(lookup ? { dnsLookup: lookup } : {}) })).statusCode },
  };

  before(async () => {
    ({ default: got } = await import('got')); // ESM only
    telemetry = await startMemoryTelemetry();
    echo = await startEcho();
    stub = await startOpenAiStub();
    const server = express();
    server.use(otelMiddleware());
    // GET /call/:client?to=URL[&external=1] calls URL once with that client.
    server.get('/call/:client', async (req, res) => {
      try {
        const lookup = req.query.external ? lookupLoopback : undefined;
        res.json({ status: await CLIENTS[req.params.client].get(req.query.to, lookup) });
      } catch (err) {
        res.status(502).json({ error: err.code ?? err.name });
      }
    });
    server.get('/chat', async (req, res) => {
      try {
        const completion = await openai(stub.url).chat.completions.create({ model: req.query.model ?? 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
        res.json({ text: completion.choices[0].message.content });
      } catch (err) {
        res.status(502).json({ error: err.status ?? err.name });
      }
    });
    server.get('/chat/stream', async (req, res) => {
      const stream = await openai(stub.url).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true });
      let text = '';
      const started = Date.now();
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      res.json({ text, streamedMs: Date.now() - started });
    });
    // Forwards the incoming request's headers, trace headers included, as a naive gateway does.
    server.get('/forward', async (req, res) => {
      const response = await fetch(`${echo.url}/forwarded`, { headers: { traceparent: req.headers.traceparent, 'x-tenant-id': req.headers['x-tenant-id'] } });
      res.json({ status: response.status });
    });
    app = await listen(server);
  });
  after(async () => {
    await app.close();
    await echo.close();
    await stub.close();
    await telemetry.shutdown();
  });
  beforeEach(() => {
    telemetry.reset();
    echo.seen.length = 0;
    stub.seen.length = 0;
  });

  /** GETs `path` on the app as a caller with a trace and a tenant; waits for its SERVER span. */
  async function callApp(path) {
    const response = await fetch(`${app.url}${path}`, { headers: { traceparent: CALLER, 'x-tenant-id': 'acme' } });
    const body = await response.json();
    const spans = await waitForSpans(telemetry, (s) => serverSpans(s).length === 1);
    return { body, server: serverSpans(spans)[0], clients: clientSpans(spans) };
  }

  /** The downstream's view and the spans agree: one CLIENT span, the SERVER span's child, whose id the callee saw. */
  function assertJoined({ server, clients }, record, { headers = true } = {}) {
    assert.equal(clients.length, 1, `one CLIENT span, got ${clients.map((s) => s.instrumentationScope.name)}`);
    const [client] = clients;
    assert.equal(client.instrumentationScope.name, '@motadata/otel');
    assert.equal(parentSpanId(client), server.spanContext().spanId);
    assert.equal(client.spanContext().traceId, CALLER.split('-')[1]);
    if (headers) {
      assert.deepEqual(sentValues(record, 'traceparent'), [`00-${CALLER.split('-')[1]}-${client.spanContext().spanId}-01`]);
    } else assert.equal(record.headers.traceparent, undefined);
    return client;
  }

  for (const [name, client] of Object.entries(CLIENTS)) {
    // node:http clients get headers where Node publishes http.client.request.created (22.12+).
    const headers = !client.nodeHttp || HTTP_HEADERS_SETTABLE;
    describe(name, () => {
      it(headers ? 'joins the trace: traceparent from its CLIENT span, the tenant baggage to an internal host' : 'gets its CLIENT span in the trace (no headers on this Node)', async () => {
        const result = await callApp(`/call/${name}?to=${encodeURIComponent(`${echo.url}/v1/items/7`)}`);
        assert.deepEqual(result.body, { status: 200 });
        const span = assertJoined(result, echo.seen[0], { headers });
        if (headers) assert.equal(echo.seen[0].headers.baggage, 'tenant.id=acme');
        assert.equal(span.attributes['url.full'], `${echo.url}/v1/items/7`);
        assert.equal(span.attributes['http.response.status_code'], 200);
      });

      it('marks a 5xx answer as an error', async () => {
        const result = await callApp(`/call/${name}?to=${encodeURIComponent(`${echo.url}/x?status=503`)}`);
        assert.deepEqual(result.body, { status: 503 });
        const [span] = result.clients;
        assert.equal(result.clients.length, 1);
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        assert.equal(span.attributes['error.type'], '503');
      });

      it('records a refused connection as an error', async () => {
        const port = await closedPort();
        const result = await callApp(`/call/${name}?to=${encodeURIComponent(`http://127.0.0.1:${port}/x`)}`);
        assert.equal(result.body.status, undefined);
        assert.equal(result.clients.length, 1);
        assert.equal(result.clients[0].attributes['error.type'], 'ECONNREFUSED');
        assert.equal(result.clients[0].status.code, SpanStatusCode.ERROR);
      });

      if (client.nodeHttp && headers) {
        it('keeps the tenant baggage from a host outside (api.example.com, looked up to 127.0.0.1), and sends it the trace', async () => {
          const result = await callApp(`/call/${name}?external=1&to=${encodeURIComponent(`http://api.example.com:${new URL(echo.url).port}/v1/models`)}`);
          assert.deepEqual(result.body, { status: 200 });
          const span = assertJoined(result, echo.seen[0]);
          assert.equal(echo.seen[0].headers.baggage, undefined);
          assert.equal(span.attributes['server.address'], 'api.example.com');
        });
      }
    });
  }

  describe('openai', () => {
    it('joins the trace from the chat completion\'s CLIENT span; the stub gets the tenant (internal) and the trace', async () => {
      const result = await callApp('/chat');
      assert.deepEqual(result.body, { text: 'Hello there' });
      const span = assertJoined(result, stub.seen[0]);
      assert.equal(stub.seen[0].headers.baggage, 'tenant.id=acme');
      assert.equal(stub.seen[0].headers.authorization, 'Bearer test-key', 'the client\'s own headers are kept');
      assert.equal(span.name, 'POST');
      assert.equal(span.attributes['url.full'], `${stub.url}/v1/chat/completions`);
    });

    it('streams (stream: true): the CLIENT span ends with the response head, before the stream', async () => {
      const result = await callApp('/chat/stream');
      assert.equal(result.body.text, 'Hello there, streamed');
      const span = assertJoined(result, stub.seen[0]);
      const spanMs = span.duration[0] * 1e3 + span.duration[1] / 1e6;
      assert.ok(result.body.streamedMs >= 150, `the stream took ${result.body.streamedMs} ms`);
      assert.ok(spanMs < 120, `the CLIENT span lasted ${spanMs} ms`);
      assert.equal(span.attributes['http.response.status_code'], 200);
    });

    it('marks a provider 500 as an error (openai\'s retries off: one request, one span)', async () => {
      const result = await callApp('/chat?model=fail');
      assert.deepEqual(result.body, { error: 500 });
      assert.equal(stub.seen.length, 1);
      assert.equal(result.clients.length, 1);
      assert.equal(result.clients[0].status.code, SpanStatusCode.ERROR);
      assert.equal(result.clients[0].attributes['error.type'], '500');
    });
  });

  it('replaces the incoming traceparent a handler forwards: the callee is the child of the CLIENT span, not of the caller', async () => {
    const result = await callApp('/forward');
    assertJoined(result, echo.seen[0]);
  });
});

describe('outgoing calls of axios and got with instrumentHttp: true', () => {
  let telemetry;
  let echo;
  let got;
  before(async () => {
    ({ default: got } = await import('got'));
    telemetry = await startMemoryTelemetry({ instrumentHttp: true });
    require('node:http'); // instrumentation-http patches it when next required
    require('node:https');
    echo = await startEcho();
  });
  after(async () => {
    await echo.close();
    await telemetry.shutdown();
  });

  it('leaves them to instrumentation-http: one CLIENT span and one traceparent per request', async () => {
    const { trace, context } = require('@opentelemetry/api');
    const parent = trace.getTracer('test').startSpan('parent');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await axios.get(`${echo.url}/axios`);
      await got(`${echo.url}/got`, { retry: { limit: 0 } });
    });
    parent.end();
    const clients = clientSpans(telemetry.getFinishedSpans());
    assert.deepEqual(clients.map((s) => s.instrumentationScope.name), ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-http']);
    for (const [i, record] of echo.seen.entries()) {
      assert.deepEqual(sentValues(record, 'traceparent'), [`00-${parent.spanContext().traceId}-${clients[i].spanContext().spanId}-01`]);
    }
  });
});
