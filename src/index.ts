/**
 * @motadata/otel: one OpenTelemetry trace across every HTTP hop of AI services, with per-tenant
 * cost, token and latency metrics. The Express and Koa middleware live in `@motadata/otel/express`
 * and `@motadata/otel/koa`.
 */
export { initTelemetry, activeTelemetry } from './telemetry';
export { tracedFetch, injectTraceHeaders } from './fetch';
export { instrumentOutbound } from './outbound';
export { isInternalHost } from './outbound-options';
export { currentRequest } from './request-otel';
export { recordCostOutsideRequest } from './cost';
export { genAiCall } from './genai-client';
export { createPropagator } from './propagation';
export type { PropagatorName } from './propagation';
export { StrictW3CTraceContextPropagator, RANDOM_TRACE_ID_FLAG } from './tracecontext';
export type { TraceContextOptions } from './tracecontext';
export { Level2TraceState } from './tracestate';
export { OTELTracer } from './facades/tracer';
export { OTELMetrics } from './facades/metrics';
export { OTELLogger, traceFields } from './facades/logger';
export { OTELSpan } from './facades/span';
export { agent } from './components/agent';
export { gateway } from './components/gateway';
export { rag } from './components/rag';
export { llmops, mlops } from './components/ops';
export { SPAN_NAMES } from './components/names';
export { METRIC_NAMES, METRIC_CATALOGUE } from './metric-catalogue';
export {
  ATTR_TENANT_ID,
  ATTR_MOTADATA_COST_USD,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_TOKEN_TYPE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_GATEWAY_COST,
  METRIC_GATEWAY_TOKENS_USED,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
  METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
  EVENT_GEN_AI_FIRST_TOKEN,
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
export type { OutboundOptions, OutboundMatcher } from './outbound-options';
export type { LlmCost } from './cost';
export type { GenAiCallOptions } from './genai-client';
export type { StreamOptions, StreamChunksOptions } from './stream-options';
export type { RequestOtel } from './request-otel';
export type { OtelMiddlewareOptions, TenantOptions, IgnoreMatcher } from './options';
export type { SpanStatusName } from './facades/span';
export type { SpanKindName, StartTraceOptions, StartSpanOptions, TraceCarrier, ExporterConfig } from './facades/tracer';
export type { LogLevel, LogDetails, OTELLoggerOptions, TraceFields } from './facades/logger';
export type { AgentTask } from './components/agent';
export type { ComponentFn } from './components/run';
export type { MetricDefinition, InstrumentKind } from './metric-catalogue';
