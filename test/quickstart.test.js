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

/** Starts an example with `env`; its first line says its URL, the rest of its output goes to `onOutput`. */
function startApp(file, env, onOutput = () => {}) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'quickstart', file)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => (line.startsWith('{"url"') ? resolve(JSON.parse(line).url) : onOutput(`${line}\n`)));
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

  it('prints its spans on the console with OTEL_TRACES_EXPORTER=console, one trace id across both services (the README\'s run)', async () => {
    const consoleEnv = { OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'console', OTEL_LOGS_EXPORTER: 'console', OTEL_BSP_SCHEDULE_DELAY: '100' };
    const output = { gateway: '', agent: '' };
    const gateway = startApp('koa-app.js', { ...consoleEnv, PORT: '0' }, (chunk) => (output.gateway += chunk));
    apps.push(gateway);
    const agent = startApp('express-app.js', { ...consoleEnv, PORT: '0', GATEWAY_URL: await gateway.ready }, (chunk) => (output.agent += chunk));
    apps.push(agent);
    const res = await fetch(`${await agent.ready}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' }, body: JSON.stringify({ prompt: 'hi' }) });
    const { traceId } = await res.json();
    // The console exporter writes each span as an object: its name, then its traceId.
    const spanNamed = (text, name) => new RegExp(`traceId: '${traceId}'[\\s\\S]*?name: '${name.replace('/', '\\/')}'|name: '${name.replace('/', '\\/')}'[\\s\\S]*?traceId: '${traceId}'`).test(text);
    const deadline = Date.now() + 10000;
    while (!(spanNamed(output.agent, 'POST /v1/tasks') && spanNamed(output.gateway, 'POST /v1/generate')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(spanNamed(output.agent, 'POST /v1/tasks'), output.agent);
    assert.ok(spanNamed(output.gateway, 'POST /v1/generate'), output.gateway);
  });
});
