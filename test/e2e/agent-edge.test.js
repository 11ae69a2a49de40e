'use strict';
// The agent is the edge of the example system: what it accepts from callers and what it sends
// to rag (plain fetch) and the gateway (the openai package). Run in-process against a fake
// downstream that records each request; the headers it sees come from the kit's automatic
// outbound propagation (initTelemetry's `outbound`, on by default), not from the agent's code.
const assert = require('node:assert/strict');
const { listen } = require('../support/servers');
const { traceFromServerTiming } = require('../support/expect');
const { startMemoryTelemetry } = require('../support/telemetry');
const { createAgentApp } = require('../../examples/agent-gateway-rag/agent');

const FOREIGN_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('examples/agent-gateway-rag: createAgentApp() at the edge', () => {
  let telemetry;
  let downstream;
  let agent;
  let seen = [];

  before(async () => {
    telemetry = await startMemoryTelemetry({ serviceName: 'agent' });
    downstream = await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({ url: req.url, headers: req.headers });
        res.setHeader('content-type', 'application/json');
        if (req.url === '/v1/query') {
          res.end(JSON.stringify({ answer: 'Rotate it in Settings.', sources: [], usage: { promptTokens: 10, completionTokens: 5, gatewayCalls: 2, cacheHits: 0 }, costUsd: 0.001 }));
        } else {
          res.setHeader('x-gateway-cache', 'miss');
          const message = { role: 'assistant', content: 'Rotate it in Settings.', refusal: null };
          const usage = { prompt_tokens: 20, completion_tokens: 6, total_tokens: 26 };
          res.end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1700000000, model: 'local-small', choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }], usage }));
        }
      });
    });
    agent = await listen(createAgentApp({ ragUrl: downstream.url, gatewayUrl: downstream.url }));
  });
  after(async () => {
    await agent.close();
    await downstream.close();
    await telemetry.shutdown();
  });
  beforeEach(() => {
    seen = [];
    telemetry.reset();
  });

  const task = (headers, body = { prompt: 'How do I rotate an API key?' }) =>
    fetch(`${agent.url}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('sends the tenant to rag and the gateway as W3C baggage, never as x-tenant-id', async () => {
    const res = await task({ 'x-tenant-id': 'acme' });
    assert.equal(res.status, 200);
    const { traceId } = traceFromServerTiming({ headers: { 'server-timing': res.headers.get('server-timing') } });
    const body = await res.json();
    assert.deepEqual(body.tokens, { input: 30, output: 11, total: 41 });
    // rag's own cost, plus the gateway's usage at local-small's price: 20 × 0.15 + 6 × 0.6 USD per million tokens.
    assert.equal(body.costUsd, 0.0010066);
    assert.deepEqual(body.cache, { hits: 0, calls: 3 });

    assert.deepEqual(seen.map((r) => r.url), ['/v1/query', '/v1/chat/completions']);
    for (const { headers } of seen) {
      assert.equal(headers['x-tenant-id'], undefined, 'x-tenant-id is not forwarded');
      assert.match(headers.baggage, /(^|,)\s*tenant\.id=acme\s*(,|;|$)/);
      assert.equal(headers.traceparent.split('-')[1], traceId, 'downstream joins the same trace');
    }
  });

  it('does not trust a caller\'s traceparent or baggage: a new trace, the tenant from x-tenant-id only', async () => {
    const res = await task({ 'x-tenant-id': 'acme', traceparent: `00-${FOREIGN_TRACE}-00f067aa0ba902b7-01`, baggage: 'tenant.id=globex' });
    assert.equal(res.status, 200);
    assert.notEqual((await res.json()).traceId, FOREIGN_TRACE);
    for (const { headers } of seen) assert.doesNotMatch(headers.baggage, /globex/);

    const noHeader = await task({ baggage: 'tenant.id=globex' });
    assert.equal(noHeader.status, 400);
    assert.match((await noHeader.json()).error, /x-tenant-id/);
    assert.equal(seen.length, 2, 'a task without a tenant calls nothing downstream');
  });

  it('rejects a bad request with 400 before calling anything', async () => {
    const res = await task({ 'x-tenant-id': 'acme' }, { prompt: '' });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /prompt/);
    const notBoolean = await task({ 'x-tenant-id': 'acme' }, { prompt: 'How?', stream: 'yes' });
    assert.equal(notBoolean.status, 400);
    assert.match((await notBoolean.json()).error, /"stream" must be a boolean/);
    assert.equal(seen.length, 0);
  });
});
