'use strict';
// The component span and metric names the demo and its tests look for, from the kit's SPAN_NAMES
// and METRIC_NAMES (so a rename in the kit cannot silently break them), with the documented
// names as the fallback.
const { SPAN_NAMES = {}, METRIC_NAMES = {} } = require('@motadata/otel');

const spanNames = {
  taskExecute: SPAN_NAMES.AGENT_TASK_EXECUTE ?? 'agent.task.execute',
  memoryRetrieve: SPAN_NAMES.AGENT_MEMORY_RETRIEVE ?? 'agent.memory.retrieve',
  memoryUpdate: SPAN_NAMES.AGENT_MEMORY_UPDATE ?? 'agent.memory.update',
  toolExecute: SPAN_NAMES.AGENT_TOOL_EXECUTE ?? 'agent.tool.execute',
  llmCall: SPAN_NAMES.AGENT_LLM_CALL ?? 'agent.llm.call',
  gatewayGenerate: SPAN_NAMES.GATEWAY_GENERATE ?? 'gateway.generate',
  cacheCheck: SPAN_NAMES.GATEWAY_CACHE_CHECK ?? 'gateway.cache.check',
  providerCall: SPAN_NAMES.GATEWAY_PROVIDER_CALL ?? 'gateway.provider.call',
  ragQuery: SPAN_NAMES.RAG_QUERY ?? 'rag.query',
  ragEmbedding: SPAN_NAMES.RAG_EMBEDDING_GENERATE ?? 'rag.embedding.generate',
  vectorSearch: SPAN_NAMES.RAG_VECTOR_SEARCH ?? 'rag.vector.search',
  ragResponse: SPAN_NAMES.RAG_RESPONSE_GENERATE ?? 'rag.response.generate',
  documentIngest: SPAN_NAMES.RAG_DOCUMENT_INGEST ?? 'rag.document.ingest',
};

const metricNames = {
  requestDuration: METRIC_NAMES.HTTP_SERVER_REQUEST_DURATION ?? 'http.server.request.duration',
  tokensUsed: METRIC_NAMES.GATEWAY_TOKENS_USED ?? 'gateway.tokens.used',
  cost: METRIC_NAMES.GATEWAY_COST ?? 'gateway.cost',
  cacheHits: METRIC_NAMES.GATEWAY_CACHE_HITS ?? 'gateway.cache.hits',
  cacheMisses: METRIC_NAMES.GATEWAY_CACHE_MISSES ?? 'gateway.cache.misses',
  vectorSearchDuration: METRIC_NAMES.RAG_SEARCH_DURATION ?? 'rag.search.duration',
  memoryRetrievalDuration: METRIC_NAMES.AGENT_MEMORY_RETRIEVAL_DURATION ?? 'agent.memory.retrieval.duration',
  timeToFirstToken: METRIC_NAMES.GEN_AI_SERVER_TIME_TO_FIRST_TOKEN ?? 'gen_ai.server.time_to_first_token',
};

module.exports = { spanNames, metricNames };
