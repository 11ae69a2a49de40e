import type { Attributes } from '@opentelemetry/api';
import { METRIC_NAMES } from '../metric-catalogue';
import { SPAN_NAMES } from './names';
import { numberField, requestInfo, runComponent } from './run';
import type { ComponentEnd, ComponentFn } from './run';

function timed(metric: string) {
  return (end: ComponentEnd<unknown>): void => end.metrics.recordHistogram(metric, end.durationSeconds, { ...end.base, status: end.status });
}
const recordEmbeddingDuration = timed(METRIC_NAMES.RAG_EMBEDDING_DURATION);

/**
 * RAG helpers: a query (embedding, vector search, response) and document ingestion (process,
 * embed, store).
 * @example
 * const answer = await rag.query({ query }, async () => {
 *   const vector = await rag.generateEmbedding(() => embed(query));
 *   const hits = await rag.searchVectors(() => index.search(vector, 5));
 *   return rag.generateResponse(() => llm(query, hits)); // { text, tokens }
 * });
 */
export const rag = Object.freeze({
  /** `rag.query` (rag.tenant_id, rag.query.length); rag.query.duration, rag.queries.completed. */
  query<T>(request: { query: string; tenantId?: string }, fn: ComponentFn<T>): Promise<T> {
    const attributes: Attributes = { 'rag.query.length': typeof request.query === 'string' ? request.query.length : 0 };
    const tenant = request.tenantId ?? requestInfo().tenantId;
    if (tenant !== undefined) attributes['rag.tenant_id'] = tenant;
    return runComponent(SPAN_NAMES.RAG_QUERY, attributes, fn, (end) => {
      end.metrics.recordHistogram(METRIC_NAMES.RAG_QUERY_DURATION, end.durationSeconds, { ...end.base, status: end.status });
      end.metrics.incrementCounter(METRIC_NAMES.RAG_QUERIES_COMPLETED, { ...end.base, status: end.status });
    });
  },

  /**
   * `rag.embedding.generate`; `fn` returns one embedding (embedding.dimension) or a list of
   * them (embeddings.count and embedding.dimension); rag.embedding.duration.
   */
  generateEmbedding<T extends readonly number[] | readonly (readonly number[])[]>(fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.RAG_EMBEDDING_GENERATE, {}, fn, (end) => {
      const result = end.result as unknown;
      if (Array.isArray(result)) {
        if (Array.isArray(result[0])) {
          end.handle.setAttribute('embeddings.count', result.length);
          end.handle.setAttribute('embedding.dimension', (result[0] as unknown[]).length);
        } else end.handle.setAttribute('embedding.dimension', result.length);
      }
      recordEmbeddingDuration(end);
    });
  },

  /** `rag.vector.search`; `fn` returns the hits (results.count); rag.search.duration. */
  searchVectors<T extends readonly unknown[]>(fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.RAG_VECTOR_SEARCH, {}, fn, (end) => {
      if (Array.isArray(end.result)) end.handle.setAttribute('results.count', end.result.length);
      end.metrics.recordHistogram(METRIC_NAMES.RAG_SEARCH_DURATION, end.durationSeconds, { ...end.base, status: end.status });
    });
  },

  /** `rag.response.generate`; a numeric `tokens` field of the result is response.tokens; rag.generation.duration. */
  generateResponse<T>(fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.RAG_RESPONSE_GENERATE, {}, fn, (end) => {
      const tokens = numberField(end.result, 'tokens');
      if (tokens !== undefined) end.handle.setAttribute('response.tokens', tokens);
      end.metrics.recordHistogram(METRIC_NAMES.RAG_GENERATION_DURATION, end.durationSeconds, { ...end.base, status: end.status });
    });
  },

  /** `rag.document.ingest` (document.id); rag.documents.ingested (status). */
  ingestDocument<T>(document: { documentId?: string }, fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.RAG_DOCUMENT_INGEST, document.documentId === undefined ? {} : { 'document.id': document.documentId }, fn, (end) => {
      end.metrics.incrementCounter(METRIC_NAMES.RAG_DOCUMENTS_INGESTED, { ...end.base, status: end.status });
    });
  },

  /** `rag.document.process`; `fn` returns the chunks (chunks.count). */
  processDocument<T extends readonly unknown[]>(fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.RAG_DOCUMENT_PROCESS, {}, fn, (end) => {
      if (Array.isArray(end.result)) end.handle.setAttribute('chunks.count', end.result.length);
    });
  },

  /** `rag.document.store`. */
  storeDocument<T>(fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.RAG_DOCUMENT_STORE, {}, fn);
  },
});
