'use strict';
// The middleware entries, tracedFetch, injectTraceHeaders and instrumentOutbound need
// @opentelemetry/api alone: a process with every SDK, core, resources, exporter, instrumentation
// and propagator package made unloadable still loads them (require and import) and traces,
// through whatever tracer the app registered (here a tiny one on the API).
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');

const FIXTURE = path.join(__dirname, 'fixtures', 'api-only');
const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

function runBlocked() {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--require', path.join(FIXTURE, 'block-sdk.js'), path.join(FIXTURE, 'app.js')], { cwd: path.join(__dirname, '..'), timeout: 15000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message} (exit ${err.code}, signal ${err.signal})\n${stderr}\n${stdout}`));
      else resolve({ result: JSON.parse(stdout), stderr });
    });
  });
}

describe('API-only entry points (@motadata/otel/express, /koa, tracedFetch, injectTraceHeaders, instrumentOutbound)', () => {
  let run;
  before(async () => (run = await runBlocked()));

  it('load and serve with every SDK package unloadable, and try to load none of them', () => {
    assert.equal(run.stderr, '', 'no blocked package was asked for');
    assert.deepEqual(run.result.openTelemetryPackagesLoaded, ['@opentelemetry/api', '@opentelemetry/semantic-conventions']);
    assert.equal(run.result.esmSameMiddleware, true);
  });

  it('make one SERVER span per request through the app\'s tracer, the caller\'s child, named by route, with the tenant', () => {
    const servers = run.result.spans.filter((s) => s.kind === 1);
    assert.deepEqual(servers.map((s) => s.name).sort(), ['GET /carts/:id', 'GET /orders/:id']);
    for (const span of servers) {
      assert.equal(span.traceId, CALLER_TRACE);
      assert.equal(span.parentSpanId, CALLER_SPAN);
      assert.equal(span.attributes['tenant.id'], 'acme');
    }
    assert.equal(run.result.expressBody.tenant, 'acme');
    assert.equal(run.result.koaBody.tenant, 'acme');
  });

  it('send the trace downstream from tracedFetch\'s CLIENT span, and inject it with injectTraceHeaders', () => {
    const server = run.result.spans.find((s) => s.name === 'GET /orders/:id');
    const client = run.result.spans.find((s) => s.kind === 2 && s.attributes['url.full'].endsWith('/'));
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(run.result.seen.downstreamTraceparent, `00-${CALLER_TRACE}-${client.spanId}-01`);
    assert.equal(run.result.seen.injected.traceparent, `00-${CALLER_TRACE}-${server.spanId}-01`);
  });

  it('trace a plain fetch and an http.get with instrumentOutbound(): a CLIENT span each, the callee its child; nothing while tracing is suppressed', () => {
    const server = run.result.spans.find((s) => s.name === 'GET /orders/:id');
    const clients = run.result.spans.filter((s) => s.kind === 2);
    assert.deepEqual(clients.map((s) => new URL(s.attributes['url.full']).pathname), ['/', '/fetch', '/http'], 'one span each, none for the suppressed fetch');
    for (const client of clients) {
      assert.equal(client.parentSpanId, server.spanId);
      assert.equal(client.traceId, CALLER_TRACE);
      assert.equal(client.attributes['http.response.status_code'], 200);
    }
    const { outbound } = run.result.seen;
    assert.equal(outbound.fetch, `00-${CALLER_TRACE}-${clients[1].spanId}-01`);
    // node:http takes headers from a channel where Node publishes http.client.request.created (22.12+).
    assert.equal(outbound.http, run.result.httpHeadersSettable ? `00-${CALLER_TRACE}-${clients[2].spanId}-01` : null);
    assert.equal(outbound.suppressed, null);
  });
});
