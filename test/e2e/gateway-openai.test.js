'use strict';
// examples/agent-gateway-rag/gateway.js speaks OpenAI: /v1/chat/completions (JSON, and SSE chunks
// in OpenAI's wire format) and /v1/embeddings, read with the `openai` package itself, and says in
// `x-gateway-cache` whether its cache answered.
const assert = require('node:assert/strict');
const http = require('node:http');
const OpenAI = require('openai');
const { createGatewayApp } = require('../../examples/agent-gateway-rag/gateway');
const { createModelSimulator } = require('../../examples/agent-gateway-rag/lib/model-simulator');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, waitForServerSpans, metricPoint } = require('../support/telemetry');

const CONTEXT = 'Context:\nTo rotate an API key, create a new key, deploy it, then revoke the old key.\nBilling runs monthly.';
const QUESTION = 'Question: how do I rotate an API key?';
const MESSAGES = [{ role: 'system', content: CONTEXT }, { role: 'user', content: QUESTION }];
const PROMPT = `${CONTEXT}\n${QUESTION}`;

describe('examples/agent-gateway-rag gateway: the OpenAI API', () => {
  let telemetry;
  let server;
  let simulator;
  const clientFor = (tenant) => new OpenAI({ apiKey: 'unused', baseURL: `${server.url}/v1`, maxRetries: 0, defaultHeaders: { baggage: `tenant.id=${tenant}` } });
  const post = (path, body) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    telemetry = await startMemoryTelemetry();
    simulator = createModelSimulator({ latencyMs: 5, tokenDelayMs: 3 });
    server = await listen(createGatewayApp({ simulator }).callback());
  });
  after(async () => {
    await server.close();
    await telemetry.shutdown();
  });
  beforeEach(() => telemetry.reset());

  it('answers a chat completion as OpenAI does, with usage', async () => {
    const expected = await simulator.generate({ model: 'local-small', prompt: PROMPT });
    const completion = await clientFor('oa-json').chat.completions.create({ model: 'local-small', messages: MESSAGES });
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'local-small');
    assert.deepEqual(completion.choices, [{ index: 0, message: { role: 'assistant', content: expected.text, refusal: null }, logprobs: null, finish_reason: 'stop' }]);
    assert.deepEqual(completion.usage, { prompt_tokens: expected.promptTokens, completion_tokens: expected.completionTokens, total_tokens: expected.promptTokens + expected.completionTokens });
    const [span] = await waitForServerSpans(telemetry);
    assert.equal(span.name, 'POST /v1/chat/completions');
    assert.equal(span.attributes['tenant.id'], 'oa-json');
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], expected.completionTokens);
  });

  it('streams a chat completion as OpenAI chunks with a final usage chunk, and records time to first token and per output token', async () => {
    const expected = await simulator.generate({ model: 'local-small', prompt: PROMPT });
    const stream = await clientFor('oa-stream').chat.completions.create({ model: 'local-small', messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, expected.text);
    assert.equal(chunks.length, expected.completionTokens + 3, 'role, one per token, finish, usage');
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: expected.promptTokens, completion_tokens: expected.completionTokens, total_tokens: expected.promptTokens + expected.completionTokens });
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null && c.object === 'chat.completion.chunk' && c.id === chunks[0].id));

    const [span] = await waitForServerSpans(telemetry);
    assert.equal(span.events.filter((e) => e.name === 'gen_ai.first_token').length, 1);
    const attributes = { 'tenant.id': 'oa-stream', 'http.route': '/v1/chat/completions', 'gen_ai.request.model': 'local-small', 'gen_ai.provider.name': 'local-simulator', 'gen_ai.operation.name': 'chat' };
    assert.equal((await metricPoint(telemetry, 'gen_ai.server.time_to_first_token', attributes)).value.count, 1);
    const perToken = await metricPoint(telemetry, 'gen_ai.server.time_per_output_token', attributes);
    assert.ok(perToken.value.sum >= 0.002, `the simulator's 3 ms between tokens: ${perToken.value.sum} s`);
    assert.equal((await metricPoint(telemetry, 'gen_ai.server.request.duration', attributes)).value.count, 1);
    const output = await metricPoint(telemetry, 'gen_ai.client.token.usage', { 'tenant.id': 'oa-stream', 'gen_ai.token.type': 'output' });
    assert.deepEqual([output.value.count, output.value.sum], [1, expected.completionTokens]);
    assert.equal((await metricPoint(telemetry, 'gateway.cost', { 'tenant.id': 'oa-stream' })).value, simulator.cost('local-small', expected.promptTokens, expected.completionTokens));
  });

  it('writes the stream on the wire as OpenAI does: text/event-stream, data: lines, data: [DONE], no usage key without include_usage', async () => {
    const res = await post('/v1/chat/completions', { model: 'local-small', messages: MESSAGES, stream: true });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.ok(events.every((e) => e.startsWith('data: ')));
    assert.equal(events.at(-1), 'data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    assert.ok(chunks.every((c) => !('usage' in c)));
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  });

  it('answers errors in OpenAI\'s shape with their statuses: unknown model 404, bad request 400, provider outage 502', async () => {
    const client = clientFor('oa-errors');
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: MESSAGES }), (err) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found' && err.type === 'invalid_request_error' && err.param === 'model');
    await assert.rejects(client.chat.completions.create({ model: 'local-small', messages: [] }), (err) => err instanceof OpenAI.BadRequestError && err.param === 'messages');
    await assert.rejects(client.chat.completions.create({ model: 'fail-model', messages: MESSAGES, stream: true }), (err) => err instanceof OpenAI.InternalServerError && err.status === 502 && err.type === 'server_error');
    await assert.rejects(client.embeddings.create({ model: 'local-small-typo', input: 'x' }), (err) => err instanceof OpenAI.NotFoundError);
    const res = await post('/v1/chat/completions', { model: 'local-small' });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal((await post('/v1/chat/completions', { model: 'local-small', messages: MESSAGES, stream_options: { include_usage: true } })).status, 400);
  });

  it('refuses a stream from a model that cannot chat before any chunk: a 400, and no stream recorded', async () => {
    await assert.rejects(clientFor('oa-fail').chat.completions.create({ model: 'local-embed', messages: MESSAGES, stream: true }), (err) => err instanceof OpenAI.BadRequestError && err.code === 'model_not_supported');
    const [span] = await waitForServerSpans(telemetry);
    assert.equal(span.attributes['http.response.status_code'], 400);
    assert.deepEqual(span.events, []);
    assert.equal(await metricPoint(telemetry, 'gen_ai.server.request.duration', { 'tenant.id': 'oa-fail' }), undefined);
  });

  it('answers embeddings as OpenAI does (base64 by default in the openai package), and nothing more', async () => {
    const inputs = ['rotate an API key', 'monthly billing'];
    const expected = await simulator.embed({ model: 'local-embed', input: inputs });
    const answer = await clientFor('oa-embed').embeddings.create({ model: 'local-embed', input: inputs });
    assert.equal(answer.object, 'list');
    assert.deepEqual(answer.data.map((d) => d.embedding), expected.vectors.map((v) => v.map(Math.fround)));
    assert.deepEqual([answer.data[1].index, answer.usage.prompt_tokens, answer.usage.total_tokens], [1, expected.promptTokens, expected.promptTokens]);
    const raw = await (await post('/v1/embeddings', { model: 'local-embed', input: ['a private caller'] })).json();
    assert.deepEqual(Object.keys(raw).sort(), ['data', 'model', 'object', 'usage']);
    assert.deepEqual(Object.keys(raw.usage).sort(), ['prompt_tokens', 'total_tokens']);
    assert.ok(Array.isArray(raw.data[0].embedding), 'float by default on the wire');
  });

  it('says in x-gateway-cache whether its per-tenant cache answered; a hit reports zero usage and calls no provider', async () => {
    const client = clientFor('oa-cache');
    const ask = () => client.chat.completions.create({ model: 'local-small', messages: MESSAGES }).withResponse();
    const first = await ask();
    const again = await ask();
    assert.deepEqual([first.response.headers.get('x-gateway-cache'), again.response.headers.get('x-gateway-cache')], ['miss', 'hit']);
    assert.equal(again.data.choices[0].message.content, first.data.choices[0].message.content);
    assert.ok(first.data.usage.prompt_tokens > 0);
    assert.deepEqual(again.data.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    const other = await clientFor('oa-cache-other').chat.completions.create({ model: 'local-small', messages: MESSAGES }).withResponse();
    assert.equal(other.response.headers.get('x-gateway-cache'), 'miss', 'another tenant never gets this tenant\'s entry');

    const embed = () => client.embeddings.create({ model: 'local-embed', input: 'rotate' }).withResponse();
    assert.equal((await embed()).response.headers.get('x-gateway-cache'), 'miss');
    const hit = await embed();
    assert.equal(hit.response.headers.get('x-gateway-cache'), 'hit');
    assert.equal(hit.data.usage.prompt_tokens, 0);

    const spans = await waitForServerSpans(telemetry, 5);
    const providerCalls = telemetry.getFinishedSpans().filter((s) => s.name === 'gateway.provider.call');
    assert.equal(providerCalls.length, 3, `${spans.length} requests, 3 misses`);
  });

  it('records a stream whose client goes away once, as aborted', async () => {
    const slow = await listen(createGatewayApp({ simulator: createModelSimulator({ latencyMs: 1, tokenDelayMs: 25 }) }).callback());
    try {
      await new Promise((resolve, reject) => {
        const req = http.request(`${slow.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', baggage: 'tenant.id=oa-gone' } }, (res) => {
          let events = 0;
          res.on('data', (text) => {
            events += String(text).split('\n\n').length - 1;
            if (events >= 3) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', () => {});
        req.on('close', resolve);
        req.end(JSON.stringify({ model: 'local-small', messages: MESSAGES, stream: true }));
        setTimeout(() => reject(new Error('no events')), 3000).unref();
      });
      const [span] = await waitForServerSpans(telemetry);
      assert.equal(span.attributes['error.type'], 'aborted');
      const sent = span.attributes['gen_ai.usage.output_tokens'];
      assert.ok(sent >= 2 && sent < 10, `${sent} tokens before the client went away`);
      const output = await metricPoint(telemetry, 'gen_ai.client.token.usage', { 'tenant.id': 'oa-gone', 'gen_ai.token.type': 'output' });
      assert.deepEqual([output.value.count, output.value.sum], [1, sent]);
      assert.equal((await metricPoint(telemetry, 'gen_ai.server.request.duration', { 'tenant.id': 'oa-gone' })).attributes['error.type'], 'aborted');
    } finally {
      await slow.close();
    }
  });
});
