'use strict';
// An app that sets up its own OpenTelemetry (its own NodeSDK, as a vendor distro or
// auto-instrumentations-node would) and uses only the middleware: spans go to that SDK, metrics
// to its meter provider, and the app's Views apply to every metric the kit records.
const assert = require('node:assert/strict');
const request = require('supertest');
const { context, metrics, propagation, trace } = require('@opentelemetry/api');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const { MetricReader, createAllowListAttributesProcessor } = require('@opentelemetry/sdk-metrics');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');

class PullReader extends MetricReader {
  onForceFlush() { return Promise.resolve(); }
  onShutdown() { return Promise.resolve(); }
}

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('otelMiddleware() in an app that runs its own NodeSDK', () => {
  let sdk;
  let spans;
  let reader;
  before(() => {
    spans = new InMemorySpanExporter();
    reader = new PullReader();
    sdk = new NodeSDK({
      spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
      metricReaders: [reader],
      textMapPropagator: new W3CTraceContextPropagator(),
      views: [
        // The app's Views: the tenant kept off the latency metric, the cost metric renamed.
        { instrumentName: 'http.server.request.duration', attributesProcessors: [createAllowListAttributesProcessor(['http.request.method', 'http.route', 'http.response.status_code'])] },
        { instrumentName: 'gateway.cost', name: 'llm.spend' },
      ],
      instrumentations: [],
      autoDetectResources: false,
    });
    sdk.start();
  });
  after(async () => {
    await sdk.shutdown();
    for (const api of [trace, metrics, propagation, context]) api.disable();
  });

  async function collected() {
    const { resourceMetrics } = await reader.collect();
    return Object.fromEntries(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  }

  for (const framework of FRAMEWORKS) {
    it(`${framework.name}: one SERVER span in the app's SDK, the caller's child, with route and tenant`, async () => {
      spans.reset();
      const app = await listen(framework.create());
      try {
        await request(app.url).get('/v1/items/1').set('traceparent', CALLER).set('x-tenant-id', 'own').expect(200);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const servers = spans.getFinishedSpans().filter((s) => s.kind === 1);
        assert.equal(servers.length, 1);
        assert.equal(servers[0].name, 'GET /v1/items/:id');
        assert.equal(servers[0].attributes['tenant.id'], 'own');
        assert.equal(servers[0].spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
        assert.equal(servers[0].parentSpanContext.spanId, 'b7ad6b7169203331');
      } finally {
        await app.close();
      }
    });
  }

  it('records http.server.request.duration through the app\'s meter provider, its View dropping tenant.id', async () => {
    const app = await listen(FRAMEWORKS[0].create());
    try {
      await request(app.url).get('/v1/items/2').set('x-tenant-id', 'own').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const metric = (await collected())['http.server.request.duration'];
      assert.equal(metric.descriptor.unit, 's');
      assert.deepEqual(metric.dataPoints[0].value.buckets.boundaries.slice(0, 3), [0.005, 0.01, 0.025]);
      for (const point of metric.dataPoints) assert.equal(point.attributes['tenant.id'], undefined);
      const point = metric.dataPoints.find((p) => p.attributes['http.route'] === '/v1/items/:id');
      assert.ok(point.value.count >= 1);
    } finally {
      await app.close();
    }
  });

  it('records recordCost\'s cost under the name the app\'s View gives it', async () => {
    const app = await listen(FRAMEWORKS[0].create());
    try {
      await request(app.url).post('/v1/generate').set('x-tenant-id', 'own').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const byName = await collected();
      assert.equal(byName['gateway.cost'], undefined);
      const point = byName['llm.spend'].dataPoints.find((p) => p.attributes['tenant.id'] === 'own');
      assert.ok(Math.abs(point.value - 0.003) < 1e-9);
      assert.equal(byName['gateway.tokens.used'].dataPoints.find((p) => p.attributes['tenant.id'] === 'own' && p.attributes['gen_ai.token.type'] === 'input').value, 120);
    } finally {
      await app.close();
    }
  });
});
