'use strict';
// A client that goes away mid-stream: the SERVER span ends aborted, and the tokens and cost
// produced so far are recorded exactly once, whether or not the handler records them itself
// after the abort.
const assert = require('node:assert/strict');
const { STREAM_FRAMEWORKS, runs, INPUT_TOKENS, costOf } = require('./support/stream-apps');
const { readSse } = require('./support/sse-client');
const { listen } = require('./support/servers');
const { startMemoryTelemetry, waitForServerSpans, metricPoint, metricTotal } = require('./support/telemetry');

describe('RequestOtel streaming when the client disconnects mid-stream', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  // Sums of every metric the stream's usage goes to, for one tenant.
  async function totals(tenant) {
    const ofTenant = (type) => (a) => a['tenant.id'] === tenant && (type === undefined || a['gen_ai.token.type'] === type);
    const usage = async (type) => (await metricPoint(telemetry, 'gen_ai.client.token.usage', { 'tenant.id': tenant, 'gen_ai.token.type': type }))?.value ?? { count: 0, sum: 0 };
    return {
      inputTokens: await metricTotal(telemetry, 'gateway.tokens.used', ofTenant('input')),
      outputTokens: await metricTotal(telemetry, 'gateway.tokens.used', ofTenant('output')),
      usd: await metricTotal(telemetry, 'gateway.cost', ofTenant()),
      outputOperations: (await usage('output')).count,
      outputUsageSum: (await usage('output')).sum,
    };
  }

  for (const framework of STREAM_FRAMEWORKS) {
    describe(framework.name, () => {
      let server;
      before(async () => (server = await listen(framework.create())));
      after(() => server.close());

      const cases = [
        ['stream(), no recordCost()', ''],
        ['stream(), recordCost() after the abort', '&record=yes'],
        ['streamProgress(), no recordCost()', '&manual=1'],
        ['streamProgress(), recordCost() after the abort', '&manual=1&record=yes'],
      ];
      for (const [api, query] of cases) {
        it(`${api}: the span ends aborted and the tokens and cost so far are recorded once`, async () => {
          const tenant = `abort-${framework.name}-${api}`.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 64);
          const before = await totals(tenant);
          const res = await readSse(`${server.url}/v1/chat/${tenant}?n=40&first=10&every=30${query}`, { headers: { 'x-tenant-id': tenant }, destroyAfter: 2 });
          assert.equal(res.destroyed, true);
          const run = runs.get(tenant);
          await run.done;
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.attributes['error.type'], 'aborted');
          assert.equal(span.status.code, 2, 'ERROR');
          assert.ok(run.received >= 2 && run.received < 10, `the handler stopped after ${run.received} tokens`);
          assert.equal(span.attributes['gen_ai.usage.output_tokens'], run.received);

          const after = await totals(tenant);
          assert.equal(after.outputTokens - before.outputTokens, run.received, 'output tokens: what was produced');
          assert.equal(after.inputTokens - before.inputTokens, INPUT_TOKENS, 'input tokens: once');
          assert.ok(Math.abs(after.usd - before.usd - costOf(run.received)) < 1e-15, `cost ${after.usd - before.usd} for ${run.received} tokens`);
          assert.equal(after.outputOperations - before.outputOperations, 1, 'one gen_ai.client.token.usage point for the stream');
          assert.equal(after.outputUsageSum - before.outputUsageSum, run.received);

          const attributes = { 'tenant.id': tenant, 'http.route': '/v1/chat/:id', 'gen_ai.request.model': 'sim-chat' };
          const duration = await metricPoint(telemetry, 'gen_ai.server.request.duration', attributes);
          assert.equal(duration.attributes['error.type'], 'aborted');
          assert.equal(duration.value.count, 1);
          assert.equal(await metricPoint(telemetry, 'gen_ai.server.time_to_first_token', attributes), undefined, 'TTFT is for successful responses');
        });
      }
    });
  }
});
