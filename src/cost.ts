import type { Attributes } from '@opentelemetry/api';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { CardinalityCap } from './cardinality';
import { kitInstruments } from './instruments';
import type { KitInstruments } from './instruments';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_TENANT_ID,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
} from './semconv';

/** The largest `usd` one call may record: no single LLM call costs more, and sums stay finite. */
export const MAX_USD_PER_CALL = 1_000_000;

/** One LLM call's cost and usage, as a handler records it. */
export interface LlmCost {
  /** Cost in US dollars: a finite number in [0, 1 000 000] (`MAX_USD_PER_CALL`). */
  usd?: number;
  /** Prompt tokens: a non-negative safe integer. */
  inputTokens?: number;
  /** Completion tokens: a non-negative safe integer. */
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

// Tokens are safe integers (OTLP carries them as int64; past 2^53 a double is no longer the
// count); an amount is at most MAX_USD_PER_CALL, so no sum of them reaches Infinity.
function checkAmount(field: string, value: unknown, integer: boolean): number {
  if (value === undefined) return 0;
  const valid = typeof value === 'number' && value >= 0 && (integer ? Number.isSafeInteger(value) : value <= MAX_USD_PER_CALL);
  if (!valid) {
    const expected = integer ? 'a non-negative safe integer' : `a number in [0, ${MAX_USD_PER_CALL}]`;
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
export interface CheckedCost {
  readonly usd: number | undefined;
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly model: string | undefined;
  readonly provider: string | undefined;
  readonly operation: string;
}

/** Checks every field first, so a bad call records nothing. */
export function checkCost(cost: LlmCost): CheckedCost {
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

/**
 * Records LLM cost outside an HTTP request (a batch job, a queue worker): the same metrics as
 * `recordCost()`, without tenant and route.
 * @throws TypeError on a negative, NaN or non-numeric amount; nothing is recorded then.
 */
export function recordCostOutsideRequest(cost: LlmCost): void {
  recordCostMetrics(kitInstruments(), undefined, undefined, checkCost(cost));
}

// Model, provider and operation names are the application's, but a gateway may pass on what its
// callers ask for: each is capped like the tenant, so no caller can grow the metric series
// without bound (the SDK's cumulative storage keeps every attribute set it has seen).
export const modelCap = new CardinalityCap(200);
export const providerCap = new CardinalityCap(50);
export const operationCap = new CardinalityCap(50);

/** The cost metrics of one call: `gateway.cost`, `gateway.tokens.used`, `gen_ai.client.token.usage`. */
export function recordCostMetrics(instruments: KitInstruments, tenant: string | undefined, route: string | undefined, cost: CheckedCost): void {
  if (cost.usd === undefined && cost.inputTokens === undefined && cost.outputTokens === undefined) return;
  const attributes: Attributes = {};
  if (tenant !== undefined) attributes[ATTR_TENANT_ID] = tenant;
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (cost.model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = modelCap.metricValue(cost.model);
  if (cost.provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = providerCap.metricValue(cost.provider);
  if (cost.usd !== undefined) instruments.cost.add(cost.usd, attributes);
  const operation = operationCap.metricValue(cost.operation);
  // A fresh attribute object per record: the SDK keeps the object it is given for a new series.
  if (cost.inputTokens !== undefined) recordTokens(instruments, cost.inputTokens, { ...attributes, [ATTR_GEN_AI_OPERATION_NAME]: operation, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT });
  if (cost.outputTokens !== undefined) recordTokens(instruments, cost.outputTokens, { ...attributes, [ATTR_GEN_AI_OPERATION_NAME]: operation, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT });
}

function recordTokens(instruments: KitInstruments, tokens: number, attributes: Attributes): void {
  instruments.tokensUsed.add(tokens, attributes);
  instruments.tokenUsage.record(tokens, attributes);
}
