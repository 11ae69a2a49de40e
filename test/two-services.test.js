'use strict';
// Two real services on real sockets: A's handler calls B through tracedFetch.
const assert = require('node:assert/strict');
const request = require('supertest');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { FRAMEWORKS } = require('./support/apps');
const { listen } = require('./support/servers');
const { startMemoryTelemetry, waitForSpans, serverSpans, clientSpans, parentSpanId } = require('./support/telemetry');

describe('two services joined by tracedFetch()', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  // Every pairing of caller and callee framework, so Express and Koa interoperate both ways.
  for (const caller of [FRAMEWORKS[0], FRAMEWORKS[2]]) {
    for (const callee of [FRAMEWORKS[1], FRAMEWORKS[3]]) {
      it(`${caller.name} -> ${callee.name}: one trace, B's SERVER span is the child of A's CLIENT span, tenant via baggage`, async () => {
        const b = await listen(callee.create());
        const a = await listen(caller.create());
        try {
          const res = await request(a.url).get('/v1/call').query({ to: b.url }).set('x-tenant-id', 'acme').expect(200);
          const spans = await waitForSpans(telemetry, (s) => serverSpans(s).length === 2 && clientSpans(s).length === 1);
          const [client] = clientSpans(spans);
          const serverA = serverSpans(spans).find((s) => s.attributes['http.route'] === '/v1/call');
          const serverB = serverSpans(spans).find((s) => s.attributes['http.route'] === '/v1/items/:id');
          const traceId = serverA.spanContext().traceId;
          for (const span of [client, serverA, serverB]) assert.equal(span.spanContext().traceId, traceId);
          assert.equal(parentSpanId(client), serverA.spanContext().spanId);
          assert.equal(parentSpanId(serverB), client.spanContext().spanId);
          // B never saw x-tenant-id: the tenant travelled in W3C baggage.
          assert.equal(serverB.attributes['tenant.id'], 'acme');
          assert.equal(res.body.downstream.tenant, 'acme');
          assert.equal(res.body.downstream.traceId, traceId);
          assert.equal(client.kind, SpanKind.CLIENT);
          assert.equal(client.name, 'GET');
          assert.equal(client.attributes['http.request.method'], 'GET');
          assert.equal(client.attributes['server.address'], '127.0.0.1');
          assert.equal(client.attributes['server.port'], Number(new URL(b.url).port));
          assert.equal(client.attributes['url.full'], `${b.url}/v1/items/7`);
          assert.equal(client.attributes['http.response.status_code'], 200);
          assert.equal(client.status.code, SpanStatusCode.UNSET);
        } finally {
          await a.close();
          await b.close();
        }
      });
    }
  }
});
