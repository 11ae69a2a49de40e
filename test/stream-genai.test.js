'use strict';
// req.otel.stream(), streamStarted() and streamProgress(): the first-token event on the SERVER
// span, the GenAI server metrics, and the stream's usage recorded once.
const assert = require('node:assert/strict');
const express = require('express');
const request = require('supertest');
const { otelMiddleware } = require('@motadata/otel/express');
const { STREAM_FRAMEWORKS, runs, INPUT_TOKENS, costOf } = require('./support/stream-apps');
const { readSse } = require('./support/sse-client');
const { listen } = require('./support/servers');
const { startMemoryTelemetry, waitForServerSpans, metricPoint, metricPoints } = require('./support/telemetry');

const ms = ([seconds, nanos]) => seconds * 1e3 + nanos / 1e6;
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

describe('RequestOtel streaming: stream(), streamStarted(), streamProgress()', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  for (const framework of STREAM_FRAMEWORKS) {
    describe(framework.name, () => {
      let server;
      before(async () => (server = await listen(framework.create())));
      after(() => server.close());

      const cases = [
        ['stream()', ''],
        ['stream() and recordCost() at the end', '&record=yes'],
        ['streamStarted() and streamProgress()', '&manual=1'],
        ['streamStarted(), streamProgress() and recordCost() at the end', '&manual=1&record=yes'],
      ];
      for (const [api, query] of cases) {
        it(`${api}: a gen_ai.first_token event, TTFT, time per output token, request duration, and the usage once`, async () => {
          const tenant = `${framework.name}-${api}`.replace(/[^A-Za-z0-9]+/g, '-');
          const id = tenant;
          const res = await readSse(`${server.url}/v1/chat/${id}?n=5&first=60&every=20${query}`, { headers: { 'x-tenant-id': tenant } });
          assert.equal(res.events.length, 5);
          await runs.get(id).done;
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.attributes['http.route'], '/v1/chat/:id');
          const events = span.events.filter((e) => e.name === 'gen_ai.first_token');
          assert.equal(events.length, 1, 'one first-token event');
          const firstAt = ms(events[0].time) - ms(span.startTime);
          assert.ok(firstAt >= 55 && firstAt < ms(span.duration) - 60, `first token ${firstAt} ms into ${ms(span.duration)} ms`);
          assert.equal(span.attributes['gen_ai.request.model'], 'sim-chat');
          assert.equal(span.attributes['gen_ai.usage.output_tokens'], 5);
          assert.equal(span.attributes['gen_ai.usage.input_tokens'], INPUT_TOKENS);

          const attributes = { 'tenant.id': tenant, 'http.route': '/v1/chat/:id', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'sim-chat', 'gen_ai.provider.name': 'sim' };
          const ttft = await metricPoint(telemetry, 'gen_ai.server.time_to_first_token', attributes);
          assert.equal(ttft.value.count, 1);
          assert.ok(ttft.value.sum >= 0.055 && ttft.value.sum < 0.5, `TTFT ${ttft.value.sum}`);
          assert.equal(ttft.descriptor.unit, 's');
          assert.deepEqual(ttft.value.buckets.boundaries, TTFT_BUCKETS);
          const tpot = await metricPoint(telemetry, 'gen_ai.server.time_per_output_token', attributes);
          assert.equal(tpot.value.count, 1);
          assert.ok(tpot.value.sum >= 0.015 && tpot.value.sum < 0.2, `per token ${tpot.value.sum}`);
          assert.deepEqual(tpot.value.buckets.boundaries, TPOT_BUCKETS);
          const duration = await metricPoint(telemetry, 'gen_ai.server.request.duration', attributes);
          assert.equal(duration.value.count, 1);
          assert.ok(duration.value.sum >= ttft.value.sum + 0.075, `duration ${duration.value.sum}`);
          assert.equal(duration.attributes['error.type'], undefined);
          assert.deepEqual(duration.value.buckets.boundaries, DURATION_BUCKETS);

          const output = await metricPoint(telemetry, 'gen_ai.client.token.usage', { ...attributes, 'gen_ai.token.type': 'output' });
          assert.deepEqual([output.value.count, output.value.sum], [1, 5], 'one operation of 5 output tokens');
          assert.equal((await metricPoint(telemetry, 'gateway.tokens.used', { 'tenant.id': tenant, 'gen_ai.token.type': 'input' })).value, INPUT_TOKENS);
          assert.ok(Math.abs((await metricPoint(telemetry, 'gateway.cost', { 'tenant.id': tenant })).value - costOf(5)) < 1e-15);
        });
      }
    });
  }

  describe('arguments and ignored requests (Express 5)', () => {
    let server;
    const seen = {};
    before(async () => {
      const app = express();
      app.use(otelMiddleware({ ignore: ['/ignored'] }));
      const attempt = (fn) => {
        try {
          fn();
          return null;
        } catch (err) {
          return `${err.constructor.name}: ${err.message}`;
        }
      };
      app.get('/bad', (req, res) => {
        const otel = req.otel;
        res.json([
          attempt(() => otel.stream([1, 2])),
          attempt(() => otel.stream((async function* () {})(), { inputTokens: -1 })),
          attempt(() => otel.stream((async function* () {})(), { price: { output: Number.NaN } })),
          attempt(() => otel.stream((async function* () {})(), { model: '' })),
          attempt(() => otel.streamProgress(1.5)),
          attempt(() => otel.streamStarted({ provider: 7 })),
        ]);
      });
      app.get('/ignored', async (req, res) => {
        const chunks = (async function* () {
          yield 'a';
        })();
        seen.same = req.otel.stream(chunks, { model: 'm' }) === chunks;
        req.otel.streamStarted();
        req.otel.streamProgress(3);
        res.end('ok');
      });
      server = await listen(app);
    });
    after(() => server.close());

    it('throws a TypeError naming the bad argument, and records nothing for it', async () => {
      const res = await request(server.url).get('/bad').expect(200);
      assert.deepEqual(res.body, [
        'TypeError: stream: expected an async iterable of chunks, got object',
        'TypeError: stream: "inputTokens" must be a non-negative safe integer, got -1',
        'TypeError: stream: "price" must be { input?, output? }, each a finite non-negative number of USD per token',
        'TypeError: stream: "model" must be a non-empty string, got ""',
        'TypeError: stream: "outputTokens" must be a non-negative safe integer, got 1.5',
        'TypeError: stream: "provider" must be a non-empty string, got number',
      ]);
      const [span] = await waitForServerSpans(telemetry);
      assert.deepEqual(span.events, []);
      assert.equal(await metricPoint(telemetry, 'gen_ai.server.request.duration', { 'http.route': '/bad' }), undefined, 'no stream was started');
    });

    it('hands an ignored request its chunks unchanged and records nothing', async () => {
      const before = (await metricPoints(telemetry, 'gen_ai.server.request.duration')).length;
      await request(server.url).get('/ignored').expect(200);
      assert.equal(seen.same, true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal((await metricPoints(telemetry, 'gen_ai.server.request.duration')).length, before);
    });
  });
});
