'use strict';
// examples/agent-gateway-rag as it runs for real: agent, rag and gateway as three processes,
// exporting OTLP/HTTP JSON to a receiver. Every task must come out as one trace across the three
// services, with the tenant, cost, cache and error where they belong. agent and rag call the
// gateway with the `openai` package and rag with plain fetch: the trace headers and the tenant's
// baggage come from the kit's automatic outbound propagation alone.
const assert = require('node:assert/strict');
const { ServiceGroup } = require('../../examples/agent-gateway-rag/demo/processes');
const { startOtlpReceiver } = require('../../examples/agent-gateway-rag/demo/otlp-receiver');
const { DOCUMENTS, TASKS, ingestDocuments, runTasks } = require('../../examples/agent-gateway-rag/demo/scenario');
const { groupByTrace, checkTrace, firstTokenMs } = require('../../examples/agent-gateway-rag/demo/trace-tree');
const { currentSeries } = require('../../examples/agent-gateway-rag/demo/metrics-summary');
const { spanNames: N } = require('../../examples/agent-gateway-rag/demo/names');

const SERVICES = ['agent', 'rag', 'gateway'];
const STREAMED = TASKS.findIndex((task) => task.body.stream === true);
const step = (service, kind, name) => ({ service, kind, name });

/** The span and its ancestors up to the root, as [service, kind, name] steps. */
function pathToRoot(span, trace) {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const steps = [];
  for (let s = span; s !== undefined; s = byId.get(s.parentSpanId)) steps.push(s);
  return steps;
}
const asSteps = (spans) => spans.map((s) => step(s.service, s.kind, s.name));

describe('examples/agent-gateway-rag: agent → rag → gateway as three processes', function () {
  this.timeout(60000);
  let receiver;
  let group;
  let ingested;
  let results;
  let exits;
  let traces;
  const traceOf = (i) => traces.get(results[i].traceId) ?? [];

  before(async () => {
    receiver = await startOtlpReceiver();
    group = new ServiceGroup({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '60000', // the final flush on SIGTERM exports them
    });
    const urls = await group.start();
    ingested = await ingestDocuments(urls.rag);
    results = await runTasks(urls.agent);
    // SIGTERM: each service stops accepting requests, flushes its spans and metrics, and exits.
    exits = await group.stop();
    traces = groupByTrace(receiver.spans);
  });
  after(async () => {
    await group?.stop();
    await receiver?.close();
  });

  it('answers every task as the scenario expects', () => {
    assert.equal(ingested.filter((d) => d.status === 201).length, DOCUMENTS.length);
    for (const r of results) {
      assert.equal(r.status, r.expect, `${r.title}: ${JSON.stringify(r.json)}`);
      if (r.status !== 200) continue;
      assert.equal(r.json.tenantId, r.tenant);
      assert.equal(r.json.traceId, r.traceId, 'the body and Server-Timing name the same trace');
      assert.ok(r.json.sources.length > 0, `${r.title}: rag found sources`);
    }
    assert.match(results[0].json.result, /rotate an API key/);
    assert.match(results[4].json.error, /fail-model/);
  });

  it('stops every service cleanly on SIGTERM', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(exits).map(([k, v]) => [k, v.code])), { agent: 0, rag: 0, gateway: 0 }, group.output());
  });

  TASKS.forEach((task, i) => {
    it(`puts task ${i + 1} (${task.title}) in one connected trace across agent, rag and gateway`, () => {
      const trace = traceOf(i);
      const { ok, problems } = checkTrace(trace, { services: SERVICES });
      assert.ok(ok, problems.join('\n'));
      const [root] = trace.filter((s) => s.parentSpanId === undefined);
      assert.deepEqual(step(root.service, root.kind, root.name), step('agent', 'SERVER', 'POST /v1/tasks'));
    });
  });

  it('nests agent SERVER → agent.task.execute → CLIENT → rag SERVER → rag.query → ... → gateway SERVER → gateway.generate → gateway.provider.call', () => {
    const trace = traceOf(0);
    const agentTop = [step('agent', 'CLIENT', 'POST'), step('agent', 'INTERNAL', N.taskExecute), step('agent', 'SERVER', 'POST /v1/tasks')];
    const ragTop = [step('rag', 'INTERNAL', N.ragQuery), step('rag', 'SERVER', 'POST /v1/query'), ...agentTop];
    const generate = [step('gateway', 'INTERNAL', N.providerCall), step('gateway', 'INTERNAL', N.gatewayGenerate), step('gateway', 'SERVER', 'POST /v1/chat/completions')];

    const providerCalls = trace.filter((s) => s.name === N.providerCall);
    assert.equal(providerCalls.length, 3, 'embeddings, rag generation, agent generation');
    const paths = providerCalls.map((s) => asSteps(pathToRoot(s, trace)));
    // rag's answer: through rag's response span and rag.query, up to the agent.
    assert.ok(
      paths.some((p) => JSON.stringify(p) === JSON.stringify([...generate, step('rag', 'CLIENT', 'POST'), step('rag', 'INTERNAL', N.ragResponse), ...ragTop])),
      JSON.stringify(paths, null, 1),
    );
    // rag's query embedding: the gateway's embeddings route, no gateway.generate around it.
    const embeddings = [step('gateway', 'INTERNAL', N.providerCall), step('gateway', 'SERVER', 'POST /v1/embeddings'), step('rag', 'CLIENT', 'POST'), step('rag', 'INTERNAL', N.ragEmbedding), ...ragTop];
    assert.ok(paths.some((p) => JSON.stringify(p) === JSON.stringify(embeddings)), JSON.stringify(paths, null, 1));
    // The agent's own LLM call.
    const agentLlm = [...generate, step('agent', 'CLIENT', 'POST'), step('agent', 'INTERNAL', N.llmCall), step('agent', 'INTERNAL', N.taskExecute), step('agent', 'SERVER', 'POST /v1/tasks')];
    assert.ok(paths.some((p) => JSON.stringify(p) === JSON.stringify(agentLlm)), JSON.stringify(paths, null, 1));

    for (const name of [N.memoryRetrieve, N.memoryUpdate]) {
      const [span] = trace.filter((s) => s.name === name);
      assert.ok(span, `${name} is in the trace`);
      assert.equal(pathToRoot(span, trace)[1].name, N.taskExecute);
    }
    const [search] = trace.filter((s) => s.name === N.vectorSearch);
    assert.equal(pathToRoot(search, trace)[1].name, N.ragQuery);
  });

  it('runs the tools inside the task when asked (task 2)', () => {
    const tools = traceOf(1).filter((s) => s.name === N.toolExecute);
    assert.equal(tools.length, 1);
    assert.equal(traceOf(0).filter((s) => s.name === N.toolExecute).length, 0);
  });

  it('sets tenant.id on every SERVER span of all three services: from x-tenant-id at the agent, from baggage in rag and gateway', () => {
    // rag and gateway read no tenant header (tenant.header: false): baggage is their only source.
    results.forEach((r, i) => {
      const servers = traceOf(i).filter((s) => s.kind === 'SERVER');
      assert.deepEqual([...new Set(servers.map((s) => s.service))].sort(), ['agent', 'gateway', 'rag']);
      for (const s of servers) assert.equal(s.attributes['tenant.id'], r.tenant, `${s.service} ${s.name} in task ${i + 1}`);
    });
  });

  it('records tokens and cost on the gateway spans, adding up to what the agent reports', () => {
    for (const i of [0, 1, 3]) {
      const trace = traceOf(i);
      const servers = trace.filter((s) => s.service === 'gateway' && s.kind === 'SERVER');
      const providers = trace.filter((s) => s.name === N.providerCall);
      assert.equal(providers.length, servers.length, 'every gateway request called the provider');
      for (const s of servers) {
        assert.ok(s.attributes['gen_ai.usage.input_tokens'] > 0, `${s.name} input tokens`);
        assert.equal(typeof s.attributes['motadata.llm.cost.usd'], 'number');
        assert.equal(s.attributes['gen_ai.provider.name'], 'local-simulator');
      }
      for (const p of providers) {
        assert.ok(p.attributes['gen_ai.usage.input_tokens'] > 0, `${N.providerCall} carries its tokens: ${JSON.stringify(p.attributes)}`);
        assert.equal(typeof p.attributes['cost.usd'], 'number', `${N.providerCall} carries its cost`);
        assert.equal(p.attributes['tenant.id'], results[i].tenant);
      }
      const embeddings = providers.filter((p) => p.attributes['gen_ai.operation.name'] === 'embeddings');
      assert.equal(embeddings.length, 1, 'the query embedding is an embeddings operation');
      const sum = (key) => servers.reduce((n, s) => n + s.attributes[key], 0);
      const { tokens, costUsd } = results[i].json;
      assert.equal(sum('gen_ai.usage.input_tokens'), tokens.input);
      assert.equal(sum('gen_ai.usage.output_tokens'), tokens.output);
      assert.ok(Math.abs(sum('motadata.llm.cost.usd') - costUsd) < 1e-9, `${sum('motadata.llm.cost.usd')} vs ${costUsd}`);
    }
  });

  it('answers the repeated task from the gateway cache: cache.hit=true and no provider call', () => {
    const first = traceOf(0).filter((s) => s.name === N.cacheCheck);
    assert.deepEqual(first.map((s) => s.attributes['cache.hit']), [false, false, false]);
    const repeat = traceOf(2);
    const checks = repeat.filter((s) => s.name === N.cacheCheck);
    assert.deepEqual(checks.map((s) => s.attributes['cache.hit']), [true, true, true]);
    assert.equal(repeat.filter((s) => s.name === N.providerCall).length, 0);
    assert.deepEqual(results[2].json.tokens, { input: 0, output: 0, total: 0 });
    assert.equal(results[2].json.costUsd, 0);
    assert.equal(results[2].json.result, results[0].json.result);
  });

  it('marks the failing task ERROR with the exception on every span from the provider up to the agent', () => {
    const trace = traceOf(4);
    const [provider] = trace.filter((s) => s.name === N.providerCall && s.attributes['gen_ai.request.model'] === 'fail-model');
    assert.ok(provider, 'the provider call on fail-model is in the trace');
    const path = pathToRoot(provider, trace);
    assert.deepEqual(asSteps(path).map((s) => `${s.service} ${s.name}`), [
      `gateway ${N.providerCall}`,
      `gateway ${N.gatewayGenerate}`,
      'gateway POST /v1/chat/completions',
      'rag POST',
      `rag ${N.ragResponse}`,
      `rag ${N.ragQuery}`,
      'rag POST /v1/query',
      'agent POST',
      `agent ${N.taskExecute}`,
      'agent POST /v1/tasks',
    ]);
    for (const span of path) {
      assert.equal(span.status.code, 'ERROR', `${span.service} ${span.name} has status ERROR`);
      if (span.kind === 'CLIENT') {
        // A CLIENT span's error is the response status (semconv), not an exception.
        assert.equal(span.attributes['http.response.status_code'], 502);
        continue;
      }
      const exception = span.events.find((e) => e.name === 'exception');
      assert.ok(exception, `${span.service} ${span.name} has an exception event`);
      assert.match(exception.attributes['exception.message'], /fail-model/);
    }
    assert.equal(path.at(-1).attributes['http.response.status_code'], 502);
    // Nothing after the failure ran: no answer from the agent's own LLM call.
    assert.equal(trace.filter((s) => s.name === N.llmCall).length, 0);
  });

  it('calls the gateway with the openai package, from agent and rag, and rag with plain fetch', () => {
    results.forEach((_, i) => {
      const servers = traceOf(i).filter((s) => s.kind === 'SERVER');
      const gateway = servers.filter((s) => s.service === 'gateway');
      assert.ok(gateway.length >= 2, `task ${i + 1}`);
      for (const s of gateway) assert.match(s.attributes['user_agent.original'], /^OpenAI\/JS /, `${s.name} in task ${i + 1}`);
      for (const s of servers.filter((x) => x.service === 'rag')) assert.doesNotMatch(s.attributes['user_agent.original'] ?? '', /OpenAI/);
    });
  });

  describe('the streamed task', () => {
    const trace = () => traceOf(STREAMED);
    const gatewayStream = () => trace().filter((s) => s.service === 'gateway' && s.kind === 'SERVER' && firstTokenMs(s) !== undefined);
    /** The latest cumulative point of a metric from a service, for the streamed task's tenant and model. */
    const point = (service, name) =>
      currentSeries(receiver.metricPoints).filter((p) => p.service === service && p.name === name && p.attributes['tenant.id'] === results[STREAMED].tenant && p.attributes['gen_ai.request.model'] === TASKS[STREAMED].body.model);

    it('relays the gateway\'s tokens to the caller as they come, then the same answer object', () => {
      const r = results[STREAMED];
      assert.equal(r.status, 200);
      assert.ok(r.stream.tokens > 1, `${r.stream.tokens} token events`);
      assert.deepEqual(Object.keys(r.json).sort(), ['cache', 'costUsd', 'result', 'sources', 'taskId', 'tenantId', 'tokens', 'traceId']);
      assert.match(r.json.result, /on-call rotation/);
      assert.ok(r.stream.firstTokenMs < r.ms, 'the first token arrived before the answer ended');
    });

    it('streams through the gateway: one first-token event on the gateway\'s SERVER span and one on the agent\'s', () => {
      const [gateway, ...others] = gatewayStream();
      assert.ok(gateway, 'the gateway streamed');
      assert.equal(others.length, 0);
      assert.equal(gateway.name, 'POST /v1/chat/completions');
      assert.equal(gateway.events.filter((e) => e.name === 'gen_ai.first_token').length, 1);
      assert.equal(results[STREAMED].stream.tokens, gateway.attributes['gen_ai.usage.output_tokens'], 'one token event per token the gateway streamed');
      const [agent] = trace().filter((s) => s.service === 'agent' && s.kind === 'SERVER');
      assert.equal(agent.events.filter((e) => e.name === 'gen_ai.first_token').length, 1);
      // The agent relays what the gateway streams: its first token goes out after the gateway's.
      assert.ok(agent.events[0].timeNs >= gateway.events.find((e) => e.name === 'gen_ai.first_token').timeNs);
    });

    it('records time to first token, strictly shorter than the gateway\'s stream', () => {
      const [stream] = gatewayStream();
      const ttftMs = firstTokenMs(stream);
      assert.ok(ttftMs > 0 && ttftMs < stream.durationMs, `first token at ${ttftMs} ms of ${stream.durationMs} ms`);
      const [ttft, ...more] = point('gateway', 'gen_ai.server.time_to_first_token');
      assert.equal(more.length, 0);
      assert.equal(ttft.count, 1, 'one stream for this tenant and model');
      assert.ok(ttft.sum > 0 && ttft.sum * 1000 < stream.durationMs, `time to first token ${ttft.sum * 1000} ms, stream ${stream.durationMs} ms`);
      const [perToken] = point('gateway', 'gen_ai.server.time_per_output_token');
      assert.equal(perToken.count, 1);
    });

    it('records the streamed call on the caller side too: gen_ai.client.operation.duration and the usage of the final chunk', () => {
      const [stream] = gatewayStream();
      const [operation] = point('agent', 'gen_ai.client.operation.duration').filter((p) => p.attributes['http.route'] === '/v1/tasks');
      assert.ok(operation.count >= 1);
      const [agent] = trace().filter((s) => s.service === 'agent' && s.kind === 'SERVER');
      assert.equal(agent.attributes['gen_ai.usage.output_tokens'], stream.attributes['gen_ai.usage.output_tokens']);
      assert.equal(agent.attributes['gen_ai.usage.input_tokens'], stream.attributes['gen_ai.usage.input_tokens']);
    });

    it('adds its tokens and cost up to what the agent reports', () => {
      const servers = trace().filter((s) => s.service === 'gateway' && s.kind === 'SERVER');
      const sum = (key) => servers.reduce((n, s) => n + s.attributes[key], 0);
      const { tokens, costUsd } = results[STREAMED].json;
      assert.equal(sum('gen_ai.usage.input_tokens'), tokens.input);
      assert.equal(sum('gen_ai.usage.output_tokens'), tokens.output);
      assert.ok(Math.abs(sum('motadata.llm.cost.usd') - costUsd) < 1e-9, `${sum('motadata.llm.cost.usd')} vs ${costUsd}`);
    });
  });

  it('exports the latency, token and cost metrics per route and tenant', () => {
    const points = receiver.metricPoints;
    const routes = new Set(points.filter((p) => p.name === 'http.server.request.duration').map((p) => `${p.service} ${p.attributes['http.route']}`));
    for (const route of ['agent /v1/tasks', 'rag /v1/query', 'rag /v1/documents', 'gateway /v1/chat/completions', 'gateway /v1/embeddings']) assert.ok(routes.has(route), route);
    const costTenants = new Set(points.filter((p) => p.name === 'gateway.cost' && p.service === 'gateway').map((p) => p.attributes['tenant.id']));
    assert.deepEqual([...costTenants].sort(), ['acme', 'globex']);
  });
});
