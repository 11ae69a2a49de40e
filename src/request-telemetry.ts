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
import type { LlmCost } from './cost';
import type { KitInstruments } from './instruments';
import { pathOf } from './options';
import type { ResolvedOptions } from './options';
import {
  ATTR_TENANT_ID,
  KNOWN_HTTP_METHODS,
} from './semconv';
import type { CardinalityCap } from './cardinality';
import { findTenant, isValidTenant, resolveTenant } from './tenant';
import { RequestBaggage } from './request-baggage';
import { errorType as errorTypeOf } from './error-type';
import { attachToResponse, requestHostAttributes, sendTraceId, traceparentOf } from './response';
import type { ResponseState } from './response';
import { RequestUsage } from './request-usage';
import type { StreamChunksOptions, StreamOptions } from './stream-options';

import { REQUEST_KEY } from './request-otel';
import type { RequestOtel } from './request-otel';

const log = diag.createComponentLogger({ namespace: '@motadata/otel/middleware' });
const SERVER_SPAN = Object.freeze({ kind: SpanKind.SERVER });
const REJECTED_INVALID = Object.freeze({ reason: 'invalid' });
const ERROR_STATUS = Object.freeze({ code: SpanStatusCode.ERROR });
/** `error.type` of a response the app never completed (see RequestTelemetry.end). */
const ERROR_TYPE_ABORTED = 'aborted';
const INCOMPLETE_MESSAGE = 'the connection closed before the response was complete';

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

/** Returns the route template the framework matched (`/v1/items/:id`), or undefined. */
export type RouteOf = (source: unknown) => string | undefined;

/** What a request's telemetry reads of its middleware: options, caps, the framework's route. */
export interface RequestSettings {
  readonly options: ResolvedOptions;
  readonly tenantCap: CardinalityCap;
  readonly routeOf: RouteOf;
  /** Whether the trace id goes on the response as the request starts (else at `writeHead`). */
  readonly traceIdAtStart: boolean;
  /** Whether the request state is kept on Express's `res.locals`. */
  readonly stateInLocals: boolean;
  /** `${method} ${route}`, cached. */
  spanName(method: string, route: string): string;
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
  /** Cost, tokens and a streamed GenAI response, once a handler reports any. */
  private usage: RequestUsage | undefined = undefined;
  prevWriteHead: ServerResponse['writeHead'] | undefined;
  private readonly startTime = performance.now();
  private readonly rpc: RPCMetadata | undefined;
  private routeCache: string | undefined;
  private error: unknown;
  private finalized = false;
  private ended = false;

  constructor(
    private readonly lifecycle: RequestSettings,
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
    this.llmUsage().recordCost(cost);
  }

  stream<T>(chunks: AsyncIterable<T>, options?: StreamChunksOptions<T>): AsyncIterable<T> {
    return this.llmUsage().stream(this.res, chunks, options);
  }

  streamStarted(options?: StreamOptions): void {
    this.llmUsage().streamStarted(options);
  }

  streamProgress(outputTokens: number): void {
    this.llmUsage().streamProgress(outputTokens);
  }

  /** The request's LLM usage, made on its first cost or stream: most requests have none. */
  private llmUsage(): RequestUsage {
    return (this.usage ??= new RequestUsage(this.span, this.instruments, this));
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
    this.usage?.close(this.startTime, errorType ?? (statusCode !== undefined && statusCode >= 400 ? String(statusCode) : undefined), tenant, route);
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
  for (let i = 0; i < fields.length; i++) if (headers[fields[i]] !== undefined) return true;
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
