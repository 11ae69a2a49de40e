import { ValueType } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { AggregatedHistogram, AggregatedSum, KitMetricProducer, child } from './aggregation';
import type { HistogramSeries, SumSeries } from './aggregation';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_TENANT_ID,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  GEN_AI_TOKEN_USAGE_BUCKETS,
  HTTP_DURATION_BUCKETS,
  METRIC_GATEWAY_COST,
  METRIC_GATEWAY_TOKENS_USED,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from './semconv';

/**
 * The metrics every request (or every `recordCost`) records, aggregated by the kit (see
 * aggregation.ts for why), each with a fast path that finds a series through nested Maps keyed
 * by the values the caller holds.
 */

export const requestDuration = new AggregatedHistogram(
  { name: METRIC_HTTP_SERVER_REQUEST_DURATION, unit: 's', description: 'Duration of HTTP server requests.', valueType: ValueType.DOUBLE },
  HTTP_DURATION_BUCKETS,
);
export const gatewayCost = new AggregatedSum({ name: METRIC_GATEWAY_COST, unit: 'USD', description: 'LLM cost recorded by request handlers.', valueType: ValueType.DOUBLE });
export const gatewayTokensUsed = new AggregatedSum({
  name: METRIC_GATEWAY_TOKENS_USED,
  unit: '{token}',
  description: 'LLM tokens used, by gen_ai.token.type.',
  valueType: ValueType.INT,
});
export const genAiTokenUsage = new AggregatedHistogram(
  { name: METRIC_GEN_AI_CLIENT_TOKEN_USAGE, unit: '{token}', description: 'Number of input and output tokens used per LLM operation.', valueType: ValueType.INT },
  GEN_AI_TOKEN_USAGE_BUCKETS,
);

type Level<T> = Map<string | number, T>;

/** `http.server.request.duration` by method → scheme → route → status → tenant → error.type ('' where absent). */
class RequestDurations {
  private cache: Level<Level<Level<Level<Level<Level<HistogramSeries>>>>>> = new Map();

  reset(): void {
    this.cache = new Map();
  }

  record(seconds: number, method: string, scheme: string, route: string | undefined, status: number | undefined, tenant: string | undefined, errorType: string | undefined): void {
    let series = this.cache.get(method)?.get(scheme)?.get(route ?? '')?.get(status ?? '')?.get(tenant ?? '')?.get(errorType ?? '');
    if (series === undefined) {
      const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: scheme };
      if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
      if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
      if (tenant !== undefined) attributes[ATTR_TENANT_ID] = tenant;
      if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
      const full = requestDuration.full;
      series = requestDuration.seriesFor(attributes);
      // Past the cardinality limit every new combination is the overflow series: caching it
      // (or making the Maps on the way to it) would let the cache grow without bound.
      if (!full) child(child(child(child(child(this.cache, method), scheme), route ?? ''), status ?? ''), tenant ?? '').set(errorType ?? '', series);
    }
    series.record(seconds);
  }
}

/** The series one cost attribute set (tenant, route, model, provider) writes to. */
class CostSeries {
  private costSeries: SumSeries | undefined = undefined;
  // gen_ai.operation.name → [gateway.tokens.used, gen_ai.client.token.usage], per token type
  private readonly input = new Map<string, readonly [SumSeries, HistogramSeries]>();
  private readonly output = new Map<string, readonly [SumSeries, HistogramSeries]>();
  constructor(private readonly attributes: Attributes) {}

  /** The `gateway.cost` series, made on the first cost: a tokens-only model has no cost series of 0. */
  get cost(): SumSeries {
    return (this.costSeries ??= gatewayCost.seriesFor(this.attributes));
  }

  /** The token series of an operation and token type, created on first use. */
  tokenSeries(operation: string, type: typeof GEN_AI_TOKEN_TYPE_VALUE_INPUT | typeof GEN_AI_TOKEN_TYPE_VALUE_OUTPUT): readonly [SumSeries, HistogramSeries] {
    const byOperation = type === GEN_AI_TOKEN_TYPE_VALUE_INPUT ? this.input : this.output;
    let series = byOperation.get(operation);
    if (series === undefined) {
      const attributes: Attributes = { ...this.attributes, [ATTR_GEN_AI_OPERATION_NAME]: operation, [ATTR_GEN_AI_TOKEN_TYPE]: type };
      const full = gatewayTokensUsed.full || genAiTokenUsage.full;
      series = [gatewayTokensUsed.seriesFor(attributes), genAiTokenUsage.seriesFor(attributes)];
      if (!full) byOperation.set(operation, series);
    }
    return series;
  }
}

/** The cost metrics by tenant → route → model → provider ('' where absent). */
class CostMetrics {
  private cache: Level<Level<Level<Level<CostSeries>>>> = new Map();

  reset(): void {
    this.cache = new Map();
  }

  series(tenant: string | undefined, route: string | undefined, model: string | undefined, provider: string | undefined): CostSeries {
    let series = this.cache.get(tenant ?? '')?.get(route ?? '')?.get(model ?? '')?.get(provider ?? '');
    if (series === undefined) {
      const attributes: Attributes = {};
      if (tenant !== undefined) attributes[ATTR_TENANT_ID] = tenant;
      if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
      if (model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
      if (provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = provider;
      // Each attribute set kept here takes a series of a metric not yet full (recordCost records
      // at least one amount), so the cache is bounded by the metrics' limits.
      const full = gatewayCost.full || gatewayTokensUsed.full || genAiTokenUsage.full;
      series = new CostSeries(attributes);
      // Past the limit, as above: neither the series nor the Maps on the way to it are kept.
      if (!full) child(child(child(this.cache, tenant ?? ''), route ?? ''), model ?? '').set(provider ?? '', series);
    }
    return series;
  }
}

export const requestDurations = new RequestDurations();
export const costMetrics = new CostMetrics();

/** The process-wide producer: one telemetry per process, like the SDK's global providers. */
export const kitMetricProducer = new KitMetricProducer([requestDuration, gatewayCost, gatewayTokensUsed, genAiTokenUsage], [requestDurations, costMetrics]);
