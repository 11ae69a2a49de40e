'use strict';
// gateway: the LLM gateway (Koa + @koa/router), speaking OpenAI's API. Every model call of the
// system goes through it: a per-tenant LRU cache, then the provider, then the cost of the call on
// the request's span and in the `gateway.cost` / `gateway.tokens.used` metrics. The provider here
// is the deterministic local model simulator (lib/model-simulator.js), not a real LLM.
//
//   POST /v1/chat/completions  OpenAI's Chat Completions: JSON, or SSE chunks with `stream: true`
//   POST /v1/embeddings        OpenAI's Embeddings
//
// Errors come in OpenAI's shape ({ error: { message, type, param, code } }). A JSON answer says
// whether the cache answered in `x-gateway-cache: hit|miss`; a cache hit reports zero usage, as
// nothing was spent. A streamed answer goes through ctx.state.otel.stream(), so the SERVER span
// gets its first-token event and the gateway records time to first token and per output token.
//
// The tenant comes only from the caller's W3C baggage (`tenant.id`), never from a header: the
// gateway is internal, and its callers (agent, rag) put the tenant there.
const { Readable } = require('node:stream');
const Koa = require('koa');
const Router = require('@koa/router');
const { gateway } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/koa');
const { LruCache } = require('./lib/lru-cache');
const { createModelSimulator } = require('./lib/model-simulator');
const { errorBody, readJsonBody, statusOf } = require('./lib/http-json');
const { CACHE_HEADER, OPENAI_PATHS, answerHead, chatEvents, checkChat, completion, embeddings, invalid, modelNotFound, openAiError } = require('./lib/openai-api');

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
  // A client that leaves mid-stream (Koa 3 reports it as a premature close) is ordinary for SSE.
  app.on('error', (err) => {
    if (err?.code !== 'ERR_STREAM_PREMATURE_CLOSE') app.onerror(err);
  });
  // Outermost, so errors pass through otelMiddleware first (which records them on the SERVER
  // span) and are turned into JSON on the way out.
  app.use(async function jsonErrors(ctx, next) {
    try {
      await next();
    } catch (err) {
      if (OPENAI_PATHS.has(ctx.path)) {
        const { status, body } = openAiError(err);
        ctx.status = status;
        ctx.body = body;
        return;
      }
      ctx.status = statusOf(err);
      ctx.body = errorBody(err, ctx.status);
    }
  });
  app.use(otelMiddleware({ tenant: { header: false }, ignore: ['/health'] }));

  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });

  router.post('/v1/chat/completions', async (ctx) => {
    const { model, prompt, stream, includeUsage } = checkChat(await readJsonBody(ctx), (name) => name in simulator.prices);
    const provider = simulator.provider;
    const head = answerHead(model);
    const { otel } = ctx.state;
    if (!stream) {
      const key = cacheKey(otel.tenantId, 'chat', model, prompt);
      const answer = await gateway.generate({ model, prompt, tenantId: otel.tenantId }, async () => {
        const cached = await gateway.checkCache({ model }, async () => cache.get(key));
        if (cached !== undefined) return { text: cached, promptTokens: 0, completionTokens: 0, cached: true };
        // callProvider records the call's tokens and cost on this request (recordCost) itself.
        const result = await gateway.callProvider({ provider, model }, () => simulator.generate({ model, prompt }));
        cache.set(key, result.text);
        return { ...result, cached: false };
      });
      ctx.set(CACHE_HEADER, answer.cached ? 'hit' : 'miss');
      ctx.body = completion(head, answer.text, answer.promptTokens, answer.completionTokens);
      return;
    }
    // A streamed answer always comes from the provider: it is the model's pace the caller sees.
    // Throws for a model that cannot answer, while an error response can still be sent.
    const generation = simulator.stream({ model, prompt });
    const inputTokens = generation.promptTokens;
    // With the price, a stream whose client goes away still has its cost recorded.
    const tokens = otel.stream(generation.tokens, { model, provider, inputTokens, price: simulator.pricePerToken(model) });
    ctx.type = 'text/event-stream';
    ctx.set('cache-control', 'no-cache');
    ctx.body = Readable.from(
      chatEvents(head, tokens, includeUsage, (sent) => {
        otel.recordCost({ model, provider, inputTokens, outputTokens: sent, usd: simulator.cost(model, inputTokens, sent) });
        return { promptTokens: inputTokens, completionTokens: sent };
      }),
    );
  });

  router.post('/v1/embeddings', async (ctx) => {
    const { input, model = 'local-embed', encoding_format: encoding = 'float' } = await readJsonBody(ctx);
    const inputs = typeof input === 'string' ? [input] : input;
    if (!(Array.isArray(inputs) && inputs.length > 0 && inputs.length <= MAX_EMBEDDING_INPUTS && inputs.every((s) => typeof s === 'string' && s !== ''))) {
      throw invalid(`'input' must be a non-empty string or an array of 1 to ${MAX_EMBEDDING_INPUTS} of them`, 'input');
    }
    if (typeof model !== 'string' || !(model in simulator.prices)) throw modelNotFound(model);
    if (encoding !== 'float' && encoding !== 'base64') throw invalid("'encoding_format' must be 'float' or 'base64'", 'encoding_format');
    const { tenantId } = ctx.state.otel;
    const key = cacheKey(tenantId, 'embeddings', model, inputs);

    const cached = await gateway.checkCache({ model }, async () => cache.get(key));
    ctx.set(CACHE_HEADER, cached === undefined ? 'miss' : 'hit');
    if (cached !== undefined) {
      ctx.body = embeddings(model, cached, encoding, 0);
      return;
    }
    const result = await gateway.callProvider({ provider: simulator.provider, model, operation: 'embeddings' }, () => simulator.embed({ model, input: inputs }));
    cache.set(key, result.vectors);
    ctx.body = embeddings(model, result.vectors, encoding, result.promptTokens);
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

module.exports = { createGatewayApp };

if (require.main === module) {
  const { portFromEnv, serve, startTelemetry } = require('./lib/service');
  const telemetry = startTelemetry('gateway');
  const env = process.env;
  const simulator = createModelSimulator({ latencyMs: Number(env.SIMULATOR_LATENCY_MS || 25), tokenDelayMs: Number(env.SIMULATOR_TOKEN_DELAY_MS || 2) });
  serve({ name: 'gateway', handler: createGatewayApp({ simulator }).callback(), port: portFromEnv('PORT', 8082), telemetry });
}
