import {
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_TIME_PER_OUTPUT_TOKEN_BUCKETS,
  GEN_AI_TIME_TO_FIRST_TOKEN_BUCKETS,
  GEN_AI_TOKEN_USAGE_BUCKETS,
  HTTP_DURATION_BUCKETS,
  JOB_DURATION_BUCKETS,
  METRIC_GATEWAY_COST,
  METRIC_GATEWAY_TOKENS_USED,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_TENANT_REJECTED,
} from './semconv';

/**
 * Every metric the kit records: its name, instrument kind, unit, description and buckets. The
 * one definition each instrument is made from, by the middleware, `recordCost`, the component
 * helpers and `OTELMetrics` alike, so a name recorded from two places is one stream.
 */

export const METRIC_NAMES = Object.freeze({
  AGENT_TASK_DURATION: 'agent.task.duration',
  AGENT_TASKS_EXECUTED: 'agent.tasks.executed',
  AGENT_MEMORY_RETRIEVAL_DURATION: 'agent.memory.retrieval.duration',
  AGENT_MEMORY_UPDATES: 'agent.memory.updates',
  GATEWAY_REQUEST_DURATION: 'gateway.request.duration',
  GATEWAY_CACHE_HITS: 'gateway.cache.hits',
  GATEWAY_CACHE_MISSES: 'gateway.cache.misses',
  GATEWAY_PROVIDER_CALLS: 'gateway.provider.calls',
  GATEWAY_TOKENS_USED: METRIC_GATEWAY_TOKENS_USED,
  GATEWAY_COST: METRIC_GATEWAY_COST,
  GEN_AI_CLIENT_TOKEN_USAGE: METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  GEN_AI_CLIENT_OPERATION_DURATION: METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  GEN_AI_SERVER_REQUEST_DURATION: METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  GEN_AI_SERVER_TIME_TO_FIRST_TOKEN: METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
  GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN: METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
  RAG_QUERY_DURATION: 'rag.query.duration',
  RAG_EMBEDDING_DURATION: 'rag.embedding.duration',
  RAG_SEARCH_DURATION: 'rag.search.duration',
  RAG_GENERATION_DURATION: 'rag.generation.duration',
  RAG_QUERIES_COMPLETED: 'rag.queries.completed',
  RAG_DOCUMENTS_INGESTED: 'rag.documents.ingested',
  LLMOPS_OPERATIONS: 'llmops.operations',
  LLMOPS_DURATION: 'llmops.operation.duration',
  LLMOPS_COST: 'llmops.cost',
  LLMOPS_TOKENS: 'llmops.tokens',
  MLOPS_TRAINING_DURATION: 'mlops.training.duration',
  MLOPS_TRAINING_JOBS: 'mlops.training.jobs',
  MLOPS_PREDICTION_DURATION: 'mlops.prediction.duration',
  MLOPS_PREDICTIONS: 'mlops.predictions',
  HTTP_SERVER_REQUEST_DURATION: METRIC_HTTP_SERVER_REQUEST_DURATION,
  TENANT_REJECTED: METRIC_TENANT_REJECTED,
} as const);

export type InstrumentKind = 'counter' | 'histogram' | 'gauge';

export interface MetricDefinition {
  readonly kind: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  /** Histogram bucket boundaries; durations without them get the HTTP ones (5 ms to 10 s). */
  readonly buckets?: readonly number[];
}

const duration = (description: string, buckets?: readonly number[]): MetricDefinition =>
  buckets === undefined ? { kind: 'histogram', unit: 's', description } : { kind: 'histogram', unit: 's', description, buckets };
const count = (unit: string, description: string): MetricDefinition => ({ kind: 'counter', unit, description });

/**
 * Units, instrument kinds and buckets of the known names. Durations of LLM work take the GenAI
 * buckets (to 82 s), training and LLMOps jobs ones to 24 h; the kit's own metrics are described
 * as the kit records them, so an `OTELMetrics` record of one joins the kit's stream.
 */
export const METRIC_CATALOGUE: Readonly<Record<string, MetricDefinition>> = Object.freeze({
  [METRIC_NAMES.AGENT_TASK_DURATION]: duration('Duration of agent tasks.', GEN_AI_DURATION_BUCKETS),
  [METRIC_NAMES.AGENT_TASKS_EXECUTED]: count('{task}', 'Agent tasks executed, by status and error_type.'),
  [METRIC_NAMES.AGENT_MEMORY_RETRIEVAL_DURATION]: duration('Duration of agent memory retrievals.'),
  [METRIC_NAMES.AGENT_MEMORY_UPDATES]: count('{update}', 'Agent memory updates, by memory_type.'),
  [METRIC_NAMES.GATEWAY_REQUEST_DURATION]: duration('Duration of gateway generations.', GEN_AI_DURATION_BUCKETS),
  [METRIC_NAMES.GATEWAY_CACHE_HITS]: count('{request}', 'Gateway cache hits.'),
  [METRIC_NAMES.GATEWAY_CACHE_MISSES]: count('{request}', 'Gateway cache misses.'),
  [METRIC_NAMES.GATEWAY_PROVIDER_CALLS]: count('{call}', 'Calls to LLM providers, by provider, model and status.'),
  [METRIC_NAMES.GATEWAY_TOKENS_USED]: count('{token}', 'LLM tokens used, by gen_ai.token.type.'),
  [METRIC_NAMES.GATEWAY_COST]: count('USD', 'LLM cost recorded by request handlers.'),
  [METRIC_NAMES.RAG_QUERY_DURATION]: duration('Duration of RAG queries.', GEN_AI_DURATION_BUCKETS),
  [METRIC_NAMES.RAG_EMBEDDING_DURATION]: duration('Duration of embedding generation.'),
  [METRIC_NAMES.RAG_SEARCH_DURATION]: duration('Duration of vector searches.'),
  [METRIC_NAMES.RAG_GENERATION_DURATION]: duration('Duration of RAG response generation.', GEN_AI_DURATION_BUCKETS),
  [METRIC_NAMES.RAG_QUERIES_COMPLETED]: count('{query}', 'RAG queries completed, by status.'),
  [METRIC_NAMES.RAG_DOCUMENTS_INGESTED]: count('{document}', 'Documents ingested, by status.'),
  [METRIC_NAMES.LLMOPS_OPERATIONS]: count('{operation}', 'LLMOps operations, by operation, model and status.'),
  [METRIC_NAMES.LLMOPS_DURATION]: duration('Duration of LLMOps operations.', JOB_DURATION_BUCKETS),
  [METRIC_NAMES.LLMOPS_COST]: count('USD', 'Cost of LLMOps operations.'),
  [METRIC_NAMES.LLMOPS_TOKENS]: count('{token}', 'Tokens used by LLMOps operations, by gen_ai.token.type.'),
  [METRIC_NAMES.MLOPS_TRAINING_DURATION]: duration('Duration of training jobs.', JOB_DURATION_BUCKETS),
  [METRIC_NAMES.MLOPS_TRAINING_JOBS]: count('{job}', 'Training jobs, by model and status.'),
  [METRIC_NAMES.MLOPS_PREDICTION_DURATION]: duration('Duration of predictions.'),
  [METRIC_NAMES.MLOPS_PREDICTIONS]: count('{prediction}', 'Predictions, by model and outcome.'),
  [METRIC_NAMES.HTTP_SERVER_REQUEST_DURATION]: duration('Duration of HTTP server requests.', HTTP_DURATION_BUCKETS),
  [METRIC_NAMES.GEN_AI_CLIENT_TOKEN_USAGE]: {
    kind: 'histogram',
    unit: '{token}',
    description: 'Number of input and output tokens used per LLM operation.',
    buckets: GEN_AI_TOKEN_USAGE_BUCKETS,
  },
  [METRIC_NAMES.GEN_AI_CLIENT_OPERATION_DURATION]: duration('Duration of GenAI client operations (LLM calls), to the last chunk of a stream.', GEN_AI_DURATION_BUCKETS),
  [METRIC_NAMES.GEN_AI_SERVER_REQUEST_DURATION]: duration('Duration of GenAI server requests, to the last byte of the response.', GEN_AI_DURATION_BUCKETS),
  [METRIC_NAMES.GEN_AI_SERVER_TIME_TO_FIRST_TOKEN]: duration('Time to the first output token of successful GenAI server responses.', GEN_AI_TIME_TO_FIRST_TOKEN_BUCKETS),
  [METRIC_NAMES.GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN]: duration('Time per output token after the first, of successful GenAI server responses.', GEN_AI_TIME_PER_OUTPUT_TOKEN_BUCKETS),
  [METRIC_NAMES.TENANT_REJECTED]: count('{request}', 'Requests whose tenant id failed validation and was dropped.'),
});
