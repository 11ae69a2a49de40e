'use strict';
// agent: the edge service (Express). Runs a task for a tenant: recalls what it knows about the
// tenant, optionally runs tools, asks rag for research, then asks the gateway for the answer.
//
//   POST /v1/tasks  x-tenant-id: <tenant>  { prompt, model?, useTools?, stream? }
//     -> { taskId, tenantId, traceId, result, sources, tokens, costUsd, cache: { hits, calls } }
//   with `stream: true`, server-sent events instead: `token` events ({ content }) as the gateway
//   streams the answer, then one `result` event with the object above (or an `error` event).
//
// rag is called with plain `fetch`, the gateway with the `openai` package (lib/gateway-client.js):
// initTelemetry() traces both and sends `traceparent`, and the tenant as W3C baggage (the
// middleware puts it there), to these internal hosts. The `x-tenant-id` header is never
// forwarded. The agent is the edge, so it does not trust a caller's traceparent or baggage
// (`trustIncoming: false`).
const express = require('express');
const { agent } = require('@motadata/otel');
const { otelErrorHandler, otelMiddleware } = require('@motadata/otel/express');
const { LruCache } = require('./lib/lru-cache');
const { check, expressJsonErrors, postJson, sseEvent } = require('./lib/http-json');
const { createGatewayClient, priced, upstreamError } = require('./lib/gateway-client');

const STOP_WORDS = new Set('a an and are as at be by can do does for from how i in is it of on or our the this to we what when where which who why with you your'.split(' '));
const words = (text) => new Set((String(text).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w)));

/** What the agent knows per tenant; a seed of facts for the demo's two tenants. */
const SEED_FACTS = {
  acme: ["Acme's services run on Kubernetes in eu-west-1.", "Acme's API key owners sit in the platform team."],
  globex: ['Globex is on the team plan, billed annually since March.', 'Globex reports billing issues to finance@globex.example.'],
};

/**
 * Per-tenant memory. Semantic memories (facts) are recalled by word overlap with the task and go
 * into the prompt; episodic memories (past tasks) are kept for audit but not recalled, so the
 * same task gives the same prompt and the gateway cache can answer it. Bounded: 1000 tenants,
 * 50 episodes each.
 */
class AgentMemory {
  constructor(seed = SEED_FACTS) {
    this.tenants = new LruCache(1000);
    for (const [tenantId, facts] of Object.entries(seed)) this.namespace(tenantId).semantic.push(...facts);
  }

  namespace(tenantId) {
    let memory = this.tenants.get(tenantId);
    if (memory === undefined) this.tenants.set(tenantId, (memory = { semantic: [], episodic: [] }));
    return memory;
  }

  /** The tenant's facts that share a word with the task, most shared words first (at most 3). */
  recall(tenantId, task) {
    const asked = words(task);
    return this.namespace(tenantId)
      .semantic.map((fact) => ({ fact, score: [...words(fact)].filter((w) => asked.has(w)).length }))
      .filter((m) => m.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, 3)
      .map((m) => m.fact);
  }

  remember(tenantId, episode) {
    const { episodic } = this.namespace(tenantId);
    episodic.push(episode);
    if (episodic.length > 50) episodic.shift();
  }
}

const PLANS = { acme: 'enterprise plan, 99.95% uptime SLA', globex: 'team plan, annual billing, 30-day full refund window' };

/** Deterministic local tools. Each returns one line for the prompt. */
const TOOLS = {
  plan_lookup: {
    applies: () => true,
    run: (tenantId) => `Tenant ${tenantId} is on the ${PLANS[tenantId] ?? 'free plan'}.`,
  },
  calculator: {
    applies: (prompt) => /\d+(?:\.\d+)?\s*[-+*/]\s*\d+(?:\.\d+)?/.test(prompt),
    run: (_tenantId, prompt) => {
      const [, a, op, b] = /(\d+(?:\.\d+)?)\s*([-+*/])\s*(\d+(?:\.\d+)?)/.exec(prompt);
      const x = Number(a);
      const y = Number(b);
      const value = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : y === 0 ? NaN : x / y;
      return `${a} ${op} ${b} = ${Number.isFinite(value) ? Number(value.toFixed(6)) : 'undefined'}.`;
    },
  },
};

function buildMessages({ tenantId, prompt, facts, toolResults, research }) {
  const user = [
    `Task: ${prompt}`,
    ...(facts.length > 0 ? ['Known facts:', ...facts.map((f) => `- ${f}`)] : []),
    ...(toolResults.length > 0 ? ['Tool results:', ...toolResults.map((t) => `- ${t}`)] : []),
    `Research: ${research}`,
  ];
  return [
    { role: 'system', content: `Instructions: complete the task for tenant ${tenantId} from the facts, tool results and research.` },
    { role: 'user', content: user.join('\n') },
  ];
}

/** The caller went away before the streamed answer was complete. */
class StreamAbortedError extends Error {
  constructor() {
    super('the caller closed the stream before the answer was complete');
    this.name = 'StreamAbortedError';
    this.status = 499;
  }
}

// A chunk holds a token when it has content (the first chunk holds the role only, the last the usage).
const tokensOf = (chunk) => (chunk.choices[0]?.delta?.content ? 1 : 0);

/**
 * Asks the gateway for a streamed answer and relays its tokens to the caller as `token` events as
 * they come. req.otel.stream() puts the first token's event on the task's SERVER span and records
 * the agent's time to first token; when the caller goes away it ends the loop and stops the
 * gateway's stream. The gateway's last chunk has the usage.
 */
async function streamAnswer(req, res, gateway, { model, messages }) {
  // Rejects before any chunk when the gateway refuses, while a JSON error can still be sent.
  const chunks = await gateway.chatStream({ model, messages });
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let text = '';
  let usage;
  try {
    for await (const chunk of req.otel.stream(chunks, { model, tokensOf })) {
      usage = chunk.usage ?? usage;
      const piece = chunk.choices[0]?.delta?.content;
      if (piece) {
        text += piece;
        res.write(sseEvent('token', { content: piece }));
      }
    }
  } catch (err) {
    throw upstreamError(err, '/v1/chat/completions');
  }
  if (usage === undefined) throw new StreamAbortedError();
  return { text, ...priced(model, usage), cached: false };
}

/**
 * Builds the agent app.
 * @param {{ ragUrl: string, gatewayUrl: string, memory?: AgentMemory, agentId?: string }} options
 */
function createAgentApp({ ragUrl, gatewayUrl, memory = new AgentMemory(), agentId = 'support-agent' }) {
  if (typeof ragUrl !== 'string' || typeof gatewayUrl !== 'string') throw new TypeError('createAgentApp: ragUrl and gatewayUrl are required');
  const gateway = createGatewayClient(gatewayUrl);
  let tasks = 0;

  const app = express();
  app.disable('x-powered-by');
  app.use(otelMiddleware({ trustIncoming: false, tenant: { header: 'x-tenant-id', fromBaggage: false }, ignore: ['/health'] }));
  app.use(express.json({ limit: '100kb' }));
  app.get('/health', (_req, res) => res.json({ ok: true }));

  app.post('/v1/tasks', async (req, res) => {
    const { prompt, model = 'local-small', useTools = false, stream = false } = req.body ?? {};
    check(typeof prompt === 'string' && prompt.trim() !== '' && prompt.length <= 4000, '"prompt" must be a non-empty string of at most 4000 characters');
    check(typeof model === 'string' && model !== '', '"model" must be a non-empty string');
    check(typeof useTools === 'boolean', '"useTools" must be a boolean');
    check(typeof stream === 'boolean', '"stream" must be a boolean');
    const { tenantId } = req.otel;
    check(tenantId !== undefined, 'the x-tenant-id header is required: 1 to 64 letters, digits, or . _ : -');
    const taskId = `task-${++tasks}`;

    const outcome = await agent.executeTask({ agentId, taskId, taskType: useTools ? 'tool-assisted-answer' : 'answer' }, async () => {
      const facts = await agent.retrieveMemory(async () => memory.recall(tenantId, prompt));
      let toolResults = [];
      if (useTools) {
        const tools = Object.values(TOOLS).filter((tool) => tool.applies(prompt));
        toolResults = await agent.executeTools({ toolsCount: tools.length }, async () => tools.map((tool) => tool.run(tenantId, prompt)));
      }
      const research = await postJson(`${ragUrl}/v1/query`, { query: prompt, model });
      const messages = buildMessages({ tenantId, prompt, facts, toolResults, research: research.answer });
      const final = await agent.callLlm(async () => {
        const answer = stream ? await streamAnswer(req, res, gateway, { model, messages }) : await gateway.chat({ model, messages });
        return { ...answer, tokens: answer.promptTokens + answer.completionTokens, cost: answer.costUsd };
      });
      await agent.updateMemory({ memoryType: 'episodic', memoryId: taskId }, async () => memory.remember(tenantId, { taskId, prompt, answer: final.text }));
      return { research, final };
    });

    const { research, final } = outcome;
    const input = research.usage.promptTokens + final.promptTokens;
    const output = research.usage.completionTokens + final.completionTokens;
    const answer = {
      taskId,
      tenantId,
      traceId: req.otel.traceId,
      result: final.text,
      sources: research.sources,
      tokens: { input, output, total: input + output },
      costUsd: Number((research.costUsd + final.costUsd).toFixed(8)),
      cache: { hits: research.usage.cacheHits + (final.cached ? 1 : 0), calls: research.usage.gatewayCalls + 1 },
    };
    if (stream) res.end(sseEvent('result', answer));
    else res.json(answer);
  });

  app.use(otelErrorHandler());
  app.use(expressJsonErrors());
  return app;
}

module.exports = { createAgentApp, AgentMemory };

if (require.main === module) {
  const { portFromEnv, serve, startTelemetry } = require('./lib/service');
  const telemetry = startTelemetry('agent');
  const ragUrl = process.env.RAG_URL || 'http://127.0.0.1:8081';
  const gatewayUrl = process.env.GATEWAY_URL || 'http://127.0.0.1:8082';
  serve({ name: 'agent', handler: createAgentApp({ ragUrl, gatewayUrl }), port: portFromEnv('PORT', 8080), telemetry });
}
