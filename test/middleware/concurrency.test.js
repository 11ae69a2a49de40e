'use strict';
const assert = require('node:assert/strict');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, waitForSpans, serverSpans, parentSpanId } = require('../support/telemetry');

const CONCURRENT = 500;

describe('otelMiddleware(): concurrent requests', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());

  for (const framework of FRAMEWORKS) {
    it(`${framework.name}: ${CONCURRENT} interleaved requests with awaits inside never cross traces`, async function () {
      this.timeout(30000);
      telemetry.reset();
      const app = await listen(framework.create());
      try {
        const bodies = await Promise.all(
          Array.from({ length: CONCURRENT }, (_, n) => fetch(`${app.url}/v1/work/${n}`).then((r) => r.json())),
        );
        const spans = await waitForSpans(telemetry, (s) => serverSpans(s).length === CONCURRENT && s.filter((x) => x.name === 'work').length === CONCURRENT, 10000);
        const serversById = new Map(serverSpans(spans).map((s) => [s.spanContext().spanId, s]));
        assert.equal(new Set(bodies.map((b) => b.traceId)).size, CONCURRENT, 'every request has its own trace');
        for (const body of bodies) {
          assert.equal(body.childTraceId, body.traceId, `request ${body.n}: its child span is in its own trace`);
          const server = serversById.get(body.serverSpanId);
          assert.equal(server.attributes['url.path'], `/v1/work/${body.n}`);
          const child = spans.find((s) => s.spanContext().spanId === body.childSpanId);
          assert.equal(parentSpanId(child), body.serverSpanId, `request ${body.n}: the child's parent is its SERVER span`);
        }
      } finally {
        await app.close();
      }
    });
  }
});
