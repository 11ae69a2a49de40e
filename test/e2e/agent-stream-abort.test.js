'use strict';
// examples/agent-gateway-rag, three processes: a client that goes away in the middle of a
// streamed answer. The gateway stops generating and records the tokens it did send, and their
// cost, exactly once: on its SERVER span and in its metrics, neither missing nor counted twice.
const assert = require('node:assert/strict');
const http = require('node:http');
const OpenAI = require('openai');
const { ServiceGroup } = require('../../examples/agent-gateway-rag/demo/processes');
const { startOtlpReceiver } = require('../../examples/agent-gateway-rag/demo/otlp-receiver');
const { groupByTrace, firstTokenMs } = require('../../examples/agent-gateway-rag/demo/trace-tree');
const { traceIdOf } = require('../../examples/agent-gateway-rag/demo/scenario');
const { currentSeries } = require('../../examples/agent-gateway-rag/demo/metrics-summary');
const { createModelSimulator, cost } = require('../../examples/agent-gateway-rag/lib/model-simulator');

const MODEL = 'local-small';
const MESSAGES = [
  { role: 'system', content: 'Context:\nTo rotate an API key without downtime, create a new key in Settings, deploy it to every service, then revoke the old key.' },
  { role: 'user', content: 'Question: how do I rotate an API key without downtime?' },
];
const PROMPT = 'When does the on-call rotation start?';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs a streamed task to the agent and destroys the socket once `after` token events arrived. */
function abortTaskStream(agentUrl, tenant, after) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${agentUrl}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': tenant } }, (res) => {
      let tokens = 0;
      res.setEncoding('utf8');
      res.on('data', (text) => {
        tokens += (text.match(/^event: token$/gm) ?? []).length;
        if (tokens >= after) {
          req.destroy();
          resolve({ status: res.statusCode, traceId: traceIdOf({ headers: new Headers({ 'server-timing': res.headers['server-timing'] }) }), tokens });
        }
      });
      res.on('end', () => reject(new Error(`the stream ended after ${tokens} tokens, before the client went away`)));
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ prompt: PROMPT, model: MODEL, stream: true }));
  });
}

async function streamedTask(agentUrl, tenant) {
  const res = await fetch(`${agentUrl}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': tenant }, body: JSON.stringify({ prompt: PROMPT, model: MODEL, stream: true }) });
  const text = await res.text();
  return { status: res.status, traceId: traceIdOf(res), text };
}

describe('examples/agent-gateway-rag: a client leaves in the middle of a streamed answer', function () {
  this.timeout(60000);
  let receiver;
  let group;
  let traces;
  let points;
  let direct;
  let complete;
  let aborted;
  const expected = createModelSimulator({ latencyMs: 0 }).stream({ model: MODEL, prompt: MESSAGES.map((m) => m.content).join('\n') });

  /** The gateway's SERVER spans of a trace, and its one streamed response among them. */
  const gatewaySpans = (traceId) => (traces.get(traceId) ?? []).filter((s) => s.service === 'gateway' && s.kind === 'SERVER');
  const streamOf = (traceId) => {
    const streams = gatewaySpans(traceId).filter((s) => firstTokenMs(s) !== undefined);
    assert.equal(streams.length, 1, 'one streamed gateway response in the trace');
    return streams[0];
  };
  /** The gateway's metric points for a tenant. */
  const gatewayPoints = (name, tenant) => points.filter((p) => p.service === 'gateway' && p.name === name && p.attributes['tenant.id'] === tenant);
  const total = (list) => list.reduce((n, p) => n + (p.type === 'histogram' ? p.sum : p.value), 0);
  const count = (list) => list.reduce((n, p) => n + p.count, 0);

  before(async () => {
    receiver = await startOtlpReceiver();
    group = new ServiceGroup({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '60000', // the final flush on SIGTERM exports them
      SIMULATOR_LATENCY_MS: '5',
      SIMULATOR_TOKEN_DELAY_MS: '30',
    });
    const urls = await group.start();

    // The openai package, straight to the gateway, breaking off its loop after 3 tokens.
    const client = new OpenAI({ baseURL: `${urls.gateway}/v1`, apiKey: 'local', maxRetries: 0, defaultHeaders: { baggage: 'tenant.id=hooli' } });
    const stream = await client.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    let received = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content && ++received === 3) break;
    direct = { received };

    // Through the agent: one task read to its end, the same task left after 3 tokens.
    complete = await streamedTask(urls.agent, 'initech');
    aborted = await abortTaskStream(urls.agent, 'umbrella', 3);
    await sleep(300); // the agent stops the gateway's stream at its next token
    await group.stop();
    traces = groupByTrace(receiver.spans);
    points = currentSeries(receiver.metricPoints);
  });
  after(async () => {
    await group?.stop();
    await receiver?.close();
  });

  it('stops the gateway\'s stream when the openai client breaks off, and records the tokens and cost sent, once', () => {
    const spans = receiver.spans.filter((s) => s.service === 'gateway' && s.kind === 'SERVER' && s.attributes['tenant.id'] === 'hooli');
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.equal(span.attributes['error.type'], 'aborted');
    const input = span.attributes['gen_ai.usage.input_tokens'];
    const output = span.attributes['gen_ai.usage.output_tokens'];
    assert.equal(input, expected.promptTokens, 'the prompt counted once');
    assert.ok(output >= direct.received && output < expected.completionTokens, `${output} of ${expected.completionTokens} tokens sent, ${direct.received} read`);
    const usd = cost(MODEL, input, output);
    assert.ok(usd > 0);
    assert.equal(span.attributes['motadata.llm.cost.usd'], usd);

    // The metrics hold this one call: once, with the span's amounts.
    assert.equal(total(gatewayPoints('gateway.cost', 'hooli')), usd);
    const tokens = (type) => gatewayPoints('gateway.tokens.used', 'hooli').filter((p) => p.attributes['gen_ai.token.type'] === type);
    assert.deepEqual([total(tokens('input')), total(tokens('output'))], [input, output]);
    const usage = (type) => gatewayPoints('gen_ai.client.token.usage', 'hooli').filter((p) => p.attributes['gen_ai.token.type'] === type);
    assert.deepEqual([count(usage('input')), total(usage('input')), count(usage('output')), total(usage('output'))], [1, input, 1, output]);
    const durations = gatewayPoints('gen_ai.server.request.duration', 'hooli');
    assert.deepEqual(durations.map((p) => [p.count, p.attributes['error.type']]), [[1, 'aborted']]);
    assert.equal(gatewayPoints('gen_ai.server.time_to_first_token', 'hooli').length, 0, 'time to first token is for complete responses only');
  });

  it('stops the gateway\'s stream when the agent\'s caller goes away, and records what was sent, once', () => {
    assert.equal(complete.status, 200);
    assert.match(complete.text, /^event: result$/m);
    assert.equal(aborted.status, 200);
    const full = streamOf(complete.traceId);
    const cut = streamOf(aborted.traceId);
    assert.equal(full.attributes['error.type'], undefined);
    assert.equal(cut.attributes['error.type'], 'aborted');
    // The same prompt (the tenant's name aside): the prompt counted once, the answer cut short.
    assert.equal(cut.attributes['gen_ai.usage.input_tokens'], full.attributes['gen_ai.usage.input_tokens']);
    const output = cut.attributes['gen_ai.usage.output_tokens'];
    assert.ok(output >= aborted.tokens && output < full.attributes['gen_ai.usage.output_tokens'], `${output} of ${full.attributes['gen_ai.usage.output_tokens']} tokens`);
    const usd = cost(MODEL, cut.attributes['gen_ai.usage.input_tokens'], output);
    assert.ok(usd > 0);
    assert.equal(cut.attributes['motadata.llm.cost.usd'], usd);

    // The tenant's gateway metrics are the trace's gateway spans (embeddings, rag's answer, the
    // stream), each counted once.
    const spans = gatewaySpans(aborted.traceId);
    assert.equal(spans.length, 3);
    const spanTotal = (key) => spans.reduce((n, s) => n + (s.attributes[key] ?? 0), 0);
    assert.ok(Math.abs(total(gatewayPoints('gateway.cost', 'umbrella')) - spanTotal('motadata.llm.cost.usd')) < 1e-12);
    const output_ = gatewayPoints('gen_ai.client.token.usage', 'umbrella').filter((p) => p.attributes['gen_ai.token.type'] === 'output' && p.attributes['http.route'] === '/v1/chat/completions');
    assert.deepEqual([count(output_), total(output_)], [2, spanTotal('gen_ai.usage.output_tokens')], 'rag\'s answer and the stream, once each');
  });

  it('ends the agent\'s task as aborted, with the error on its LLM call', () => {
    const [agent] = (traces.get(aborted.traceId) ?? []).filter((s) => s.service === 'agent' && s.kind === 'SERVER');
    assert.equal(agent.attributes['error.type'], 'aborted');
    assert.equal(agent.events.filter((e) => e.name === 'gen_ai.first_token').length, 1);
    const llm = (traces.get(aborted.traceId) ?? []).find((s) => s.name === 'agent.llm.call');
    assert.equal(llm.status.code, 'ERROR');
    assert.match(llm.events.find((e) => e.name === 'exception').attributes['exception.message'], /closed the stream/);
  });
});
