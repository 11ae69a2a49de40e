'use strict';
const assert = require('node:assert/strict');
const request = require('supertest');
const express = require('express');
const { agent, gateway, SPAN_NAMES, METRIC_NAMES } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/express');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, metricPoint, metricPoints, serverSpans } = require('../support/telemetry');
const { spansByName, assertChildOf, assertFailed } = require('./support');

describe('agent helpers', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  it('nests memory, tools and the LLM call under agent.task.execute with the documented attributes', async () => {
    const result = await agent.executeTask({ agentId: 'planner', taskId: 't-1', taskType: 'answer' }, async () => {
      const memories = await agent.retrieveMemory(async () => ['m1', 'm2', 'm3']);
      await agent.updateMemory({ memoryType: 'episodic', memoryId: 'mem-9' }, () => 'stored');
      await agent.executeTools({ toolsCount: 2 }, async () => 'tools ran');
      const llm = await agent.callLlm(async () => ({ text: 'hi', tokens: 150, cost: 0.0021 }));
      return { memories: memories.length, text: llm.text };
    });
    assert.deepEqual(result, { memories: 3, text: 'hi' });
    const s = spansByName(telemetry);
    const task = s[SPAN_NAMES.AGENT_TASK_EXECUTE][0];
    assert.deepEqual([task.attributes['agent.id'], task.attributes['task.id'], task.attributes['task.type']], ['planner', 't-1', 'answer']);
    for (const name of ['agent.memory.retrieve', 'agent.memory.update', 'agent.tool.execute', 'agent.llm.call']) assertChildOf(s[name][0], task);
    assert.equal(s['agent.memory.retrieve'][0].attributes['memory.count'], 3);
    assert.equal(s['agent.memory.update'][0].attributes['memory.type'], 'episodic');
    assert.equal(s['agent.memory.update'][0].attributes['memory.id'], 'mem-9');
    assert.equal(s['agent.tool.execute'][0].attributes['tools.count'], 2);
    assert.equal(s['agent.llm.call'][0].attributes['llm.tokens'], 150);
    assert.equal(s['agent.llm.call'][0].attributes['llm.cost'], 0.0021);

    const duration = await metricPoint(telemetry, METRIC_NAMES.AGENT_TASK_DURATION, { 'task.type': 'answer' });
    assert.equal(duration.value.count, 1);
    assert.equal(duration.descriptor.unit, 's');
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.AGENT_TASKS_EXECUTED, { status: 'success' })).value, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.AGENT_MEMORY_RETRIEVAL_DURATION, { status: 'success' })).value.count, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.AGENT_MEMORY_UPDATES, { memory_type: 'episodic' })).value, 1);
  });

  it('records a failing task: exception, ERROR up the tree, agent.tasks.executed with error_type', async () => {
    await assert.rejects(
      agent.executeTask({ agentId: 'planner', taskId: 't-2', taskType: 'answer' }, () => agent.callLlm(async () => { throw new RangeError('context too long'); })),
      /context too long/,
    );
    const s = spansByName(telemetry);
    assertFailed(s['agent.llm.call'][0], 'context too long');
    assertFailed(s['agent.task.execute'][0], 'context too long');
    const failed = await metricPoint(telemetry, METRIC_NAMES.AGENT_TASKS_EXECUTED, { status: 'error', error_type: 'RangeError' });
    assert.equal(failed.value, 1);
  });
});

describe('helper metrics: a status the function set', () => {
  const countOf = async (telemetry, attributes) => (await metricPoint(telemetry, METRIC_NAMES.AGENT_TASKS_EXECUTED, attributes))?.value ?? 0;

  for (const sampleRatio of [1, 0]) {
    it(`count a task whose function set its span's status to error as an error, sampled or not (sampleRatio ${sampleRatio})`, async () => {
      const telemetry = await startMemoryTelemetry({ traces: { sampleRatio } });
      try {
        const task = { agentId: 'planner', taskId: 't-3', taskType: `status-${sampleRatio}` };
        const result = await agent.executeTask(task, (span) => {
          span.setStatus('error', 'no answer found');
          return 'fallback';
        });
        assert.equal(result, 'fallback', 'the result is the caller\'s');
        assert.equal(await countOf(telemetry, { 'task.type': task.taskType, status: 'error' }), 1);
        assert.equal(await countOf(telemetry, { 'task.type': task.taskType, status: 'success' }), 0);
        const errored = await metricPoint(telemetry, METRIC_NAMES.AGENT_TASKS_EXECUTED, { 'task.type': task.taskType, status: 'error' });
        assert.equal(errored.attributes.error_type, undefined, 'nothing was thrown, so no error class');

        // OK is final, for the span (the SDK) and for the metric.
        await agent.executeTask(task, (span) => {
          span.setStatus('ok');
          span.setStatus('error');
        });
        assert.equal(await countOf(telemetry, { 'task.type': task.taskType, status: 'success' }), 1);
      } finally {
        await telemetry.shutdown();
      }
    });
  }
});

describe('gateway helpers', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  const provider = { provider: 'openai', model: 'gpt-4o' };
  const generate = (cache) =>
    gateway.generate({ model: 'gpt-4o', prompt: 'hello there', tenantId: 'acme' }, async () => {
      const cached = await gateway.checkCache({ model: 'gpt-4o' }, async () => cache.get('k'));
      if (cached !== undefined) return cached;
      const r = await gateway.callProvider(provider, async () => ({ text: 'hi', promptTokens: 12, completionTokens: 4, costUsd: 0.0003 }));
      cache.set('k', r.text);
      return r.text;
    });

  it('records generate, cache miss then hit, and one provider call with tokens and cost', async () => {
    const cache = new Map();
    assert.equal(await generate(cache), 'hi');
    assert.equal(await generate(cache), 'hi');
    const s = spansByName(telemetry);
    const [first, second] = s['gateway.generate'];
    assert.equal(first.attributes['gateway.model'], 'gpt-4o');
    assert.equal(first.attributes['gateway.tenant_id'], 'acme');
    assert.equal(first.attributes['gateway.prompt.length'], 11);
    const [miss, hit] = s['gateway.cache.check'];
    assertChildOf(miss, first);
    assertChildOf(hit, second);
    assert.equal(miss.attributes['cache.hit'], false);
    assert.equal(hit.attributes['cache.hit'], true);
    assert.equal(s['gateway.provider.call'].length, 1);
    const call = s['gateway.provider.call'][0];
    assertChildOf(call, first);
    assert.deepEqual(
      ['provider', 'model', 'tokens.prompt', 'tokens.completion', 'tokens.total', 'cost.usd', 'gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens'].map((k) => call.attributes[k]),
      ['openai', 'gpt-4o', 12, 4, 16, 0.0003, 'openai', 'gpt-4o', 12, 4],
    );
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_CACHE_HITS, { model: 'gpt-4o' })).value, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_CACHE_MISSES, { model: 'gpt-4o' })).value, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_PROVIDER_CALLS, { provider: 'openai', model: 'gpt-4o', status: 'success' })).value, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_REQUEST_DURATION, { model: 'gpt-4o' })).value.count, 2);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_COST, { 'gen_ai.provider.name': 'openai' })).value, 0.0003);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_TOKENS_USED, { 'gen_ai.token.type': 'output' })).value, 4);
  });

  it('counts a null from the cache (a Redis miss) as a miss', async () => {
    assert.equal(await gateway.checkCache({ model: 'null-model' }, async () => null), null);
    assert.equal(spansByName(telemetry)['gateway.cache.check'][0].attributes['cache.hit'], false);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_CACHE_MISSES, { model: 'null-model' })).value, 1);
    assert.equal(await metricPoint(telemetry, METRIC_NAMES.GATEWAY_CACHE_HITS, { model: 'null-model' }), undefined);
  });

  it('records a provider error on the call and on generate, and counts it', async () => {
    await assert.rejects(gateway.generate({ model: 'fail-model', prompt: 'x' }, () => gateway.callProvider({ provider: 'sim', model: 'fail-model' }, async () => { throw new Error('provider unavailable'); })), /provider unavailable/);
    const s = spansByName(telemetry);
    assertFailed(s['gateway.provider.call'][0], 'provider unavailable');
    assertFailed(s['gateway.generate'][0], 'provider unavailable');
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_PROVIDER_CALLS, { model: 'fail-model', status: 'error' })).value, 1);
  });

  it('inside an HTTP request: children of the SERVER span, tenant.id and http.route picked up, cost recorded once through recordCost', async () => {
    const app = express();
    app.use(otelMiddleware());
    app.post('/v1/generate', async (req, res) => res.json({ text: await generate(new Map()) }));
    const server = await listen(app);
    try {
      await request(server.url).post('/v1/generate').set('x-tenant-id', 'globex').expect(200);
      await new Promise((r) => setTimeout(r, 20));
      const [httpSpan] = serverSpans(telemetry.getFinishedSpans());
      const s = spansByName(telemetry);
      assertChildOf(s['gateway.generate'][0], httpSpan);
      for (const span of [s['gateway.generate'][0], s['gateway.cache.check'][0], s['gateway.provider.call'][0]]) {
        assert.equal(span.attributes['tenant.id'], 'globex');
        assert.equal(span.attributes['http.route'], '/v1/generate');
      }
      assert.equal(httpSpan.attributes['gen_ai.usage.input_tokens'], 12);
      assert.equal(httpSpan.attributes['motadata.llm.cost.usd'], 0.0003);
      const costs = (await metricPoints(telemetry, METRIC_NAMES.GATEWAY_COST)).filter((p) => p.attributes['tenant.id'] === 'globex');
      assert.equal(costs.length, 1, 'one series, not a second copy without the route');
      assert.equal(costs[0].attributes['http.route'], '/v1/generate');
      assert.equal(costs[0].value, 0.0003);
      assert.equal((await metricPoint(telemetry, METRIC_NAMES.GATEWAY_CACHE_MISSES, { 'tenant.id': 'globex' })).value, 1);
    } finally {
      await server.close();
    }
  });
});
