import type { Attributes } from '@opentelemetry/api';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
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
    throw new TypeError(`recordCost: "${field}" must be ${expected}, got ${typeof value === 'number' ? value : JSON.stringify(value) ?? typeof value}`);
  }
  return value;
}

function checkName(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TypeError(`recordCost: "${field}" must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/** Validates everything first, so a bad call records nothing; then adds to the span and metrics. */
export function recordCost(state: RequestTelemetry, cost: LlmCost): void {
  if (typeof cost !== 'object' || cost === null) throw new TypeError(`recordCost: expected an object, got ${String(cost)}`);
  const usd = checkAmount('usd', cost.usd, false);
  const inputTokens = checkAmount('inputTokens', cost.inputTokens, true);
  const outputTokens = checkAmount('outputTokens', cost.outputTokens, true);
  const model = checkName('model', cost.model);
  const provider = checkName('provider', cost.provider);
  const operation = checkName('operation', cost.operation) ?? 'chat';

  state.costUsd += usd;
  state.inputTokens += inputTokens;
  state.outputTokens += outputTokens;
  const span = state.span;
  if (span.isRecording()) {
    if (model !== undefined) span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, model);
    if (provider !== undefined) span.setAttribute(ATTR_GEN_AI_PROVIDER_NAME, provider);
    span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, state.inputTokens);
    span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, state.outputTokens);
    span.setAttribute(ATTR_MOTADATA_COST_USD, state.costUsd);
  }

  const attributes: Attributes = {};
  if (state.metricTenant !== undefined) attributes[ATTR_TENANT_ID] = state.metricTenant;
  const route = state.routeTemplate();
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
  if (provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = provider;
  const { cost: costCounter, tokensUsed, tokenUsage } = state.instruments;
  if (cost.usd !== undefined) costCounter.add(usd, attributes);
  const tokenAttributes: Attributes = { ...attributes, [ATTR_GEN_AI_OPERATION_NAME]: operation };
  if (cost.inputTokens !== undefined) {
    tokenAttributes[ATTR_GEN_AI_TOKEN_TYPE] = GEN_AI_TOKEN_TYPE_VALUE_INPUT;
    tokensUsed.add(inputTokens, tokenAttributes);
    tokenUsage.record(inputTokens, tokenAttributes);
  }
  if (cost.outputTokens !== undefined) {
    const outputAttributes = { ...tokenAttributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT };
    tokensUsed.add(outputTokens, outputAttributes);
    tokenUsage.record(outputTokens, outputAttributes);
  }
}
