import { SpanKind, SpanStatusCode, createContextKey, diag } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  ROOT_CONTEXT,
  context,
  propagation,
  trace,
} from './bound';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkCost, recordCostMetrics } from './cost';
import type { CheckedCost, LlmCost } from './cost';
import { kitInstruments } from './instruments';
import type { KitInstruments } from './instruments';
import { isIgnored, isIgnoredPath, pathOf, resolveOptions } from './options';
import type { OtelMiddlewareOptions, ResolvedOptions } from './options';
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_MOTADATA_COST_USD,
  ATTR_TENANT_ID,
  KNOWN_HTTP_METHODS,
} from './semconv';
import { CardinalityCap } from './cardinality';
import { findTenant, isValidTenant, resolveTenant } from './tenant';
import { RequestBaggage } from './request-baggage';
import { errorType as errorTypeOf } from './error-type';
import { attachToResponse, requestHostAttributes, sendTraceId, traceparentOf } from './response';
import type { ResponseState } from './response';
import { GenAiStream } from './stream';
import { checkChunks } from './stream-options';
import type { StreamChunksOptions, StreamOptions } from './stream-options';

const log = diag.createComponentLogger({ namespace: '@motadata/otel/middleware' });
const SERVER_SPAN = Object.freeze({ kind: SpanKind.SERVER });
const REJECTED_INVALID = Object.freeze({ reason: 'invalid' });
const ERROR_STATUS = Object.freeze({ code: SpanStatusCode.ERROR });
/** `error.type` of a response the app never completed (see RequestTelemetry.end). */
const ERROR_TYPE_ABORTED = 'aborted';
const INCOMPLETE_MESSAGE = 'the connection closed before the response was complete';

/** The request a context belongs to, for code deep in a handler (component helpers, loggers). */
const REQUEST_KEY = createContextKey('motadata.otel.request');

/**
 * What instrumentation-http leaves in the context of a request whose SERVER span it opened, read
 * through the API alone: @opentelemetry/core keeps it under this key, and `createContextKey`
 * makes a `Symbol.for` key every copy shares (core's trace/rpc-metadata.ts, 2.x and 3.x).
 */
const RPC_METADATA_KEY = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA');
const RPC_TYPE_HTTP = 'http';
interface RPCMetadata {
  readonly type: string;
  readonly span?: Span;
  route?: string;
}

/**
 * The telemetry of the HTTP request being handled in `ctx` (by default the active context), or
 * undefined outside a request handled by `otelMiddleware()`.
 */
export function currentRequest(ctx: Context = context.active()): RequestOtel | undefined {
  return ctx.getValue(REQUEST_KEY) as RequestOtel | undefined;
}


/** Returns the route template the framework matched (`/v1/items/:id`), or undefined. */
export type RouteOf = (source: unknown) => string | undefined;

/** What an adapter tells the lifecycle about its framework. */
export interface Framework {
  /** The route template the framework matched for a request. */
  readonly routeOf: RouteOf;
  /**
   * When the trace id goes on the response: `start` sets it as the request starts, `head`
   * hooks `res.writeHead` for it. The hook keeps it through a framework that clears headers on
   * errors (Koa does) and after an app's own `setHeader('Server-Timing')`; on Express it costs
   * far more than a header set at the start (bench/hot-path.md), so Express sets it at the start.
   */
  readonly traceIdAt: 'start' | 'head';
  /**
   * Where the request state is kept for finding it from the response: `response` puts it on
   * `res` under a symbol; `locals` puts it on Express's `res.locals` (the object Express gives
   * each response for per-request values), falling back to `res` when there is none. Express
   * swaps the prototype of every response and then adds to it, so a property the kit added to
   * `res` would give each response an object shape of its own, and every store a slow path in V8
   * (bench/hot-path.md). The adapter that chooses `locals` must not depend on it to end the
   * request, as an app may replace `res.locals`.
   */
  readonly stateIn: 'response' | 'locals';
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

/**
 * The ignore rules of every middleware that has path rules, for instrumentation-http's
 * `ignoreIncomingRequestHook`: with `instrumentHttp`, that instrumentation opens the SERVER span
 * before any middleware sees the request. Weak: a middleware dropped with its app is forgotten.
 */
const pathIgnoringOptions = new Set<WeakRef<ResolvedOptions>>();

/**
 * Whether a path rule (string or RegExp) of any `otelMiddleware()` in the process ignores this
 * request. Predicates are left out: they take the framework's request or context, which does not
 * exist yet when instrumentation-http asks.
 */
export function ignoredByAnyMiddleware(req: IncomingMessage): boolean {
  if (pathIgnoringOptions.size === 0) return false;
  const path = pathOf(req);
  for (const ref of pathIgnoringOptions) {
    const options = ref.deref();
    if (options === undefined) pathIgnoringOptions.delete(ref);
    else if (isIgnoredPath(options, path)) return true;
  }
  return false;
}

/** Span names cached per method; the same bound as the SDK's series per metric. */
const MAX_CACHED_SPAN_NAMES = 2000;

/** The per-middleware part of the lifecycle: resolved options, the route reader, the tenant cap. */
export class Lifecycle {
  readonly options: ResolvedOptions;
  readonly tenantCap: CardinalityCap;
  // `${method} ${route}` names, per method and route, so a sampled request builds no string.
  private readonly spanNames = new Map<string, Map<string, string>>();

  readonly routeOf: RouteOf;
  readonly traceIdAtStart: boolean;
  readonly stateInLocals: boolean;

  constructor(options: OtelMiddlewareOptions<never> | undefined, framework: Framework) {
    this.options = resolveOptions(options as OtelMiddlewareOptions<unknown> | undefined);
    if (this.options.ignorePaths.size + this.options.ignorePatterns.length > 0) pathIgnoringOptions.add(new WeakRef(this.options));
    this.routeOf = framework.routeOf;
    this.traceIdAtStart = framework.traceIdAt === 'start';
    this.stateInLocals = framework.stateIn === 'locals';
    this.tenantCap = new CardinalityCap(this.options.maxTenants);
  }

  spanName(method: string, route: string): string {
    let byRoute = this.spanNames.get(method);
    if (byRoute === undefined) this.spanNames.set(method, (byRoute = new Map()));
    let name = byRoute.get(route);
    if (name === undefined) {
      name = `${method} ${route}`;
      // Templates are bounded by the app's routes, unless a routing shape lets request input
      // into one: then the cache stops growing and names are built per request.
      if (byRoute.size < MAX_CACHED_SPAN_NAMES) byRoute.set(route, name);
    }
    return name;
  }

  /**
   * Starts the telemetry of one request, or returns undefined when it is ignored or already
   * traced. The caller runs the rest of the request in `context.with(state.context, ...)`.
   */
  start(req: IncomingMessage, res: ServerResponse, source: unknown): RequestTelemetry | undefined {
    // Mounted twice (an app and a sub-app that uses the middleware too): the outer one traces
    // the request; a second SERVER span would start a trace of its own and count it twice.
    const outer = currentRequest();
    if (outer instanceof RequestTelemetry && outer.res === res) return undefined;
    const options = this.options;
    // Most apps ignore nothing (or only a health check): with no matcher the path is not even
    // cut out of the URL, and an unsampled request never needs it.
    if (options.ignoresAny) {
      try {
        if (isIgnored(options, pathOf(req), source)) return undefined;
      } catch (err) {
        log.warn('an ignore predicate threw; the request is traced', err);
      }
    }
    return new RequestTelemetry(this, kitInstruments(), req, res, source);
  }
}

/** The state of one request from its first byte to the response's close. */
export class RequestTelemetry implements RequestOtel, ResponseState {
  readonly span: Span;
  readonly context: Context;
  private readonly method: string;
  /** `url.scheme`: semconv requires it on the duration metric, so it is read for every request. */
  private readonly scheme: string;
  private tenant: string | undefined;
  private tenantMetric: string | undefined;
  /**
   * `resolveTenant` had no answer when the request started: it is asked again whenever the
   * tenant is read, until the response is finalized. The kit runs first, before the auth
   * middleware a resolver usually reads (`req.auth.org`).
   */
  private tenantPending = false;
  private costUsd = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  /** The streamed GenAI response, once a handler reports one. */
  private genAi: GenAiStream | undefined = undefined;
  prevWriteHead: ServerResponse['writeHead'] | undefined;
  private readonly startTime = performance.now();
  private readonly rpc: RPCMetadata | undefined;
  private routeCache: string | undefined;
  private error: unknown;
  private finalized = false;
  private ended = false;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly instruments: KitInstruments,
    req: IncomingMessage,
    /** The response this telemetry belongs to. */
    readonly res: ServerResponse,
    private readonly source: unknown,
  ) {
    const options = lifecycle.options;
    const rawMethod = req.method ?? 'GET';
    this.method = KNOWN_HTTP_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
    this.scheme = (req.socket as { encrypted?: boolean } | null | undefined)?.encrypted ? 'https' : 'http';

    const active = context.active();
    const rpc = active.getValue(RPC_METADATA_KEY) as RPCMetadata | undefined;
    // The context the request arrived with (the caller's, when trusted), and the span the kit
    // adds over it: none when instrumentation-http's span is already in `active`.
    let parent: Context;
    let ownSpan: Span | undefined;
    let incoming: Context | undefined;
    let parentBaggage = true;
    if (rpc?.type === RPC_TYPE_HTTP && rpc.span !== undefined) {
      // instrumentation-http already opened this request's SERVER span: enrich it, never open a
      // second one (as @fastify/otel does).
      this.rpc = rpc;
      this.span = rpc.span;
      parent = active;
      // instrumentation-http trusts every caller: its span is already the caller's child. An
      // untrusted caller's baggage is still kept out: no tenant from it, none passed downstream.
      if (isTrusted(options.trustIncoming, source)) incoming = active;
      else parentBaggage = false;
    } else {
      const headers = req.headers;
      const extracted = hasPropagationHeader(headers) ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
      const trusted = isTrusted(options.trustIncoming, source);
      let links: Link[] | undefined;
      if (trusted) incoming = extracted;
      else {
        const caller = trace.getSpanContext(extracted);
        if (caller !== undefined) links = [{ context: caller }];
      }
      // Attributes are set after the sampling decision, so an unsampled request builds none.
      this.span = instruments.tracer.startSpan(
        this.method === '_OTHER' ? 'HTTP' : this.method,
        links === undefined ? SERVER_SPAN : { kind: SpanKind.SERVER, links },
        trusted ? extracted : ROOT_CONTEXT,
      );
      parent = trusted ? extracted : ROOT_CONTEXT;
      ownSpan = this.span;
    }

    const span = this.span;
    const recording = span.isRecording();
    if (recording) {
      if (this.rpc === undefined) {
        span.setAttribute(ATTR_HTTP_REQUEST_METHOD, this.method);
        span.setAttribute(ATTR_URL_PATH, pathOf(req));
        span.setAttribute(ATTR_URL_SCHEME, this.scheme);
        if (this.method === '_OTHER') span.setAttribute(ATTR_HTTP_REQUEST_METHOD_ORIGINAL, rawMethod);
        requestHostAttributes(span, req.headers.host);
        const userAgent = req.headers['user-agent'];
        if (userAgent !== undefined) span.setAttribute(ATTR_USER_AGENT_ORIGINAL, userAgent);
        const clientAddress = req.socket.remoteAddress;
        if (clientAddress !== undefined) span.setAttribute(ATTR_CLIENT_ADDRESS, clientAddress);
      }
      for (const [name, key] of options.requestHeaders) {
        const value = req.headers[name];
        if (value !== undefined) span.setAttribute(key, Array.isArray(value) ? value : [value]);
      }
    }

    const candidate = findTenant(options, req, source, incoming);
    if (candidate !== undefined) this.acceptTenant(candidate);
    else this.tenantPending = options.resolveTenant !== undefined;
    // The API's own contexts, each a copy of its parent's values (a handful at a request's start).
    const callerBaggage = parentBaggage ? propagation.getBaggage(parent) : undefined;
    const withSpan = ownSpan === undefined ? parent : trace.setSpan(parent, ownSpan);
    this.context = propagation.setBaggage(withSpan, new RequestBaggage(this, callerBaggage, options.validateTenant)).setValue(REQUEST_KEY, this);
    // The head hook finalizes a span instrumentation-http owns (it ends the span on 'finish')
    // and sends the trace id of a sampled request where the framework wants it there. A span of
    // the kit's own is finalized when the response closes; an unsampled request (most of them at
    // low ratios) needs neither.
    const hookHead = recording && (this.rpc !== undefined || !lifecycle.traceIdAtStart);
    attachToResponse(res, this, hookHead, lifecycle.stateInLocals);
    if (recording && !hookHead) sendTraceId(res, this);
  }

  /** How the trace id goes back to the caller: the middleware's options. */
  get traceResponse(): ResponseState['traceResponse'] {
    return this.lifecycle.options;
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get tenantId(): string | undefined {
    if (this.tenantPending) this.resolvePendingTenant();
    return this.tenant;
  }

  /** The tenant as metric attributes carry it: capped (`__other__` past the cap). */
  get metricTenant(): string | undefined {
    if (this.tenantPending) this.resolvePendingTenant();
    return this.tenantMetric;
  }

  private acceptTenant(candidate: string): void {
    if (!isValidTenant(this.lifecycle.options.validateTenant, candidate)) {
      this.instruments.tenantRejected.add(1, REJECTED_INVALID);
      return;
    }
    this.tenant = candidate;
    this.tenantMetric = this.lifecycle.tenantCap.metricValue(candidate);
    if (this.span.isRecording()) this.span.setAttribute(ATTR_TENANT_ID, candidate);
  }

  private resolvePendingTenant(): void {
    const resolved = resolveTenant(this.lifecycle.options, this.source);
    if (resolved === undefined) return;
    this.tenantPending = false;
    this.acceptTenant(resolved);
  }

  get route(): string | undefined {
    return this.routeTemplate();
  }

  /** The `traceparent` of the SERVER span as sent back to the caller. */
  get traceparent(): string {
    return traceparentOf(this.context, this.span.spanContext());
  }

  recordCost(cost: LlmCost): void {
    let checked: CheckedCost | undefined = checkCost(cost);
    if (this.genAi !== undefined) checked = this.genAi.reconcile(cost, checked);
    if (checked !== undefined) this.addCost(checked);
  }

  stream<T>(chunks: AsyncIterable<T>, options?: StreamChunksOptions<T>): AsyncIterable<T> {
    checkChunks(chunks, options?.tokensOf);
    return this.genAiStream(options).chunks(this.res, chunks, options?.tokensOf);
  }

  streamStarted(options?: StreamOptions): void {
    this.genAiStream(options).started();
  }

  streamProgress(outputTokens: number): void {
    // Assigned once the call is known good: a bad call starts no stream.
    const stream = this.genAi ?? new GenAiStream(this.span);
    stream.progress(outputTokens);
    this.genAi = stream;
  }

  private genAiStream(options: StreamOptions | undefined): GenAiStream {
    const stream = this.genAi ?? new GenAiStream(this.span);
    if (options !== undefined) stream.configure(options);
    return (this.genAi = stream);
  }

  /** At the response's close: the stream's usage unless the handler recorded it, then its latency metrics. */
  private endStream(stream: GenAiStream, errorType: string | undefined, tenant: string | undefined, route: string | undefined): void {
    const usage = stream.close();
    if (usage !== undefined) this.addCost(usage);
    stream.recordLatency(this.startTime, errorType, tenant, route);
  }

  private addCost(checked: CheckedCost): void {
    // The span carries the request's totals: several calls add up.
    this.costUsd += checked.usd ?? 0;
    this.inputTokens += checked.inputTokens ?? 0;
    this.outputTokens += checked.outputTokens ?? 0;
    const span = this.span;
    if (span.isRecording()) {
      if (checked.model !== undefined) span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, checked.model);
      if (checked.provider !== undefined) span.setAttribute(ATTR_GEN_AI_PROVIDER_NAME, checked.provider);
      // Only what was given: a cost-only call is not "zero tokens".
      if (checked.inputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, this.inputTokens);
      if (checked.outputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, this.outputTokens);
      if (checked.usd !== undefined) span.setAttribute(ATTR_MOTADATA_COST_USD, this.costUsd);
    }
    recordCostMetrics(this.instruments, this.metricTenant, this.routeTemplate(), checked);
  }

  /** The route template, read once from the framework when first needed. */
  private routeTemplate(): string | undefined {
    if (this.routeCache === undefined) {
      try {
        this.routeCache = this.lifecycle.routeOf(this.source);
      } catch (err) {
        log.warn('reading the route failed', err);
      }
    }
    return this.routeCache;
  }

  /** Remembers an error that escaped the handlers; the response status decides what it means. */
  recordError(error: unknown): void {
    if (this.error === undefined) this.error = error;
  }

  /**
   * Sets the route, name and response attributes. Runs when the response head is written (so a
   * span owned by instrumentation-http is complete before that instrumentation ends it) and, for
   * responses that never got that far, when the connection closes. `statusCode` is undefined
   * when no status was sent.
   */
  finalize(statusCode: number | undefined): void {
    if (this.finalized) return;
    this.finalized = true;
    // The last chance for a late tenant: the span (instrumentation-http's ends right after this)
    // and the duration metric carry what is known now.
    if (this.tenantPending) {
      this.resolvePendingTenant();
      this.tenantPending = false;
    }
    const span = this.span;
    if (!span.isRecording()) return;
    // Named late, after routing: the route is only known once the framework matched it.
    const route = this.routeTemplate();
    if (route !== undefined) {
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      // Semconv: `{method} {target}`, with `HTTP` for a method outside the known set.
      span.updateName(this.lifecycle.spanName(this.method === '_OTHER' ? 'HTTP' : this.method, route));
      if (this.rpc !== undefined) this.rpc.route = route;
    }
    if (statusCode === undefined) return;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    for (const [name, key] of this.lifecycle.options.responseHeaders) {
      const value = this.res.getHeader(name);
      if (value !== undefined) span.setAttribute(key, Array.isArray(value) ? value : [String(value)]);
    }
    // Server spans: 5xx is an error, 4xx is the client's and leaves the status UNSET.
    // See https://opentelemetry.io/docs/specs/semconv/http/http-spans/#status
    if (statusCode >= 500) this.markError(this.errorType(String(statusCode)));
  }

  /**
   * Ends the request when its response closes: the span (when the kit owns it) and the duration
   * metric. Runs once. `close` comes for every response, complete or not: one the app never
   * ended (the client went away, a timeout destroyed the socket, a stream failed) is an error
   * with `error.type` `aborted` (or the escaped error's type), and carries no status code unless
   * its head was written. Semconv: the status code only "if and only if one was sent", error.type
   * when the request "fails with an error before response status code was sent".
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const res = this.res;
    const complete = res.writableEnded;
    const statusCode = complete || res.headersSent ? res.statusCode : undefined;
    this.finalize(statusCode);
    let errorType: string | undefined;
    if (statusCode !== undefined && statusCode >= 500) errorType = this.errorType(String(statusCode));
    else if (!complete) {
      errorType = this.errorType(ERROR_TYPE_ABORTED);
      if (this.span.isRecording()) this.markError(errorType, INCOMPLETE_MESSAGE);
    }
    const durationSeconds = (performance.now() - this.startTime) / 1000;
    // Read here too: finalize() skips the route of an unsampled span, the metric needs it.
    const route = this.routeTemplate();
    const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: this.method, [ATTR_URL_SCHEME]: this.scheme };
    if (statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = statusCode;
    if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
    const tenant = this.metricTenant;
    if (tenant !== undefined) attributes[ATTR_TENANT_ID] = tenant;
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    this.instruments.requestDuration.record(durationSeconds, attributes);
    // A GenAI operation that answered 4xx failed too (bad request, unknown model).
    if (this.genAi !== undefined) this.endStream(this.genAi, errorType ?? (statusCode !== undefined && statusCode >= 400 ? String(statusCode) : undefined), tenant, route);
    if (this.rpc === undefined) this.span.end();
  }

  /** `error.type`: the escaped error's type if one was recorded, else `fallback`. */
  private errorType(fallback: string): string {
    return this.error !== undefined ? errorTypeOf(this.error) : fallback;
  }

  /** `error.type`, the escaped error as an exception event, and status ERROR on the span. */
  private markError(errorType: string, message?: string): void {
    const span = this.span;
    span.setAttribute(ATTR_ERROR_TYPE, errorType);
    if (this.error !== undefined) {
      span.recordException(toException(this.error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(this.error) });
    } else span.setStatus(message === undefined ? ERROR_STATUS : { code: SpanStatusCode.ERROR, message });
  }
}

/** Whether any header the global propagator reads is present: most requests at the edge have none. */
function hasPropagationHeader(headers: IncomingMessage['headers']): boolean {
  const fields = propagation.fields();
  for (let i = 0; i < fields.length; i++) if (headers[fields[i]!] !== undefined) return true;
  return false;
}

function isTrusted(trustIncoming: ResolvedOptions['trustIncoming'], source: unknown): boolean {
  if (typeof trustIncoming === 'boolean') return trustIncoming;
  try {
    return trustIncoming(source) === true;
  } catch (err) {
    log.warn('trustIncoming threw; the caller is not trusted', err);
    return false;
  }
}

function toException(error: unknown): Error | string {
  return error instanceof Error ? error : typeof error === 'string' ? error : String(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
