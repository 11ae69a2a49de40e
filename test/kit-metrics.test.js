'use strict';
// The kit's own aggregation of its hot metrics (src/aggregation.ts, src/kit-metrics.ts):
// http.server.request.duration, gateway.cost, gateway.tokens.used, gen_ai.client.token.usage.
const assert = require('node:assert/strict');
const { costMetrics, kitMetricProducer, requestDurations } = require('../dist/src/kit-metrics.js');
const { OTELMetrics } = require('../dist/src/index.js');

async function collected() {
  const { resourceMetrics } = await kitMetricProducer.collect();
  const metrics = resourceMetrics.scopeMetrics[0]?.metrics ?? [];
  return Object.fromEntries(metrics.map((m) => [m.descriptor.name, m]));
}

describe('kit-aggregated metrics', () => {
  // The producer is process-wide, like the SDK's globals; no telemetry runs during this suite.
  beforeEach(() => kitMetricProducer.enable());
  after(() => kitMetricProducer.disable());

  it('keeps one cumulative duration series per method, route, status, tenant and error type', async () => {
    requestDurations.record(0.003, 'GET', 'http', '/v1/items/:id', 200, 'acme', undefined);
    requestDurations.record(0.2, 'GET', 'http', '/v1/items/:id', 200, 'acme', undefined);
    requestDurations.record(12, 'GET', 'http', '/v1/items/:id', 200, 'acme', undefined);
    requestDurations.record(0.01, 'GET', 'http', undefined, 404, undefined, undefined);
    requestDurations.record(0.05, 'POST', 'http', '/v1/generate', 500, 'acme', 'Error');
    const metric = (await collected())['http.server.request.duration'];
    assert.equal(metric.descriptor.unit, 's');
    assert.equal(metric.dataPoints.length, 3);
    const items = metric.dataPoints[0];
    assert.deepEqual({ ...items.attributes }, { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 200, 'http.route': '/v1/items/:id', 'tenant.id': 'acme' });
    assert.equal(items.value.count, 3);
    assert.equal(items.value.sum, 12.203);
    assert.equal(items.value.min, 0.003);
    assert.equal(items.value.max, 12);
    // 0.003 in the first bucket (<= 0.005), 0.2 in (0.1, 0.25], 12 past the last boundary.
    assert.equal(items.value.buckets.counts[0], 1);
    assert.equal(items.value.buckets.counts[items.value.buckets.boundaries.indexOf(0.25)], 1);
    assert.equal(items.value.buckets.counts.at(-1), 1);
    assert.deepEqual({ ...metric.dataPoints[1].attributes }, { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 404 });
    assert.equal(metric.dataPoints[2].attributes['error.type'], 'Error');
    // Cumulative: a second collection still has everything.
    assert.equal((await collected())['http.server.request.duration'].dataPoints[0].value.count, 3);
  });

  it('keeps 2000 series counting one overflow series, as the SDK does', async () => {
    for (let i = 0; i < 2005; i++) requestDurations.record(0.01, 'GET', 'http', `/r${i}`, 200, undefined, undefined);
    // A route seen before the limit keeps its own series.
    requestDurations.record(0.02, 'GET', 'http', '/r0', 200, undefined, undefined);
    const metric = (await collected())['http.server.request.duration'];
    assert.equal(metric.dataPoints.length, 2000);
    const overflow = metric.dataPoints.at(-1);
    assert.deepEqual({ ...overflow.attributes }, { 'otel.metric.overflow': true });
    assert.equal(overflow.value.count, 6);
    assert.equal(metric.dataPoints[0].value.count, 2);
  });

  it('keeps no cache entries for attribute sets past the limit (a gateway passing on callers\' model names stays bounded)', async () => {
    // Every Map reachable from the cache, counted: what memory the hot path's cache holds.
    const mapsIn = (level) => (level instanceof Map ? 1 + [...level.values()].reduce((n, next) => n + mapsIn(next), 0) : 0);
    const entriesIn = (level) => (level instanceof Map ? [...level.values()].reduce((n, next) => n + (next instanceof Map ? entriesIn(next) : 1), 0) : 0);
    for (let i = 0; i < 2000; i++) costMetrics.series('acme', '/v1/generate', `model-${i}`, 'openai').cost.add(1);
    const atLimit = [mapsIn(costMetrics.cache), entriesIn(costMetrics.cache)];
    for (let i = 2000; i < 7000; i++) costMetrics.series('acme', '/v1/generate', `model-${i}`, 'openai').cost.add(1);
    assert.deepEqual([mapsIn(costMetrics.cache), entriesIn(costMetrics.cache)], atLimit);
    const cost = (await collected())['gateway.cost'];
    assert.equal(cost.dataPoints.length, 2000);
    assert.equal(cost.dataPoints.at(-1).value, 5001);

    // Tokens only (no cost series made): bounded by the token metrics' limit.
    kitMetricProducer.enable();
    for (let i = 0; i < 2000; i++) costMetrics.series('acme', '/v1/embed', `model-${i}`, 'openai').tokenSeries('embeddings', 'input')[0].add(1);
    const tokensAtLimit = entriesIn(costMetrics.cache);
    for (let i = 2000; i < 7000; i++) costMetrics.series('acme', '/v1/embed', `model-${i}`, 'openai').tokenSeries('embeddings', 'input')[0].add(1);
    assert.equal(entriesIn(costMetrics.cache), tokensAtLimit);

    for (let i = 0; i < 2000; i++) requestDurations.record(0.01, 'GET', 'http', `/r${i}`, 200, undefined, undefined);
    const durationsAtLimit = mapsIn(requestDurations.cache);
    for (let i = 0; i < 3000; i++) requestDurations.record(0.01, 'GET', 'http', '/r0', 200, `tenant-${i}`, undefined);
    assert.equal(mapsIn(requestDurations.cache), durationsAtLimit);
  });

  it('makes no gateway.cost series for a tokens-only cost, and records nothing for a cost with no amount', async () => {
    const { recordCostOutsideRequest } = require('../dist/src/index.js');
    recordCostOutsideRequest({ inputTokens: 12, model: 'embed-only', operation: 'embeddings' });
    recordCostOutsideRequest({ model: 'no-amount' });
    const metrics = await collected();
    const ofModel = (name, model) => (metrics[name]?.dataPoints ?? []).filter((p) => p.attributes['gen_ai.request.model'] === model);
    assert.deepEqual(ofModel('gateway.cost', 'embed-only'), [], 'an embedding model has no cost series of 0');
    assert.equal(ofModel('gateway.tokens.used', 'embed-only')[0].value, 12);
    for (const name of ['gateway.cost', 'gateway.tokens.used', 'gen_ai.client.token.usage']) assert.deepEqual(ofModel(name, 'no-amount'), [], name);
  });

  it('names the field of a BigInt amount or name instead of throwing from the message', () => {
    const { recordCostOutsideRequest } = require('../dist/src/index.js');
    assert.throws(() => recordCostOutsideRequest({ usd: 1n }), /"usd" must be a non-negative finite number, got 1n/);
    assert.throws(() => recordCostOutsideRequest({ usd: 1, model: 2n }), /"model" must be a non-empty string, got 2n/);
  });

  it('gives a reader that asks for delta the change since its last collection', async () => {
    const { AggregationTemporality } = require('@opentelemetry/sdk-metrics');
    const deltaReader = kitMetricProducer.forReader();
    deltaReader.reader = { selectAggregationTemporality: () => AggregationTemporality.DELTA };
    const cumulativeReader = kitMetricProducer.forReader();
    cumulativeReader.reader = { selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE };
    const byName = async (producer) => Object.fromEntries(((await producer.collect()).resourceMetrics.scopeMetrics[0]?.metrics ?? []).map((m) => [m.descriptor.name, m]));

    costMetrics.series('acme', '/g', 'gpt-4o', 'openai').cost.add(0.5);
    costMetrics.series('beta', '/g', 'gpt-4o', 'openai').cost.add(2);
    requestDurations.record(0.003, 'GET', 'http', '/a', 200, undefined, undefined);
    requestDurations.record(0.2, 'GET', 'http', '/a', 200, undefined, undefined);
    const first = await byName(deltaReader);
    assert.equal(first['gateway.cost'].aggregationTemporality, AggregationTemporality.DELTA);
    assert.deepEqual(first['gateway.cost'].dataPoints.map((p) => p.value), [0.5, 2]);
    assert.equal(first['http.server.request.duration'].dataPoints[0].value.count, 2);

    costMetrics.series('acme', '/g', 'gpt-4o', 'openai').cost.add(0.25);
    requestDurations.record(7, 'GET', 'http', '/a', 200, undefined, undefined);
    const second = await byName(deltaReader);
    // Only the series that changed, by how much; the interval starts where the last one ended.
    assert.deepEqual(second['gateway.cost'].dataPoints.map((p) => [p.attributes['tenant.id'], p.value]), [['acme', 0.25]]);
    assert.deepEqual(second['gateway.cost'].dataPoints[0].startTime, first['gateway.cost'].dataPoints[0].endTime);
    const [point] = second['http.server.request.duration'].dataPoints;
    assert.equal(point.value.count, 1);
    assert.equal(point.value.sum, 7);
    assert.equal(point.value.buckets.counts.reduce((a, b) => a + b), 1);
    assert.equal(point.value.buckets.counts[point.value.buckets.boundaries.indexOf(7.5)], 1);
    assert.equal(point.value.min, undefined, 'an interval\'s min is not known from cumulative series');

    assert.deepEqual(await byName(deltaReader), {});
    // A cumulative reader of the same series is not affected by the delta reader's collections.
    const cumulative = await byName(cumulativeReader);
    assert.equal(cumulative['gateway.cost'].aggregationTemporality, AggregationTemporality.CUMULATIVE);
    assert.deepEqual(cumulative['gateway.cost'].dataPoints.map((p) => p.value), [0.75, 2]);
    assert.equal(cumulative['http.server.request.duration'].dataPoints[0].value.count, 3);
  });

  describe('the cardinality limit under delta temporality', () => {
    const { AggregationTemporality } = require('@opentelemetry/sdk-metrics');
    const readerOf = (temporality) => {
      const producer = kitMetricProducer.forReader();
      producer.reader = { selectAggregationTemporality: () => temporality };
      return producer;
    };
    const durationPoints = async (producer) => {
      const metrics = (await producer.collect()).resourceMetrics.scopeMetrics[0]?.metrics ?? [];
      return metrics.find((m) => m.descriptor.name === 'http.server.request.duration')?.dataPoints ?? [];
    };
    const routes = (points) => points.map((p) => p.attributes['http.route'] ?? 'overflow');

    it('counts the attribute sets of one interval when every reader is delta, as the SDK\'s delta storage does', async () => {
      const delta = readerOf(AggregationTemporality.DELTA);
      kitMetricProducer.enable([delta]);
      for (let i = 0; i < 2005; i++) requestDurations.record(0.01, 'GET', 'http', `/r${i}`, 200, undefined, undefined);
      const first = await durationPoints(delta);
      assert.equal(first.length, 2000);
      assert.equal(first.at(-1).value.count, 6, 'over the limit within one interval: overflow');

      // The next interval: new attribute sets get series of their own again, and a set seen
      // before (its cached series dropped with it) is counted afresh.
      for (let i = 0; i < 10; i++) requestDurations.record(0.01, 'GET', 'http', `/new${i}`, 200, undefined, undefined);
      requestDurations.record(0.02, 'GET', 'http', '/r0', 200, undefined, undefined);
      const second = await durationPoints(delta);
      assert.deepEqual(routes(second).sort(), [...Array.from({ length: 10 }, (_, i) => `/new${i}`), '/r0'].sort());
      assert.equal(second.find((p) => p.attributes['http.route'] === '/r0').value.count, 1);

      // Cost through the facade and the hot path alike.
      costMetrics.series('acme', '/g', 'm', 'p').cost.add(1);
      const { OTELMetrics } = require('../dist/src/index.js');
      new OTELMetrics().incrementCounter('gateway.cost', { 'tenant.id': 'acme', 'http.route': '/g', 'gen_ai.request.model': 'm', 'gen_ai.provider.name': 'p' }, 2);
      const cost = ((await delta.collect()).resourceMetrics.scopeMetrics[0].metrics).find((m) => m.descriptor.name === 'gateway.cost');
      assert.deepEqual(cost.dataPoints.map((p) => p.value), [3]);
    });

    it('keeps at most 2000 series for the life of the process while a reader takes them cumulative (memory bounded)', async () => {
      const delta = readerOf(AggregationTemporality.DELTA);
      const cumulative = readerOf(AggregationTemporality.CUMULATIVE);
      kitMetricProducer.enable([delta, cumulative]);
      for (let i = 0; i < 2005; i++) requestDurations.record(0.01, 'GET', 'http', `/r${i}`, 200, undefined, undefined);
      await durationPoints(delta);
      await durationPoints(cumulative);
      requestDurations.record(0.01, 'GET', 'http', '/late', 200, undefined, undefined);
      assert.deepEqual(routes(await durationPoints(delta)), ['overflow']);
      const all = await durationPoints(cumulative);
      assert.equal(all.length, 2000);
      assert.equal(all.at(-1).value.count, 7);
    });
  });

  it('leaves http.response.status_code out of a request that sent none', async () => {
    requestDurations.record(0.3, 'GET', 'http', '/v1/slow', undefined, undefined, 'aborted');
    const [point] = (await collected())['http.server.request.duration'].dataPoints;
    assert.deepEqual({ ...point.attributes }, { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.route': '/v1/slow', 'error.type': 'aborted' });
  });

  it('starts afresh on enable()', async () => {
    requestDurations.record(0.01, 'GET', 'http', '/x', 200, undefined, undefined);
    costMetrics.series('acme', '/x', 'gpt-4o', 'openai').cost.add(1);
    kitMetricProducer.enable();
    assert.deepEqual((await kitMetricProducer.collect()).resourceMetrics.scopeMetrics, []);
    // The fast-path caches were dropped too: a record after enable() is counted from zero.
    costMetrics.series('acme', '/x', 'gpt-4o', 'openai').cost.add(2);
    assert.equal((await collected())['gateway.cost'].dataPoints[0].value, 2);
  });

  it('adds OTELMetrics records of the same names to the same series, in any attribute order', async () => {
    const attributes = { 'tenant.id': 'acme', 'http.route': '/v1/generate', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai' };
    costMetrics.series('acme', '/v1/generate', 'gpt-4o', 'openai').cost.add(0.25);
    const facade = new OTELMetrics();
    facade.incrementCounter('gateway.cost', 0.5, { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'http.route': '/v1/generate', 'tenant.id': 'acme' });
    facade.incrementCounter('gateway.cost', 1, { 'tenant.id': 'other' });
    facade.recordHistogram('gen_ai.client.token.usage', 300, { ...attributes, 'gen_ai.operation.name': 'chat', 'gen_ai.token.type': 'input' });
    const [input] = costMetrics.series('acme', '/v1/generate', 'gpt-4o', 'openai').tokenSeries('chat', 'input');
    input.add(100);
    const metrics = await collected();
    const cost = metrics['gateway.cost'];
    assert.equal(cost.descriptor.unit, 'USD');
    assert.equal(cost.isMonotonic, true);
    assert.deepEqual(cost.dataPoints.map((p) => [{ ...p.attributes }, p.value]), [
      [attributes, 0.75],
      [{ 'tenant.id': 'other' }, 1],
    ]);
    const usage = metrics['gen_ai.client.token.usage'];
    assert.equal(usage.dataPoints.length, 1);
    assert.equal(usage.dataPoints[0].value.sum, 300);
    assert.equal(metrics['gateway.tokens.used'].dataPoints[0].value, 100);
    assert.equal(metrics['gateway.tokens.used'].dataPoints[0].attributes['gen_ai.token.type'], 'input');
  });

  it('keeps a copy of the attributes a facade caller passes, not the caller\'s object', async () => {
    const attributes = { 'tenant.id': 'acme' };
    new OTELMetrics().incrementCounter('gateway.cost', 1, attributes);
    attributes['tenant.id'] = 'changed';
    assert.equal(Object.isFrozen(attributes), false);
    assert.equal((await collected())['gateway.cost'].dataPoints[0].attributes['tenant.id'], 'acme');
  });
});
