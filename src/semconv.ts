/**
 * Attribute and metric names the kit emits that `@opentelemetry/semantic-conventions` does not
 * export from its stable entry point.
 *
 * The GenAI names live in the package's `incubating` entry, which is explicitly unstable (names
 * move between releases: `gen_ai.system` became `gen_ai.provider.name`). We pin the current names
 * here so a semconv upgrade can never silently rename what dashboards query.
 * See https://opentelemetry.io/docs/specs/semconv/gen-ai/
 */

/** The tenant a request belongs to. Span attribute, metric attribute and baggage key. */
export const ATTR_TENANT_ID = 'tenant.id';

/** Accumulated LLM cost of a request in USD. Semconv has no cost attribute, so it is the kit's own. */
export const ATTR_MOTADATA_COST_USD = 'motadata.llm.cost.usd';

export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const GEN_AI_TOKEN_TYPE_VALUE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_VALUE_OUTPUT = 'output';

/** Semconv GenAI client metric: tokens per operation, a histogram in `{token}`. */
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
/** Semconv GenAI client metric: the duration of an operation (an LLM call), a histogram in `s`. */
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
/** Semconv GenAI model-server metrics: request duration, time to first token, time per output token. */
export const METRIC_GEN_AI_SERVER_REQUEST_DURATION = 'gen_ai.server.request.duration';
export const METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN = 'gen_ai.server.time_to_first_token';
export const METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN = 'gen_ai.server.time_per_output_token';
/**
 * The SERVER span event at a streamed response's first output token. Semconv names no such event
 * (its `gen_ai.response.time_to_first_chunk` is a client span attribute), so it is the kit's own.
 */
export const EVENT_GEN_AI_FIRST_TOKEN = 'gen_ai.first_token';

/**
 * Bucket advice for `gen_ai.client.token.usage` from the GenAI metrics spec.
 * See https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/#metric-gen_aiclienttokenusage
 */
export const GEN_AI_TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/**
 * Bucket advice for `http.server.request.duration` from the HTTP metrics spec.
 * See https://opentelemetry.io/docs/specs/semconv/http/http-metrics/#metric-httpserverrequestduration
 */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/**
 * Bucket advice for `gen_ai.client.operation.duration` and `gen_ai.server.request.duration` from
 * the GenAI metrics spec: LLM calls take seconds to a minute, past the HTTP buckets' last
 * boundary (10 s).
 * See https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/#metric-gen_aiclientoperationduration
 */
export const GEN_AI_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/**
 * Bucket advice for `gen_ai.server.time_to_first_token` from the GenAI metrics spec.
 * See https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/#metric-gen_aiservertime_to_first_token
 */
export const GEN_AI_TIME_TO_FIRST_TOKEN_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/**
 * Bucket advice for `gen_ai.server.time_per_output_token` from the GenAI metrics spec.
 * See https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/#metric-gen_aiservertime_per_output_token
 */
export const GEN_AI_TIME_PER_OUTPUT_TOKEN_BUCKETS: readonly number[] = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5,
];

/**
 * Buckets for jobs that run minutes to a day (training, fine-tuning, evaluation runs); no
 * semconv advice exists for these. From 1 s to 24 h.
 */
export const JOB_DURATION_BUCKETS: readonly number[] = [
  1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 43200, 86400,
];

/** Metric names the core kit emits. */
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
export const METRIC_GATEWAY_COST = 'gateway.cost';
export const METRIC_GATEWAY_TOKENS_USED = 'gateway.tokens.used';
export const METRIC_TENANT_REJECTED = 'tenant.rejected';

/** The metric attribute value that stands for every tenant past the `maxTenants` cap. */
export const OTHER_TENANT = '__other__';

/**
 * The methods semconv knows; any other becomes `_OTHER`, so arbitrary verbs cannot become span
 * names or metric series. See https://opentelemetry.io/docs/specs/semconv/http/http-spans/#common-attributes
 */
export const KNOWN_HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);
