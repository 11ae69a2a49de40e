'use strict';
// gateway: the LLM gateway (Koa + @koa/router). Every model call of the system goes through it:
// a per-tenant LRU cache, then the provider, then the cost of the call on the request's span and
// in the `gateway.cost` / `gateway.tokens.used` metrics. The provider here is the deterministic
// local model simulator (lib/model-simulator.js), not a real LLM.
//
//   POST /v1/generate    { prompt, model? }  -> { model, text, usage, costUsd, cached }
//   POST /v1/embeddings  { input, model? }   -> { model, vectors, usage, costUsd, cached }
//
// The tenant comes only from the caller's W3C baggage (`tenant.id`), never from a header: the
// gateway is internal, and its callers (agent, rag) put the tenant there.
const Koa = require('koa');
const Router = require('@koa/router');
const { gateway } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/koa');
const { LruCache } = require('./lib/lru-cache');
const { createModelSimulator } = require('./lib/model-simulator');
const { check, errorBody, readJsonBody, statusOf } = require('./lib/http-json');

const MAX_EMBEDDING_INPUTS = 256;

/**
 * Builds the gateway app; `app.callback()` is its request handler.
 * @param {{ simulator?: ReturnType<typeof createModelSimulator>, cacheSize?: number }} [options]
 */
function createGatewayApp({ simulator = createModelSimulator(), cacheSize = 500 } = {}) {
  // One cache for both routes; the key scopes every entry to a tenant, so a tenant never gets an
  // answer built from another tenant's documents.
  const cache = new LruCache(cacheSize);
  const cacheKey = (tenantId, kind, model, text) => JSON.stringify([tenantId ?? null, kind, model, text]);

  const app = new Koa();
  // Outermost, so errors pass through otelMiddleware first (which records them on the SERVER
  // span) and are turned into JSON on the way out.
  app.use(async function jsonErrors(ctx, next) {
    try {
      await next();
    } catch (err) {
      ctx.status = statusOf(err);
      ctx.body = errorBody(err, ctx.status);
    }
  });
  app.use(otelMiddleware({ tenant: { header: false }, ignore: ['/health'] }));

  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });

  router.post('/v1/generate', async (ctx) => {
    const { prompt, model = 'local-small' } = await readJsonBody(ctx);
    check(typeof prompt === 'string' && prompt.trim() !== '', '"prompt" must be a non-empty string');
    check(typeof model === 'string' && model in simulator.prices, `"model" must be one of ${Object.keys(simulator.prices).join(', ')}`);
    const { tenantId } = ctx.state.otel;
    const key = cacheKey(tenantId, 'generate', model, prompt);

    ctx.body = await gateway.generate({ model, prompt, tenantId }, async () => {
      const cached = await gateway.checkCache({ model }, async () => cache.get(key));
      if (cached !== undefined) return { model, text: cached, usage: { promptTokens: 0, completionTokens: 0 }, costUsd: 0, cached: true };
      // callProvider records the call's tokens and cost on this request (recordCost) itself.
      const result = await gateway.callProvider({ provider: simulator.provider, model }, () => simulator.generate({ model, prompt }));
      cache.set(key, result.text);
      return { model, text: result.text, usage: usageOf(result), costUsd: result.costUsd, cached: false };
    });
  });

  router.post('/v1/embeddings', async (ctx) => {
    const { input, model = 'local-embed' } = await readJsonBody(ctx);
    const inputs = typeof input === 'string' ? [input] : input;
    check(
      Array.isArray(inputs) && inputs.length > 0 && inputs.length <= MAX_EMBEDDING_INPUTS && inputs.every((s) => typeof s === 'string' && s !== ''),
      `"input" must be a non-empty string or an array of 1 to ${MAX_EMBEDDING_INPUTS} of them`,
    );
    check(typeof model === 'string' && model in simulator.prices, `"model" must be one of ${Object.keys(simulator.prices).join(', ')}`);
    const { tenantId } = ctx.state.otel;
    const key = cacheKey(tenantId, 'embeddings', model, inputs);

    const cached = await gateway.checkCache({ model }, async () => cache.get(key));
    if (cached !== undefined) {
      ctx.body = { model, vectors: cached, usage: { promptTokens: 0, completionTokens: 0 }, costUsd: 0, cached: true };
      return;
    }
    const result = await gateway.callProvider({ provider: simulator.provider, model, operation: 'embeddings' }, () => simulator.embed({ model, input: inputs }));
    cache.set(key, result.vectors);
    ctx.body = { model, vectors: result.vectors, usage: usageOf(result), costUsd: result.costUsd, cached: false };
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

function usageOf(result) {
  return { promptTokens: result.promptTokens, completionTokens: result.completionTokens };
}

module.exports = { createGatewayApp };

if (require.main === module) {
  const { portFromEnv, serve, startTelemetry } = require('./lib/service');
  const telemetry = startTelemetry('gateway');
  const simulator = createModelSimulator({ latencyMs: Number(process.env.SIMULATOR_LATENCY_MS || 25) });
  serve({ name: 'gateway', handler: createGatewayApp({ simulator }).callback(), port: portFromEnv('PORT', 8082), telemetry });
}
