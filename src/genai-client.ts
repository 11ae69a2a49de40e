import type { Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from './bound';
import { MAX_USD_PER_CALL, modelCap, recordCostOutsideRequest } from './cost';
import type { LlmCost } from './cost';
import { errorType } from './error-type';
import { genAiAttributes, genAiInstruments } from './genai-metrics';
import { currentRequest } from './request-otel';
import { RequestTelemetry } from './request-telemetry';
import type { RequestOtel } from './request-otel';
import { ATTR_GEN_AI_RESPONSE_MODEL } from './semconv';
import { checkName, checkPrice } from './stream-options';

/** Which LLM call `genAiCall()` makes, for its metrics. */
export interface GenAiCallOptions {
  /** The model asked for, `gen_ai.request.model`. */
  model?: string;
  /** The provider, `gen_ai.provider.name` (`openai`, `anthropic`, ...). */
  provider?: string;
  /**
   * The GenAI operation, `gen_ai.operation.name` (`chat`, `embeddings`, `text_completion`).
   * @default 'chat'
   */
  operation?: string;
  /** USD per input and output token: the call's cost (`gateway.cost`) from the usage it reports. */
  price?: { input?: number; output?: number };
}

/** Token counts as OpenAI-compatible APIs report them (Chat Completions and Embeddings, or Responses). */
interface Usage {
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
}

/**
 * Makes an LLM call and records `gen_ai.client.operation.duration` and its usage, read from the
 * answer: `gen_ai.client.token.usage` and `gateway.tokens.used` (and `gateway.cost` with
 * `price`) through the request's `recordCost()`, or without tenant and route outside a request.
 * Returns what `call` returns. A stream (an async iterable, such as the `openai` package's
 * `stream: true` answer) is returned as the same object, its iteration timed: the call is recorded
 * when the iteration ends, fails or is broken off, with the usage of its final chunk
 * (`stream_options: { include_usage: true }`); a stream never iterated records nothing.
 * @throws whatever `call` throws, after recording the failure (`error.type` is the error's class).
 * @example
 * const completion = await genAiCall({ model: 'gpt-4o-mini', provider: 'openai' }, () =>
 *   client.chat.completions.create({ model: 'gpt-4o-mini', messages }));
 */
export async function genAiCall<T>(options: GenAiCallOptions, call: () => T | PromiseLike<T>): Promise<T> {
  const op = checkOptions(options);
  if (typeof call !== 'function') throw new TypeError(`genAiCall: expected a function, got ${typeof call}`);
  // The request the call belongs to, taken now: a stream may be read after its context is gone.
  const request = currentRequest();
  const started = performance.now();
  let result: T;
  try {
    result = await call();
  } catch (err) {
    record(op, request, started, undefined, undefined, errorType(err));
    throw err;
  }
  if (isAsyncIterable(result)) return timeIteration(result, op, request, started);
  record(op, request, started, usageOf(result), responseModelOf(result), undefined);
  return result;
}

type CheckedOptions = {
  readonly operation: string | undefined;
  readonly model: string | undefined;
  readonly provider: string | undefined;
  readonly price: { readonly input: number; readonly output: number } | undefined;
};

function checkOptions(options: GenAiCallOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`genAiCall: expected an options object, got ${String(options)}`);
  return {
    operation: checkName('operation', options.operation, 'genAiCall'),
    model: checkName('model', options.model, 'genAiCall'),
    provider: checkName('provider', options.provider, 'genAiCall'),
    price: options.price === undefined ? undefined : checkPrice(options.price, 'genAiCall'),
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

/**
 * The same stream, its async iterator replaced on the object itself, so whatever else the caller
 * uses of it (the `openai` Stream's `controller`, `tee()`, `toReadableStream()`) stays as it was.
 */
function timeIteration<S extends AsyncIterable<unknown>>(stream: S, op: CheckedOptions, request: RequestOtel | undefined, started: number): S {
  const iterate = stream[Symbol.asyncIterator].bind(stream);
  let recorded = false;
  let usage: Usage | undefined;
  let responseModel: string | undefined;
  const finish = (error: unknown, failed: boolean) => {
    if (recorded) return;
    recorded = true;
    record(op, request, started, usage, responseModel, failed ? errorType(error) : undefined);
  };
  const timed = (): AsyncIterator<unknown> => {
    const source = iterate();
    return {
      async next() {
        let step: IteratorResult<unknown>;
        try {
          step = await source.next();
        } catch (err) {
          finish(err, true);
          throw err;
        }
        if (step.done === true) finish(undefined, false);
        else {
          usage = usageOf(step.value) ?? usage;
          responseModel ??= responseModelOf(step.value);
        }
        return step;
      },
      async return(value?: unknown) {
        finish(undefined, false);
        return source.return === undefined ? { done: true, value } : source.return(value);
      },
    };
  };
  try {
    Object.defineProperty(stream, Symbol.asyncIterator, { value: timed, configurable: true, writable: true });
    return stream;
  } catch {
    // A frozen stream object: an iterable of the same chunks instead.
    return { [Symbol.asyncIterator]: timed } as unknown as S;
  }
}

function record(op: CheckedOptions, request: RequestOtel | undefined, started: number, usage: Usage | undefined, responseModel: string | undefined, failure: string | undefined): void {
  const seconds = (performance.now() - started) / 1000;
  const tenant = request instanceof RequestTelemetry ? request.metricTenant : request?.tenantId;
  const attributes: Attributes = genAiAttributes(op, tenant, request?.route);
  if (responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = modelCap.metricValue(responseModel);
  if (failure !== undefined) attributes[ATTR_ERROR_TYPE] = failure;
  genAiInstruments().clientOperationDuration.record(seconds, attributes);
  if (usage === undefined || (usage.inputTokens === undefined && usage.outputTokens === undefined)) return;
  const cost: LlmCost = { operation: op.operation ?? 'chat' };
  if (op.model !== undefined) cost.model = op.model;
  if (op.provider !== undefined) cost.provider = op.provider;
  if (usage.inputTokens !== undefined) cost.inputTokens = usage.inputTokens;
  if (usage.outputTokens !== undefined) cost.outputTokens = usage.outputTokens;
  if (op.price !== undefined) cost.usd = Math.min((usage.inputTokens ?? 0) * op.price.input + (usage.outputTokens ?? 0) * op.price.output, MAX_USD_PER_CALL);
  // The one cost path: the request's span and metrics (tenant, route), or the same metrics without.
  if (request !== undefined) request.recordCost(cost);
  else recordCostOutsideRequest(cost);
}

/** `usage` of a completion or an embeddings answer, or of a Responses API `response.completed` event. */
function usageOf(value: unknown): Usage | undefined {
  const holder = value as { usage?: unknown; response?: { usage?: unknown } } | null;
  if (typeof holder !== 'object' || holder === null) return undefined;
  const usage = (holder.usage ?? holder.response?.usage) as Record<string, unknown> | null | undefined;
  if (typeof usage !== 'object' || usage === null) return undefined;
  return { inputTokens: tokens(usage.prompt_tokens ?? usage.input_tokens), outputTokens: tokens(usage.completion_tokens ?? usage.output_tokens) };
}

function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function responseModelOf(value: unknown): string | undefined {
  const model = (value as { model?: unknown } | null)?.model;
  return typeof model === 'string' && model !== '' ? model : undefined;
}
