import { metrics, trace } from '@opentelemetry/api';
import type { Counter, Histogram, MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api';
import {
  GEN_AI_TOKEN_USAGE_BUCKETS,
  HTTP_DURATION_BUCKETS,
  METRIC_GATEWAY_COST,
  METRIC_GATEWAY_TOKENS_USED,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_TENANT_REJECTED,
} from './semconv';
import { KIT_NAME, KIT_VERSION } from './version';

/** The tracer and instruments of the core kit, made once per pair of global providers. */
export interface KitInstruments {
  readonly tracer: Tracer;
  readonly requestDuration: Histogram;
  readonly cost: Counter;
  readonly tokensUsed: Counter;
  readonly tokenUsage: Histogram;
  readonly tenantRejected: Counter;
}

let cachedFor: { tracerProvider: TracerProvider; meterProvider: MeterProvider } | undefined;
let cached: KitInstruments | undefined;

/**
 * The kit's instruments for the current global providers. They are resolved lazily and again
 * whenever a provider is replaced (`initTelemetry()` after `shutdown()`): a meter taken before
 * the SDK started would be a no-op forever, which would make middleware creation order matter.
 */
export function kitInstruments(): KitInstruments {
  const tracerProvider = trace.getTracerProvider();
  const meterProvider = metrics.getMeterProvider();
  if (cached !== undefined && cachedFor!.tracerProvider === tracerProvider && cachedFor!.meterProvider === meterProvider) {
    return cached;
  }
  const meter = meterProvider.getMeter(KIT_NAME, KIT_VERSION);
  cachedFor = { tracerProvider, meterProvider };
  cached = {
    tracer: tracerProvider.getTracer(KIT_NAME, KIT_VERSION),
    requestDuration: meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
      unit: 's',
      description: 'Duration of HTTP server requests.',
      advice: { explicitBucketBoundaries: [...HTTP_DURATION_BUCKETS] },
    }),
    cost: meter.createCounter(METRIC_GATEWAY_COST, {
      unit: 'USD',
      description: 'LLM cost recorded by request handlers.',
    }),
    tokensUsed: meter.createCounter(METRIC_GATEWAY_TOKENS_USED, {
      unit: '{token}',
      description: 'LLM tokens used, by gen_ai.token.type.',
    }),
    tokenUsage: meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      unit: '{token}',
      description: 'Number of input and output tokens used per LLM operation.',
      advice: { explicitBucketBoundaries: [...GEN_AI_TOKEN_USAGE_BUCKETS] },
    }),
    tenantRejected: meter.createCounter(METRIC_TENANT_REJECTED, {
      unit: '{request}',
      description: 'Requests whose tenant id failed validation and was dropped.',
    }),
  };
  return cached;
}
