import { createContextKey } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { context, trace } from './bound';
import type { LlmCost } from './cost';
import type { StreamChunksOptions, StreamOptions } from './stream-options';

/** The request a context belongs to, for code deep in a handler (component helpers, loggers). */
export const REQUEST_KEY = createContextKey('motadata.otel.request');

/**
 * The telemetry of the HTTP request being handled in `ctx` (by default the active context), or
 * undefined outside a request handled by `otelMiddleware()`.
 */
export function currentRequest(ctx: Context = context.active()): RequestOtel | undefined {
  return ctx.getValue(REQUEST_KEY) as RequestOtel | undefined;
}

/** What a request handler sees as `req.otel` (Express) or `ctx.state.otel` (Koa). */
export interface RequestOtel {
  /** The validated tenant id of this request, if any. */
  readonly tenantId: string | undefined;
  /** The trace id of this request's trace (also sent back in `Server-Timing`). */
  readonly traceId: string;
  /** The SERVER span of this request (the one instrumentation-http opened, when it is on). */
  readonly span: Span;
  /** The context handlers run in: the SERVER span and the baggage (with `tenant.id`). */
  readonly context: Context;
  /** The matched route template (`/v1/items/:id`), once the framework has routed the request. */
  readonly route: string | undefined;
  /**
   * Adds LLM cost and token usage to this request: span attributes (several calls add up) and
   * the metrics `gateway.cost`, `gateway.tokens.used` and `gen_ai.client.token.usage`.
   * @throws TypeError on a negative, NaN or non-numeric amount; nothing is recorded then.
   *
   * In a streamed response (see `stream()`), the first call for the streamed operation (same
   * `operation`, and `model` when both name one) gives the stream's final usage: what it leaves
   * out (tokens, cost from `price`) comes from the stream. After the client went away the kit has
   * recorded what was streamed so far; a later call records only what exceeds that.
   */
  recordCost(cost: LlmCost): void;
  /**
   * Wraps the chunks of a streamed GenAI response (an LLM's tokens, an upstream's stream) so the
   * kit times it: the first chunk with a token is the first token (a `gen_ai.first_token` event
   * on the SERVER span), each chunk adds its output tokens (`tokensOf`, one per chunk by
   * default). When the response closes (ends, or the client goes away), the kit records
   * `gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token` and
   * `gen_ai.server.time_per_output_token`, and the stream's usage if the handler recorded none
   * (tokens so far, and cost from `price`), once. If the client goes away first, iteration ends
   * and the source's `return()` is called, so the model stops generating.
   * @throws TypeError on bad options or when `chunks` is not async iterable.
   * @example
   * res.writeHead(200, { 'content-type': 'text/event-stream' });
   * const tokens = req.otel.stream(model.generate(prompt), { model: 'local-small', provider: 'local', inputTokens, price });
   * for await (const token of tokens) res.write(`data: ${JSON.stringify({ token })}\n\n`);
   * res.end();
   */
  stream<T>(chunks: AsyncIterable<T>, options?: StreamChunksOptions<T>): AsyncIterable<T>;
  /**
   * For a handler that writes a streamed response itself: the first output token goes out now
   * (time to first token, the `gen_ai.first_token` event). Later calls only add `options`.
   * @example
   * req.otel.streamStarted({ model: 'gpt-4o', provider: 'openai' });
   */
  streamStarted(options?: StreamOptions): void;
  /**
   * For a handler that writes a streamed response itself: `outputTokens` output tokens have gone
   * out so far (a running total; the first call above 0 also marks the first token).
   * @throws TypeError unless `outputTokens` is a non-negative safe integer.
   * @example
   * for await (const token of model.generate(prompt)) { res.write(sse(token)); req.otel.streamProgress(++sent); }
   */
  streamProgress(outputTokens: number): void;
}

/** Telemetry of a request that is ignored: same surface, records nothing. */
export const IGNORED_REQUEST: RequestOtel = Object.freeze({
  tenantId: undefined,
  get traceId() {
    return trace.getSpanContext(context.active())?.traceId ?? '';
  },
  get span() {
    return trace.getActiveSpan() ?? trace.wrapSpanContext({ traceId: '', spanId: '', traceFlags: 0 });
  },
  get context() {
    return context.active();
  },
  route: undefined,
  recordCost(): void {},
  stream: <T>(chunks: AsyncIterable<T>): AsyncIterable<T> => chunks,
  streamStarted(): void {},
  streamProgress(): void {},
});
