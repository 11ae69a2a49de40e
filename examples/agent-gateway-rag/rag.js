'use strict';
// rag: retrieval-augmented generation (Express). Embeds through the gateway, searches an
// in-memory vector store by cosine similarity, and answers through the gateway, both with the
// `openai` package (lib/gateway-client.js).
//
//   POST /v1/query      { query, model?, topK? }       -> { answer, sources, usage, costUsd, cached }
//   POST /v1/documents  { documentId, title?, text }   -> 201 { documentId, chunks, usage, costUsd }
//
// Internal service: the tenant comes only from the caller's W3C baggage (`tenant.id`), and every
// document and query is scoped to it.
const express = require('express');
const { rag } = require('@motadata/otel');
const { otelErrorHandler, otelMiddleware } = require('@motadata/otel/express');
const { VectorStore, chunkText } = require('./lib/vector-store');
const { check, expressJsonErrors } = require('./lib/http-json');
const { createGatewayClient } = require('./lib/gateway-client');

const EMBEDDING_MODEL = 'local-embed';

/** Sums the usage and cost of several gateway answers. */
class Usage {
  promptTokens = 0;
  completionTokens = 0;
  costUsd = 0;
  gatewayCalls = 0;
  cacheHits = 0;

  /** `answer`: what the gateway client returns (promptTokens, completionTokens, costUsd, cached). */
  add(answer) {
    this.promptTokens += answer.promptTokens;
    this.completionTokens += answer.completionTokens;
    this.costUsd = Number((this.costUsd + answer.costUsd).toFixed(8));
    this.gatewayCalls += 1;
    if (answer.cached) this.cacheHits += 1;
    return answer;
  }

  toJSON() {
    return { promptTokens: this.promptTokens, completionTokens: this.completionTokens, gatewayCalls: this.gatewayCalls, cacheHits: this.cacheHits };
  }
}

function buildMessages(query, hits) {
  const context = hits.map((hit, i) => `[${i + 1}] ${hit.text}`);
  return [
    { role: 'system', content: 'Instructions: answer the question from the context only.' },
    { role: 'user', content: ['Context:', ...context, `Question: ${query}`].join('\n') },
  ];
}

/**
 * Builds the RAG app.
 * @param {{ gatewayUrl: string, store?: VectorStore, topK?: number, model?: string }} options
 *   model: the generation model when a query names none.
 */
function createRagApp({ gatewayUrl, store = new VectorStore(), topK: defaultTopK = 3, model: defaultModel = 'local-small' }) {
  if (typeof gatewayUrl !== 'string') throw new TypeError('createRagApp: gatewayUrl is required');
  const gateway = createGatewayClient(gatewayUrl);
  const embed = async (usage, input) => usage.add(await gateway.embed({ model: EMBEDDING_MODEL, input })).vectors;

  const app = express();
  app.disable('x-powered-by');
  app.use(otelMiddleware({ tenant: { header: false }, ignore: ['/health'] }));
  app.use(express.json({ limit: '1mb' }));
  app.get('/health', (_req, res) => res.json({ ok: true }));

  app.post('/v1/query', async (req, res) => {
    const { query, model = defaultModel, topK = defaultTopK } = req.body ?? {};
    check(typeof query === 'string' && query.trim() !== '', '"query" must be a non-empty string');
    check(typeof model === 'string' && model !== '', '"model" must be a non-empty string');
    check(Number.isInteger(topK) && topK >= 1 && topK <= 10, '"topK" must be an integer from 1 to 10');
    const { tenantId } = req.otel;
    check(tenantId !== undefined, 'no tenant: call with the W3C baggage entry tenant.id');
    const usage = new Usage();

    const result = await rag.query({ query, tenantId }, async () => {
      const vector = await rag.generateEmbedding(async () => (await embed(usage, [query]))[0]);
      const hits = await rag.searchVectors(async () => store.search(tenantId, vector, topK));
      const answer = await rag.generateResponse(async () => {
        const generated = usage.add(await gateway.chat({ model, messages: buildMessages(query, hits) }));
        return { ...generated, tokens: generated.promptTokens + generated.completionTokens };
      });
      return { answer: answer.text, cached: answer.cached, sources: hits.map(({ text: _text, ...source }) => source) };
    });
    res.json({ ...result, model, usage, costUsd: usage.costUsd });
  });

  app.post('/v1/documents', async (req, res) => {
    const { documentId, title = documentId, text } = req.body ?? {};
    check(typeof documentId === 'string' && /^[\w.:-]{1,100}$/.test(documentId), '"documentId" must be 1 to 100 letters, digits, _ . : or -');
    check(typeof title === 'string', '"title" must be a string');
    check(typeof text === 'string' && text.trim() !== '', '"text" must be a non-empty string');
    const { tenantId } = req.otel;
    check(tenantId !== undefined, 'no tenant: call with the W3C baggage entry tenant.id');
    const usage = new Usage();

    const chunks = await rag.ingestDocument({ documentId }, async () => {
      const pieces = await rag.processDocument(async () => chunkText(text));
      const vectors = await rag.generateEmbedding(async () => embed(usage, pieces));
      await rag.storeDocument(async () => store.upsert(tenantId, documentId, title, pieces, vectors));
      return pieces.length;
    });
    res.status(201).json({ documentId, chunks, usage, costUsd: usage.costUsd });
  });

  app.use(otelErrorHandler());
  app.use(expressJsonErrors());
  return app;
}

module.exports = { createRagApp };

if (require.main === module) {
  const { portFromEnv, serve, startTelemetry } = require('./lib/service');
  const telemetry = startTelemetry('rag');
  const gatewayUrl = process.env.GATEWAY_URL || 'http://127.0.0.1:8082';
  serve({ name: 'rag', handler: createRagApp({ gatewayUrl }), port: portFromEnv('PORT', 8081), telemetry });
}
