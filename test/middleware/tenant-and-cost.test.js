'use strict';
const assert = require('node:assert/strict');
const request = require('supertest');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, waitForServerSpans, metricPoints, metricPoint, metricTotal } = require('../support/telemetry');

describe('otelMiddleware(): tenant, cost and options', () => {
  for (const framework of FRAMEWORKS) {
    describe(framework.name, () => {
      // A telemetry per framework: metrics are cumulative, and a check must not pass on another
      // framework's data.
      let telemetry;
      const servers = [];
      const serve = async (options) => {
        const server = await listen(framework.create(options));
        servers.push(server);
        return server.url;
      };
      let url;
      before(async () => {
        telemetry = await startMemoryTelemetry();
        url = await serve();
      });
      after(async () => {
        await Promise.all(servers.map((s) => s.close()));
        await telemetry.shutdown();
      });
      beforeEach(() => telemetry.reset());

      describe('tenant', () => {
        it('takes the tenant from x-tenant-id: span attribute, handler, latency metric', async () => {
          const res = await request(url).get('/v1/items/1').set('x-tenant-id', 'acme').expect(200);
          assert.equal(res.body.tenant, 'acme');
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.attributes['tenant.id'], 'acme');
          const point = await metricPoint(telemetry, 'http.server.request.duration', { 'tenant.id': 'acme' });
          assert.ok(point);
        });

        it('falls back to the caller\'s baggage', async () => {
          const res = await request(url).get('/v1/items/1').set('baggage', 'tenant.id=globex,other=1').expect(200);
          assert.equal(res.body.tenant, 'globex');
        });

        it('prefers the header over baggage', async () => {
          const res = await request(url).get('/v1/items/1').set('x-tenant-id', 'acme').set('baggage', 'tenant.id=globex').expect(200);
          assert.equal(res.body.tenant, 'acme');
        });

        it('uses resolveTenant when neither has one, and survives it throwing', async () => {
          let calls = 0;
          const resolving = await serve({
            tenant: {
              resolveTenant: (req) => {
                calls += 1;
                const query = req.query ?? {};
                if (query.explode) throw new Error('resolver failed');
                return 'from-resolver';
              },
            },
          });
          assert.equal((await request(resolving).get('/v1/items/1').expect(200)).body.tenant, 'from-resolver');
          assert.equal((await request(resolving).get('/v1/items/1').set('x-tenant-id', 'acme').expect(200)).body.tenant, 'acme');
          assert.equal(calls, 1, 'not called when the header has a tenant');
          assert.equal((await request(resolving).get('/v1/items/1?explode=1').expect(200)).body.tenant, null);
        });

        it('drops an invalid tenant and counts it in tenant.rejected', async () => {
          const before = (await metricPoint(telemetry, 'tenant.rejected', { reason: 'invalid' }))?.value ?? 0;
          const res = await request(url).get('/v1/items/1').set('x-tenant-id', 'acme corp; drop table').expect(200);
          assert.equal(res.body.tenant, null);
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.attributes['tenant.id'], undefined);
          const after = (await metricPoint(telemetry, 'tenant.rejected', { reason: 'invalid' })).value;
          assert.equal(after - before, 1);
          await request(url).get('/v1/items/1').set('x-tenant-id', 'x'.repeat(65)).expect(200);
          assert.equal((await metricPoint(telemetry, 'tenant.rejected', { reason: 'invalid' })).value - before, 2);
        });

        it('accepts a custom validator', async () => {
          const strict = await serve({ tenant: { validate: /^t-\d+$/ } });
          assert.equal((await request(strict).get('/v1/items/1').set('x-tenant-id', 't-42').expect(200)).body.tenant, 't-42');
          assert.equal((await request(strict).get('/v1/items/1').set('x-tenant-id', 'acme').expect(200)).body.tenant, null);
        });

        it('treats a tenant.validate that throws as a rejection: the request and its span go on', async () => {
          const throwing = await serve({
            tenant: {
              validate: (id) => {
                if (id === 'boom') throw new Error('validator bug');
                return true;
              },
            },
          });
          const before = (await metricPoint(telemetry, 'tenant.rejected', { reason: 'invalid' }))?.value ?? 0;
          const res = await request(throwing).get('/v1/items/1').set('x-tenant-id', 'boom').expect(200);
          assert.equal(res.body.tenant, null);
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.attributes['http.route'], '/v1/items/:id');
          assert.equal(span.attributes['tenant.id'], undefined);
          assert.equal((await metricPoint(telemetry, 'tenant.rejected', { reason: 'invalid' })).value - before, 1);
        });

        it('caps distinct tenants in metrics at maxTenants; spans keep the real one', async () => {
          const capped = await serve({ tenant: { maxTenants: 2 } });
          const others = await metricTotal(telemetry, 'http.server.request.duration', (a) => a['tenant.id'] === '__other__');
          const slug = framework.name.replace(/\W/g, '');
          const names = ['a', 'b', 'c', 'd', 'a'].map((n) => `cap-${slug}-${n}`);
          for (const tenant of names) await request(capped).get('/v1/items/1').set('x-tenant-id', tenant).expect(200);
          const spans = await waitForServerSpans(telemetry, 5);
          assert.deepEqual(spans.map((s) => s.attributes['tenant.id']), names);
          const points = await metricPoints(telemetry, 'http.server.request.duration');
          const count = (tenant) => points.filter((p) => p.attributes['tenant.id'] === tenant).reduce((n, p) => n + p.value.count, 0);
          assert.equal(count(names[0]), 2);
          assert.equal(count(names[1]), 1);
          assert.equal(count(names[2]), 0);
          assert.equal(count(names[3]), 0);
          assert.equal(count('__other__'), others + 2);
        });

        it('reads the tenant from another header when configured', async () => {
          const custom = await serve({ tenant: { header: 'X-Org' } });
          assert.equal((await request(custom).get('/v1/items/1').set('x-org', 'initech').expect(200)).body.tenant, 'initech');
        });
      });

      describe('recordCost()', () => {
        it('adds the calls up on the SERVER span', async () => {
          await request(url).post('/v1/generate').set('x-tenant-id', 'acme').expect(200);
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.attributes['gen_ai.request.model'], 'gpt-4o');
          assert.equal(span.attributes['gen_ai.provider.name'], 'openai');
          assert.equal(span.attributes['gen_ai.usage.input_tokens'], 120);
          assert.equal(span.attributes['gen_ai.usage.output_tokens'], 30);
          assert.ok(Math.abs(span.attributes['motadata.llm.cost.usd'] - 0.003) < 1e-12);
          assert.equal(span.attributes['gen_ai.system'], undefined, 'not the deprecated name');
        });

        it('records gateway.cost, gateway.tokens.used and gen_ai.client.token.usage per tenant, route and model', async () => {
          const tenant = `cost-${framework.name.replace(/\W/g, '')}`;
          await request(url).post('/v1/generate').set('x-tenant-id', tenant).expect(200);
          const base = { 'tenant.id': tenant, 'http.route': '/v1/generate', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai' };
          const cost = await metricPoint(telemetry, 'gateway.cost', base);
          assert.ok(Math.abs(cost.value - 0.003) < 1e-12);
          assert.equal(cost.descriptor.unit, 'USD');
          const input = await metricPoint(telemetry, 'gateway.tokens.used', { ...base, 'gen_ai.token.type': 'input' });
          const output = await metricPoint(telemetry, 'gateway.tokens.used', { ...base, 'gen_ai.token.type': 'output' });
          assert.equal(input.value, 120);
          assert.equal(output.value, 30);
          assert.equal(input.descriptor.unit, '{token}');
          const usage = await metricPoint(telemetry, 'gen_ai.client.token.usage', { ...base, 'gen_ai.token.type': 'input', 'gen_ai.operation.name': 'chat' });
          assert.equal(usage.value.count, 2);
          assert.equal(usage.value.sum, 120);
          assert.deepEqual(usage.value.buckets.boundaries.slice(0, 4), [1, 4, 16, 64]);
        });

        it('puts only what was given on the span: a cost alone is no "zero tokens"', async () => {
          await request(url).get('/v1/bad-cost').query({ field: 'usd', value: '0.5', kind: 'number' }).set('x-tenant-id', 'cost-only').expect(200);
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.attributes['motadata.llm.cost.usd'], 0.5);
          assert.equal(span.attributes['gen_ai.usage.input_tokens'], undefined);
          assert.equal(span.attributes['gen_ai.usage.output_tokens'], undefined);
        });

        const bad = [
          ['usd', '-1', 'number', /"usd" must be a number in \[0, 1000000\], got -1/],
          ['usd', 'NaN', 'number', /"usd" must be a number in \[0, 1000000\], got NaN/],
          ['usd', 'cheap', 'string', /"usd" must be a number in \[0, 1000000\], got "cheap"/],
          // Two of these made the cost span attribute and the gateway.cost series +Inf for good.
          ['usd', '1e308', 'number', /"usd" must be a number in \[0, 1000000\], got 1e\+308/],
          ['inputTokens', '1.5', 'number', /"inputTokens" must be a non-negative safe integer, got 1.5/],
          // Exported as an int64 it is no count at all.
          ['inputTokens', '1e308', 'number', /"inputTokens" must be a non-negative safe integer, got 1e\+308/],
          ['outputTokens', '-3', 'number', /"outputTokens" must be a non-negative safe integer/],
        ];
        for (const [field, value, kind, message] of bad) {
          it(`throws a TypeError for ${field}=${value} (${kind}) and records nothing`, async () => {
            const tenant = `bad-${field}-${value}`.replace(/[^A-Za-z0-9.-]/g, '');
            const res = await request(url).get('/v1/bad-cost').query({ field, value, kind }).set('x-tenant-id', tenant).expect(400);
            assert.equal(res.body.type, 'TypeError');
            assert.match(res.body.error, message);
            const [span] = await waitForServerSpans(telemetry);
            assert.equal(span.attributes['motadata.llm.cost.usd'], undefined);
            assert.equal(span.attributes['gen_ai.request.model'], undefined);
            assert.equal(await metricPoint(telemetry, 'gateway.cost', { 'tenant.id': tenant }), undefined);
            assert.equal(await metricPoint(telemetry, 'gateway.tokens.used', { 'tenant.id': tenant }), undefined);
          });
        }
      });

      describe('ignore', () => {
        it('makes no span and no metric for ignored requests (strings, RegExps, predicates)', async () => {
          const ignoring = await serve({ ignore: ['/health', /^\/v1\/status\//, (req) => (req.headers ?? req.request.headers)['x-probe'] === '1'] });
          const recorded = await metricTotal(telemetry, 'http.server.request.duration');
          await request(ignoring).get('/health').expect(200);
          await request(ignoring).get('/v1/status/204').expect(204);
          await request(ignoring).get('/v1/items/77').set('x-probe', '1').expect(200);
          await request(ignoring).get('/v1/items/78').expect(200);
          const spans = await waitForServerSpans(telemetry, 1);
          await new Promise((resolve) => setTimeout(resolve, 50));
          assert.deepEqual(telemetry.getFinishedSpans().map((s) => s.attributes['url.path']), ['/v1/items/78']);
          assert.equal(await metricTotal(telemetry, 'http.server.request.duration'), recorded + 1, 'only /v1/items/78 is recorded');
          assert.equal(spans.length, 1);
        });

        it('still gives ignored handlers a req.otel whose recordCost records nothing', async () => {
          const ignoring = await serve({ ignore: ['/v1/generate'] });
          const costs = await Promise.all(['gateway.cost', 'gateway.tokens.used'].map((name) => metricTotal(telemetry, name)));
          await request(ignoring).post('/v1/generate').set('x-tenant-id', 'ignored-tenant').expect(200);
          // Any cost of it, with whatever attributes: an ignored request has no tenant to filter by.
          assert.deepEqual(await Promise.all(['gateway.cost', 'gateway.tokens.used'].map((name) => metricTotal(telemetry, name))), costs);
        });
      });

      describe('captureHeaders', () => {
        it('records only the listed request and response headers, as string arrays', async () => {
          const capturing = await serve({ captureHeaders: { request: ['X-Request-Id'], response: ['x-response-id'] } });
          await request(capturing).get('/v1/timing').set('x-request-id', 'q-1').set('authorization', 'Bearer secret').set('cookie', 'a=b').expect(200);
          const [span] = await waitForServerSpans(telemetry);
          assert.deepEqual(span.attributes['http.request.header.x-request-id'], ['q-1']);
          assert.deepEqual(span.attributes['http.response.header.x-response-id'], ['r-1']);
          assert.equal(span.attributes['http.request.header.authorization'], undefined);
          assert.equal(span.attributes['http.request.header.cookie'], undefined);
        });
      });
    });
  }
});
