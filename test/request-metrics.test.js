'use strict';
// The kit's own aggregation of http.server.request.duration (src/request-metrics.ts).
const assert = require('node:assert/strict');
const { RequestDurationHistogram } = require('../dist/src/request-metrics.js');

describe('RequestDurationHistogram', () => {
  it('keeps one cumulative series per method, route, status, tenant and error type', async () => {
    const h = new RequestDurationHistogram();
    h.enable();
    h.record(0.003, 'GET', '/v1/items/:id', 200, 'acme', undefined);
    h.record(0.2, 'GET', '/v1/items/:id', 200, 'acme', undefined);
    h.record(12, 'GET', '/v1/items/:id', 200, 'acme', undefined);
    h.record(0.01, 'GET', undefined, 404, undefined, undefined);
    h.record(0.05, 'POST', '/v1/generate', 500, 'acme', 'Error');
    const { resourceMetrics } = await h.collect();
    const [metric] = resourceMetrics.scopeMetrics[0].metrics;
    assert.equal(metric.descriptor.name, 'http.server.request.duration');
    assert.equal(metric.dataPoints.length, 3);
    const items = metric.dataPoints[0];
    assert.deepEqual({ ...items.attributes }, { 'http.request.method': 'GET', 'http.response.status_code': 200, 'http.route': '/v1/items/:id', 'tenant.id': 'acme' });
    assert.equal(items.value.count, 3);
    assert.equal(items.value.sum, 12.203);
    assert.equal(items.value.min, 0.003);
    assert.equal(items.value.max, 12);
    // 0.003 in the first bucket (<= 0.005), 0.2 in (0.1, 0.25], 12 past the last boundary.
    assert.equal(items.value.buckets.counts[0], 1);
    assert.equal(items.value.buckets.counts[items.value.buckets.boundaries.indexOf(0.25)], 1);
    assert.equal(items.value.buckets.counts.at(-1), 1);
    assert.deepEqual({ ...metric.dataPoints[1].attributes }, { 'http.request.method': 'GET', 'http.response.status_code': 404 });
    assert.equal(metric.dataPoints[2].attributes['error.type'], 'Error');
    // Cumulative: a second collection still has everything.
    const again = (await h.collect()).resourceMetrics.scopeMetrics[0].metrics[0];
    assert.equal(again.dataPoints[0].value.count, 3);
  });

  it('sends series past 2000 to one overflow series, as the SDK does', async () => {
    const h = new RequestDurationHistogram();
    h.enable();
    for (let i = 0; i < 2005; i++) h.record(0.01, 'GET', `/r${i}`, 200, undefined, undefined);
    const [metric] = (await h.collect()).resourceMetrics.scopeMetrics[0].metrics;
    assert.equal(metric.dataPoints.length, 2001);
    const overflow = metric.dataPoints.at(-1);
    assert.deepEqual({ ...overflow.attributes }, { 'otel.metric.overflow': true });
    assert.equal(overflow.value.count, 5);
  });

  it('starts afresh on enable()', async () => {
    const h = new RequestDurationHistogram();
    h.enable();
    h.record(0.01, 'GET', '/x', 200, undefined, undefined);
    h.enable();
    assert.deepEqual((await h.collect()).resourceMetrics.scopeMetrics, []);
  });
});
