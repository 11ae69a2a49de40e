'use strict';
// genAiCall() around the `openai` package against a local OpenAI-compatible stub: the call's
// duration and its usage, non-streamed and streamed, read from the answer.
const assert = require('node:assert/strict');
const express = require('express');
const request = require('supertest');
const OpenAI = require('openai');
const { genAiCall } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/express');
const { startOpenAiStub, RESPONSE_MODEL, WORDS } = require('./support/openai-stub');
const { listen } = require('./support/servers');
const { startMemoryTelemetry, waitForServerSpans, metricPoint, metricPoints } = require('./support/telemetry');

const PRICE = { input: 1e-6, output: 4e-6 };
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

describe('genAiCall()', () => {
  let telemetry;
  let stub;
  let client;
  before(async () => {
    telemetry = await startMemoryTelemetry();
    stub = await startOpenAiStub();
    client = new OpenAI({ apiKey: 'test-key', baseURL: stub.baseURL, maxRetries: 0 });
  });
  after(async () => {
    await stub.close();
    await telemetry.shutdown();
  });

  // Each test asks for a model of its own, so its points are its own.
  const duration = (model) => metricPoint(telemetry, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': model });
  const usage = (model, type) => metricPoint(telemetry, 'gen_ai.client.token.usage', { 'gen_ai.request.model': model, 'gen_ai.token.type': type });
  const chat = (model, extra = {}) => () => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

  it('returns the completion and records the duration and the usage it reports', async () => {
    const model = 'client-json';
    const completion = await genAiCall({ model, provider: 'openai', price: PRICE }, chat(model));
    assert.equal(completion.choices[0].message.content, WORDS.join(''));
    assert.equal(completion.usage.prompt_tokens, 9);
    const point = await duration(model);
    assert.equal(point.value.count, 1);
    assert.deepEqual(point.value.buckets.boundaries, DURATION_BUCKETS);
    assert.equal(point.descriptor.unit, 's');
    assert.deepEqual(point.attributes, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model, 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': RESPONSE_MODEL });
    assert.deepEqual([(await usage(model, 'input')).value.sum, (await usage(model, 'output')).value.sum], [9, 3]);
    assert.equal((await metricPoint(telemetry, 'gateway.tokens.used', { 'gen_ai.request.model': model, 'gen_ai.token.type': 'output' })).value, 3, 'the same cost path as recordCost');
    assert.ok(Math.abs((await metricPoint(telemetry, 'gateway.cost', { 'gen_ai.request.model': model })).value - (9 * 1e-6 + 3 * 4e-6)) < 1e-15);
  });

  it('returns a stream as the same Stream object, yielding the same chunks, and records when it ends, with the final usage chunk', async () => {
    const model = 'client-stream';
    const stream = await genAiCall({ model, provider: 'openai' }, chat(model, { stream: true, stream_options: { include_usage: true } }));
    assert.equal(stream.constructor.name, 'Stream');
    assert.equal(typeof stream.controller.abort, 'function');
    assert.equal(await duration(model), undefined, 'not before the stream is read');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), WORDS.join(''));
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.equal(chunks.at(-1).usage.completion_tokens, 3);
    const point = await duration(model);
    assert.equal(point.value.count, 1);
    assert.ok(point.value.sum >= 0.08, `the whole stream: ${point.value.sum} s`);
    assert.equal(point.attributes['error.type'], undefined);
    assert.deepEqual([(await usage(model, 'input')).value.count, (await usage(model, 'output')).value.sum], [1, 3]);
  });

  it('records no usage for a stream without a usage chunk', async () => {
    const model = 'client-stream-no-usage';
    const stream = await genAiCall({ model, provider: 'openai' }, chat(model, { stream: true }));
    for await (const chunk of stream) void chunk;
    const point = await duration(model);
    assert.equal(point.value.count, 1);
    assert.ok(point.value.sum >= 0.08, `to the end of the stream: ${point.value.sum} s`);
    assert.equal(await usage(model, 'output'), undefined);
  });

  it('records a stream broken off after its first chunk once, without error.type', async () => {
    const model = 'client-stream-abandoned';
    const stream = await genAiCall({ model, provider: 'openai' }, chat(model, { stream: true, stream_options: { include_usage: true } }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(await duration(model), undefined, 'not before it is read');
    for await (const chunk of stream) {
      void chunk;
      break;
    }
    const point = await duration(model);
    assert.equal(point.value.count, 1);
    assert.equal(point.attributes['error.type'], undefined);
    assert.equal(await usage(model, 'output'), undefined, 'the usage chunk never came');
  });

  it('rethrows a failed call unchanged and records it with error.type', async () => {
    await assert.rejects(genAiCall({ model: 'bad-model', provider: 'openai' }, chat('bad-model')), (err) => err instanceof OpenAI.BadRequestError && err.status === 400 && err.code === 'model_not_found');
    const point = await duration('bad-model');
    assert.equal(point.attributes['error.type'], 'BadRequestError');
    assert.equal(await usage('bad-model', 'input'), undefined);
  });

  it('records embeddings as their operation, with input tokens only', async () => {
    const model = 'client-embed';
    const answer = await genAiCall({ model, provider: 'openai', operation: 'embeddings' }, () => client.embeddings.create({ model, input: ['a', 'b'] }));
    assert.deepEqual(answer.data[1].embedding, [0.5, -0.25]);
    assert.equal((await duration(model)).attributes['gen_ai.operation.name'], 'embeddings');
    assert.equal((await usage(model, 'input')).value.sum, 4);
    assert.equal(await usage(model, 'output'), undefined);
  });

  it('inside a request: the usage goes to the request (SERVER span, tenant and route), as recordCost does', async () => {
    const app = express();
    app.use(otelMiddleware());
    app.get('/v1/ask', async (_req, res) => {
      const completion = await genAiCall({ model: 'client-in-request', provider: 'openai' }, chat('client-in-request'));
      res.json({ text: completion.choices[0].message.content });
    });
    const server = await listen(app);
    try {
      await request(server.url).get('/v1/ask').set('x-tenant-id', 'client-tenant').expect(200, { text: WORDS.join('') });
      const [span] = await waitForServerSpans(telemetry);
      assert.deepEqual([span.attributes['gen_ai.usage.input_tokens'], span.attributes['gen_ai.usage.output_tokens']], [9, 3]);
      const base = { 'tenant.id': 'client-tenant', 'http.route': '/v1/ask', 'gen_ai.request.model': 'client-in-request' };
      assert.equal((await metricPoint(telemetry, 'gen_ai.client.operation.duration', base)).value.count, 1);
      assert.equal((await metricPoint(telemetry, 'gen_ai.client.token.usage', { ...base, 'gen_ai.token.type': 'output' })).value.sum, 3);
    } finally {
      await server.close();
    }
  });

  it('throws a TypeError naming a bad option before calling', async () => {
    let called = false;
    await assert.rejects(genAiCall({ model: '' }, () => (called = true)), /genAiCall: "model" must be a non-empty string/);
    await assert.rejects(genAiCall({ price: { input: -1 } }, () => (called = true)), /genAiCall: "price" must be/);
    assert.equal(called, false);
    assert.equal((await metricPoints(telemetry, 'gen_ai.client.operation.duration')).filter((p) => p.attributes['gen_ai.request.model'] === '').length, 0);
  });
});
