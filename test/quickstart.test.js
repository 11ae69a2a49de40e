'use strict';
// The README quickstart, as two real processes (Express calling Koa), exporting OTLP/HTTP JSON
// to a receiver through the standard OTEL_* variables: one trace across both.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const { startOtlpReceiver } = require('./support/otlp-receiver');

const SERVER = 2; // OTLP SpanKind enum: SPAN_KIND_SERVER
const CLIENT = 3;

function startApp(file, env) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'quickstart', file)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line).url));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { child, ready };
}

describe('the README quickstart (Express -> Koa, two processes)', function () {
  this.timeout(30000);
  let receiver;
  const apps = [];
  before(async () => (receiver = await startOtlpReceiver()));
  after(async () => {
    await Promise.all(apps.map(({ child }) => (child.exitCode === null ? new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }) : undefined)));
    await receiver.close();
  });

  it('gives one trace across both services, with the tenant in both', async () => {
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
    const gateway = startApp('koa-app.js', { ...otel, PORT: '0' });
    apps.push(gateway);
    const gatewayUrl = await gateway.ready;
    const agent = startApp('express-app.js', { ...otel, PORT: '0', GATEWAY_URL: gatewayUrl });
    apps.push(agent);
    const agentUrl = await agent.ready;

    const res = await fetch(`${agentUrl}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' }, body: JSON.stringify({ prompt: 'hi' }) });
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.answer.tenant, 'acme');

    const deadline = Date.now() + 10000;
    while (receiver.spans.filter((s) => s.traceId === body.traceId).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const trace = receiver.spans.filter((s) => s.traceId === body.traceId);
    const agentServer = trace.find((s) => s.service === 'agent' && s.kind === SERVER);
    const agentClient = trace.find((s) => s.service === 'agent' && s.kind === CLIENT);
    const gatewayServer = trace.find((s) => s.service === 'gateway' && s.kind === SERVER);
    assert.equal(agentServer.name, 'POST /v1/tasks');
    assert.equal(gatewayServer.name, 'POST /v1/generate');
    assert.equal(agentClient.parentSpanId, agentServer.spanId);
    assert.equal(gatewayServer.parentSpanId, agentClient.spanId);
    assert.equal(agentServer.attributes['tenant.id'], 'acme');
    assert.equal(gatewayServer.attributes['tenant.id'], 'acme');
    assert.equal(gatewayServer.attributes['gen_ai.usage.input_tokens'], 120);
  });
});
