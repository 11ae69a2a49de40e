/**
 * The span names of the agent, gateway, RAG, LLMOps and MLOps helpers, as constants to import
 * instead of typing strings. Their metrics are in metric-catalogue.ts.
 */

export const SPAN_NAMES = Object.freeze({
  AGENT_TASK_EXECUTE: 'agent.task.execute',
  AGENT_MEMORY_RETRIEVE: 'agent.memory.retrieve',
  AGENT_MEMORY_UPDATE: 'agent.memory.update',
  AGENT_TOOL_EXECUTE: 'agent.tool.execute',
  AGENT_LLM_CALL: 'agent.llm.call',
  GATEWAY_GENERATE: 'gateway.generate',
  GATEWAY_CACHE_CHECK: 'gateway.cache.check',
  GATEWAY_PROVIDER_CALL: 'gateway.provider.call',
  RAG_QUERY: 'rag.query',
  RAG_EMBEDDING_GENERATE: 'rag.embedding.generate',
  RAG_VECTOR_SEARCH: 'rag.vector.search',
  RAG_RESPONSE_GENERATE: 'rag.response.generate',
  RAG_DOCUMENT_INGEST: 'rag.document.ingest',
  RAG_DOCUMENT_PROCESS: 'rag.document.process',
  RAG_DOCUMENT_STORE: 'rag.document.store',
  /** `llmops.<operation>`: the operation completes the name (`llmops.evaluation`). */
  LLMOPS_PREFIX: 'llmops.',
  MLOPS_TRAINING_JOB: 'mlops.training.job',
  MLOPS_PREDICTION: 'mlops.prediction',
} as const);
