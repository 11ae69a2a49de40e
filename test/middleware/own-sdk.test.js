'use strict';
// An app that sets up its own MeterProvider instead of calling initTelemetry(): the middleware
// records through the SDK instrument, with the same attributes and buckets.
const assert = require('node:assert/strict');
const request = require('supertest');
const { metrics } = require('@opentelemetry/api');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');

class PullReader extends MetricReader {
  onForceFlush() { return Promise.resolve(); }
  onShutdown() { return Promise.resolve(); }
}

describe('otelMiddleware() with an application-owned MeterProvider', () => {
  let reader;
  let provider;
  before(() => {
    reader = new PullReader();
    provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
  });
  after(async () => {
    await provider.shutdown();
    metrics.disable();
  });

  it('records http.server.request.duration through the SDK histogram', async () => {
    const app = await listen(FRAMEWORKS[0].create());
    try {
      await request(app.url).get('/v1/items/1').set('x-tenant-id', 'own').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'http.server.request.duration');
      const point = metric.dataPoints.find((p) => p.attributes['tenant.id'] === 'own');
      assert.equal(point.attributes['http.route'], '/v1/items/:id');
      assert.equal(point.value.count, 1);
      assert.equal(metric.descriptor.unit, 's');
      assert.deepEqual(point.value.buckets.boundaries.slice(0, 3), [0.005, 0.01, 0.025]);
    } finally {
      await app.close();
    }
  });
});
