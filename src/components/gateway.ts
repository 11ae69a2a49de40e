import type { Attributes } from '@opentelemetry/api';
import { recordCostOutsideRequest } from '../cost';
import type { LlmCost } from '../cost';
import { currentRequest } from '../request-otel';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
} from '../semconv';
import { METRIC_NAMES } from '../metric-catalogue';
import { SPAN_NAMES } from './names';
import { numberField, requestInfo, runComponent } from './run';
import type { ComponentEnd, ComponentFn } from './run';

/**
 * LLM gateway helpers.
 * @example
 * const text = await gateway.generate({ model, prompt }, async () => {
 *   const cached = await gateway.checkCache({ model }, () => cache.get(key));
 *   if (cached != null) return cached;
 *   const r = await gateway.callProvider({ provider: 'openai', model }, () => provider.complete(prompt));
 *   return r.text; // r has promptTokens, completionTokens, costUsd
 * });
 */
export const gateway = Object.freeze({
  /** `gateway.generate` (gateway.model, gateway.tenant_id, gateway.prompt.length); gateway.request.duration. */
  generate<T>(request: { model: string; prompt: string; tenantId?: string }, fn: ComponentFn<T>): Promise<T> {
    const attributes: Attributes = { 'gateway.model': request.model, 'gateway.prompt.length': typeof request.prompt === 'string' ? request.prompt.length : 0 };
    const tenant = request.tenantId ?? requestInfo().tenantId;
    if (tenant !== undefined) attributes['gateway.tenant_id'] = tenant;
    return runComponent(SPAN_NAMES.GATEWAY_GENERATE, attributes, fn, (end) => {
      end.metrics.recordHistogram(METRIC_NAMES.GATEWAY_REQUEST_DURATION, end.durationSeconds, { ...end.base, model: request.model, status: end.status });
    });
  },

  /**
   * `gateway.cache.check`; `fn` returns the cached value, or undefined or null for a miss (Redis
   * clients answer a miss with null); cache.hit; gateway.cache.hits / misses.
   */
  checkCache<T>(lookup: { model?: string }, fn: ComponentFn<T | null | undefined>): Promise<T | null | undefined> {
    return runComponent(SPAN_NAMES.GATEWAY_CACHE_CHECK, lookup.model === undefined ? {} : { 'gateway.model': lookup.model }, fn, (end) => {
      if (end.error !== undefined) return;
      const hit = end.result !== undefined && end.result !== null;
      end.handle.setAttribute('cache.hit', hit);
      const labels = lookup.model === undefined ? end.base : { ...end.base, model: lookup.model };
      end.metrics.incrementCounter(hit ? METRIC_NAMES.GATEWAY_CACHE_HITS : METRIC_NAMES.GATEWAY_CACHE_MISSES, labels);
    });
  },

  /**
   * `gateway.provider.call` (provider, model, tokens.*, cost.usd and the GenAI attributes);
   * gateway.provider.calls. The result's numeric `promptTokens`, `completionTokens` and `costUsd`
   * are the usage. Inside a request they go through `recordCost()` (span and the request's
   * gateway.cost, gateway.tokens.used, gen_ai.client.token.usage); outside one, to the same metrics.
   */
  callProvider<T>(call: { provider: string; model: string; operation?: string }, fn: ComponentFn<T>): Promise<T> {
    const attributes: Attributes = {
      provider: call.provider,
      model: call.model,
      [ATTR_GEN_AI_PROVIDER_NAME]: call.provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: call.model,
      [ATTR_GEN_AI_OPERATION_NAME]: call.operation ?? 'chat',
    };
    return runComponent(SPAN_NAMES.GATEWAY_PROVIDER_CALL, attributes, fn, (end) => recordProviderCall(call, end));
  },
});

function recordProviderCall(call: { provider: string; model: string; operation?: string }, end: ComponentEnd<unknown>): void {
  end.metrics.incrementCounter(METRIC_NAMES.GATEWAY_PROVIDER_CALLS, { ...end.base, provider: call.provider, model: call.model, status: end.status });
  if (end.error !== undefined) return;
  const inputTokens = numberField(end.result, 'promptTokens');
  const outputTokens = numberField(end.result, 'completionTokens');
  const usd = numberField(end.result, 'costUsd');
  const span = end.handle;
  if (inputTokens !== undefined) span.setAttributes({ 'tokens.prompt': inputTokens, [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: inputTokens });
  if (outputTokens !== undefined) span.setAttributes({ 'tokens.completion': outputTokens, [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: outputTokens });
  if (inputTokens !== undefined || outputTokens !== undefined) span.setAttribute('tokens.total', (inputTokens ?? 0) + (outputTokens ?? 0));
  if (usd !== undefined) span.setAttribute('cost.usd', usd);

  const cost: LlmCost = { model: call.model, provider: call.provider, operation: call.operation ?? 'chat' };
  if (usd !== undefined) cost.usd = usd;
  if (inputTokens !== undefined && Number.isInteger(inputTokens)) cost.inputTokens = inputTokens;
  if (outputTokens !== undefined && Number.isInteger(outputTokens)) cost.outputTokens = outputTokens;
  // One path for cost: inside a request, the request's SERVER span and metrics (with tenant and
  // route); outside one, the same metrics without them.
  const request = currentRequest();
  if (request !== undefined) request.recordCost(cost);
  else recordCostOutsideRequest(cost);
}
