import type { Attributes } from '@opentelemetry/api';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { kitInstruments } from './instruments';
import { costMetrics, kitMetricProducer } from './kit-metrics';
import type { KitInstruments } from './instruments';
import type { RequestTelemetry } from './lifecycle';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_MOTADATA_COST_USD,
  ATTR_TENANT_ID,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
} from './semconv';

/** One LLM call's cost and usage, as a handler records it. */
export interface LlmCost {
  /** Cost in US dollars. Non-negative. */
  usd?: number;
  /** Prompt tokens. A non-negative integer. */
  inputTokens?: number;
  /** Completion tokens. A non-negative integer. */
  outputTokens?: number;
  /** The model asked for, `gen_ai.request.model` (e.g. `gpt-4o`). */
  model?: string;
  /** The provider, `gen_ai.provider.name` (e.g. `openai`, `anthropic`). */
  provider?: string;
  /**
   * The GenAI operation, `gen_ai.operation.name` (`chat`, `text_completion`, `embeddings`, ...).
   * @default 'chat'
   */
  operation?: string;
}

function checkAmount(field: string, value: unknown, integer: boolean): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value === Infinity || (integer && !Number.isInteger(value))) {
    const expected = integer ? 'a non-negative integer' : 'a non-negative finite number';
    throw new TypeError(`recordCost: "${field}" must be ${expected}, got ${shown(value)}`);
  }
  return value;
}

function checkName(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TypeError(`recordCost: "${field}" must be a non-empty string, got ${shown(value)}`);
  return value;
}

/** A value for an error message; `JSON.stringify` throws on a BigInt and returns undefined for some. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/** A cost after validation: amounts are numbers (0 when absent), names checked. */
interface CheckedCost {
  readonly usd: number | undefined;
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly model: string | undefined;
  readonly provider: string | undefined;
  readonly operation: string;
}

/** Checks every field first, so a bad call records nothing. */
function checkCost(cost: LlmCost): CheckedCost {
  if (typeof cost !== 'object' || cost === null) throw new TypeError(`recordCost: expected an object, got ${String(cost)}`);
  const usd = checkAmount('usd', cost.usd, false);
  const inputTokens = checkAmount('inputTokens', cost.inputTokens, true);
  const outputTokens = checkAmount('outputTokens', cost.outputTokens, true);
  return {
    usd: cost.usd === undefined ? undefined : usd,
    inputTokens: cost.inputTokens === undefined ? undefined : inputTokens,
    outputTokens: cost.outputTokens === undefined ? undefined : outputTokens,
    model: checkName('model', cost.model),
    provider: checkName('provider', cost.provider),
    operation: checkName('operation', cost.operation) ?? 'chat',
  };
}

/** Adds a request's LLM cost: span attributes (several calls add up) and metrics with tenant and route. */
export function recordCost(state: RequestTelemetry, cost: LlmCost): void {
  const checked = checkCost(cost);
  state.costUsd += checked.usd ?? 0;
  state.inputTokens += checked.inputTokens ?? 0;
  state.outputTokens += checked.outputTokens ?? 0;
  const span = state.span;
  if (span.isRecording()) {
    if (checked.model !== undefined) span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, checked.model);
    if (checked.provider !== undefined) span.setAttribute(ATTR_GEN_AI_PROVIDER_NAME, checked.provider);
    span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, state.inputTokens);
    span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, state.outputTokens);
    span.setAttribute(ATTR_MOTADATA_COST_USD, state.costUsd);
  }
  recordCostMetrics(state.instruments, state.metricTenant, state.routeTemplate(), checked);
}

/**
 * Records LLM cost outside an HTTP request (a batch job, a queue worker): the same metrics as
 * `recordCost()`, without tenant and route.
 * @throws TypeError on a negative, NaN or non-numeric amount; nothing is recorded then.
 */
export function recordCostOutsideRequest(cost: LlmCost): void {
  recordCostMetrics(kitInstruments(), undefined, undefined, checkCost(cost));
}

function recordCostMetrics(instruments: KitInstruments, tenant: string | undefined, route: string | undefined, cost: CheckedCost): void {
  if (cost.usd === undefined && cost.inputTokens === undefined && cost.outputTokens === undefined) return;
  if (kitMetricProducer.enabled) {
    // initTelemetry() set up the readers: the kit's own aggregation (see aggregation.ts).
    const series = costMetrics.series(tenant, route, cost.model, cost.provider);
    if (cost.usd !== undefined) series.cost.add(cost.usd);
    if (cost.inputTokens !== undefined) {
      const [used, usage] = series.tokenSeries(cost.operation, GEN_AI_TOKEN_TYPE_VALUE_INPUT);
      used.add(cost.inputTokens);
      usage.record(cost.inputTokens);
    }
    if (cost.outputTokens !== undefined) {
      const [used, usage] = series.tokenSeries(cost.operation, GEN_AI_TOKEN_TYPE_VALUE_OUTPUT);
      used.add(cost.outputTokens);
      usage.record(cost.outputTokens);
    }
    return;
  }
  // A MeterProvider set up without initTelemetry(): the SDK instruments, same attributes.
  const attributes: Attributes = {};
  if (tenant !== undefined) attributes[ATTR_TENANT_ID] = tenant;
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (cost.model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = cost.model;
  if (cost.provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = cost.provider;
  if (cost.usd !== undefined) instruments.cost.add(cost.usd, attributes);
  // A fresh attribute object per record: the SDK may keep the object it is given.
  for (const [tokens, type] of [[cost.inputTokens, GEN_AI_TOKEN_TYPE_VALUE_INPUT], [cost.outputTokens, GEN_AI_TOKEN_TYPE_VALUE_OUTPUT]] as const) {
    if (tokens === undefined) continue;
    const tokenAttributes: Attributes = { ...attributes, [ATTR_GEN_AI_OPERATION_NAME]: cost.operation, [ATTR_GEN_AI_TOKEN_TYPE]: type };
    instruments.tokensUsed.add(tokens, tokenAttributes);
    instruments.tokenUsage.record(tokens, tokenAttributes);
  }
}
