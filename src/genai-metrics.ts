import type { Attributes, Histogram } from '@opentelemetry/api';
import { ATTR_HTTP_ROUTE } from './bound';
import { modelCap, operationCap, providerCap } from './cost';
import { instrumentOptions, kitInstruments } from './instruments';
import type { KitInstruments } from './instruments';
import { METRIC_CATALOGUE } from './metric-catalogue';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_TENANT_ID,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
} from './semconv';

/** The GenAI latency histograms, made from their catalogue entries on the kit's meter. */
export interface GenAiInstruments {
  readonly serverRequestDuration: Histogram;
  readonly timeToFirstToken: Histogram;
  readonly timePerOutputToken: Histogram;
  readonly clientOperationDuration: Histogram;
}

let cachedFor: KitInstruments | undefined;
let cached: GenAiInstruments | undefined;

/** Made again whenever `kitInstruments()` is (a provider was replaced), like the kit's own. */
export function genAiInstruments(): GenAiInstruments {
  const kit = kitInstruments();
  if (cached !== undefined && cachedFor === kit) return cached;
  const histogram = (name: string): Histogram => kit.meter.createHistogram(name, instrumentOptions(METRIC_CATALOGUE[name]));
  cachedFor = kit;
  cached = {
    serverRequestDuration: histogram(METRIC_GEN_AI_SERVER_REQUEST_DURATION),
    timeToFirstToken: histogram(METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN),
    timePerOutputToken: histogram(METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN),
    clientOperationDuration: histogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION),
  };
  return cached;
}

/** Which GenAI operation a metric point belongs to. */
export interface GenAiOperation {
  readonly operation: string | undefined;
  readonly model: string | undefined;
  readonly provider: string | undefined;
}

/**
 * The attributes every GenAI latency point carries: operation (`chat` by default), model and
 * provider capped as `recordCost()` caps them, and the request's capped tenant and route.
 */
export function genAiAttributes(op: GenAiOperation, tenant: string | undefined, route: string | undefined): Attributes {
  const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: operationCap.metricValue(op.operation ?? 'chat') };
  if (op.model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = modelCap.metricValue(op.model);
  if (op.provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = providerCap.metricValue(op.provider);
  if (tenant !== undefined) attributes[ATTR_TENANT_ID] = tenant;
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  return attributes;
}
