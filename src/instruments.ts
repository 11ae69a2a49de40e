import { metrics, trace } from '@opentelemetry/api';
import type { Counter, Histogram, Meter, MeterProvider, MetricOptions, Tracer, TracerProvider } from '@opentelemetry/api';
import { METRIC_CATALOGUE } from './metric-catalogue';
import {
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
  readonly meter: Meter;
  readonly requestDuration: Histogram;
  readonly cost: Counter;
  readonly tokensUsed: Counter;
  readonly tokenUsage: Histogram;
  readonly tenantRejected: Counter;
}

/** The `createHistogram`/`createCounter` options of a catalogued metric: unit, description, bucket advice. */
export function instrumentOptions(definition: { readonly unit: string; readonly description: string; readonly buckets?: readonly number[] | undefined }): MetricOptions {
  const options: MetricOptions = { unit: definition.unit };
  if (definition.description !== '') options.description = definition.description;
  if (definition.buckets !== undefined) options.advice = { explicitBucketBoundaries: [...definition.buckets] };
  return options;
}

function histogram(meter: Meter, name: string): Histogram {
  return meter.createHistogram(name, instrumentOptions(METRIC_CATALOGUE[name]));
}

function counter(meter: Meter, name: string): Counter {
  return meter.createCounter(name, instrumentOptions(METRIC_CATALOGUE[name]));
}

let cachedFor: { tracerProvider: TracerProvider; meterProvider: MeterProvider } | undefined;
let cached: KitInstruments | undefined;

/**
 * The kit's instruments for the current global providers, through the metrics API, so the
 * application's SDK aggregates them and its Views apply. They are resolved lazily and again
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
    meter,
    requestDuration: histogram(meter, METRIC_HTTP_SERVER_REQUEST_DURATION),
    cost: counter(meter, METRIC_GATEWAY_COST),
    tokensUsed: counter(meter, METRIC_GATEWAY_TOKENS_USED),
    tokenUsage: histogram(meter, METRIC_GEN_AI_CLIENT_TOKEN_USAGE),
    tenantRejected: counter(meter, METRIC_TENANT_REJECTED),
  };
  return cached;
}
