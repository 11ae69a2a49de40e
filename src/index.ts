/**
 * @motadata/otel: one OpenTelemetry trace across every HTTP hop of AI services, with per-tenant
 * cost, token and latency metrics. The Express and Koa middleware live in `@motadata/otel/express`
 * and `@motadata/otel/koa`.
 */
export { initTelemetry, activeTelemetry } from './telemetry';
export { tracedFetch, injectTraceHeaders } from './fetch';
export { currentRequest } from './lifecycle';
export { StrictW3CTraceContextPropagator, createPropagator, RANDOM_TRACE_ID_FLAG } from './propagation';
export { Level2TraceState } from './tracestate';
export {
  ATTR_TENANT_ID,
  ATTR_MOTADATA_COST_USD,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_TOKEN_TYPE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_GATEWAY_COST,
  METRIC_GATEWAY_TOKENS_USED,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_TENANT_REJECTED,
  OTHER_TENANT,
} from './semconv';

export type { Telemetry } from './telemetry';
export type {
  TelemetryOptions,
  TraceExporterName,
  MetricExporterName,
  LogExporterName,
  OtlpProtocol,
} from './telemetry-options';
export type { HeaderCarrier } from './fetch';
export type { LlmCost } from './cost';
export type { RequestOtel } from './lifecycle';
export type { OtelMiddlewareOptions, TenantOptions, IgnoreMatcher } from './options';
