import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { INVALID_TRACEID, createContextKey, diag } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { context, trace } from './bound';
import { currentRequest } from './request-otel';
import { RequestTelemetry } from './request-telemetry';
import { HTTP_TARGET, UNDICI_TARGET, injectHeaders, undiciHeaderValues } from './outbound-headers';
import type { HeaderTarget, UndiciRequest } from './outbound-headers';
import { resolveOutboundOptions } from './outbound-options';
import type { OutboundOptions, ResolvedOutboundOptions } from './outbound-options';
import { OutboundRules } from './outbound-rules';
import type { Destination } from './outbound-rules';
import { CLIENT_SPAN_OWNED, endClientSpan, failClientSpan, redactedUrlOf, setUrlFull, startClientSpan } from './outbound-span';

/**
 * Every HTTP client of the process joins the active trace, with no call-site change and no
 * patching: global `fetch` and undici through undici's diagnostics channels, `node:http` and
 * `node:https` (axios, got, plain `http.request`) through Node's. Each request made inside a
 * trace gets one CLIENT span (outbound-span.ts) and the propagator's headers (outbound-headers.ts),
 * by the rules of {@link OutboundOptions}.
 *
 * Left alone: requests outside any trace (nothing to join: a background job wraps its work in a
 * span to be traced); requests made while tracing is suppressed (the SDK's exporters); requests
 * `tracedFetch` makes (it has its own span); requests that already carry a `traceparent` of the
 * active trace, as those instrumentation-http or instrumentation-undici made have (a
 * `traceparent` of another trace, or the one the current request arrived with, is a caller's
 * stale copy and is replaced); CONNECT tunnels and protocol upgrades, which no response head ends.
 *
 * `node:http` needs `http.client.request.created` (Node 22.12, 23.2) to add headers: the channel
 * older Nodes publish, `http.client.request.start`, comes once the head is written. There the
 * requests get their CLIENT span and no header; `initTelemetry({ instrumentHttp: true })` or
 * `injectTraceHeaders()` propagates.
 */

const log = diag.createComponentLogger({ namespace: '@motadata/otel/outbound' });

// The SDK's suppressTracing() key (@opentelemetry/core, a Symbol.for key every copy shares).
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

const [NODE_MAJOR = 0, NODE_MINOR = 0] = process.versions.node.split('.').map(Number);
/** Whether this Node publishes `http.client.request.created`, where headers can still be set. */
const HTTP_REQUEST_CREATED = NODE_MAJOR > 23 || (NODE_MAJOR === 23 && NODE_MINOR >= 2) || (NODE_MAJOR === 22 && NODE_MINOR >= 12);

// The registrations alive, the latest last: its rules apply. One subscription serves them all.
const registrations: OutboundRules[] = [];
let active: OutboundRules | undefined;

/**
 * Injects the headers of `span` (and `parent`'s baggage) into a request to `url` made by a client
 * with a span of its own (`tracedFetch`): by the rules of the `instrumentOutbound()` in force, so
 * the tenant goes to the same hosts whichever client calls them; every header when none is.
 */
export function injectForRequest<C>(parent: Context, span: Span, url: URL, carrier: C, to: HeaderTarget<C>): void {
  const rules = active;
  const destination = rules !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') ? rules.fromOrigin(url.origin) : undefined;
  if (destination === undefined) injectHeaders(trace.setSpan(parent, span), carrier, to);
  else rules!.inject(parent, span, destination, url.pathname + url.search, carrier, to);
}

/**
 * Traces every outgoing HTTP request of the process made inside a trace (see the module comment):
 * a CLIENT span like `tracedFetch`'s, and `traceparent`, `tracestate` and `baggage` by the rules
 * of `options`. For applications that start their own OpenTelemetry SDK; `initTelemetry()` turns
 * it on itself (its `outbound` option). Needs `@opentelemetry/api` only.
 *
 * Calling it again subscribes nothing more: the latest call's options apply until its returned
 * function is called, then the previous call's again. The returned function stops this call's
 * instrumentation (once; later calls do nothing); the channels are left when no call is active.
 * @throws TypeError naming the option when one is invalid.
 * @example
 * const stop = instrumentOutbound({ baggage: ['*.corp.example.com'] });
 * process.on('SIGTERM', stop);
 */
export function instrumentOutbound(options?: OutboundOptions): () => void {
  return startOutbound(resolveOutboundOptions(options, 'instrumentOutbound'));
}

/** {@link instrumentOutbound} with options already validated (`initTelemetry()`'s). */
export function startOutbound(options: ResolvedOutboundOptions): () => void {
  const rules = new OutboundRules(options);
  registrations.push(rules);
  active = rules;
  if (registrations.length === 1) subscribe();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    registrations.splice(registrations.indexOf(rules), 1);
    active = registrations[registrations.length - 1];
    if (active === undefined) unsubscribe();
  };
}

// Whether onUndiciCreate was moved behind another subscriber this subscription (onUndiciHeaders).
let movedLast = false;

const HTTP_REQUEST_CHANNEL = HTTP_REQUEST_CREATED ? 'http.client.request.created' : 'http.client.request.start';
const UNDICI_CREATE = 'undici:request:create';

function subscribe(): void {
  movedLast = false;
  diagnosticsChannel.subscribe(UNDICI_CREATE, onUndiciCreate);
  diagnosticsChannel.subscribe('undici:request:headers', onUndiciHeaders);
  diagnosticsChannel.subscribe('undici:request:error', onUndiciError);
  diagnosticsChannel.subscribe(HTTP_REQUEST_CHANNEL, onHttpRequest);
  diagnosticsChannel.subscribe('http.client.response.finish', onHttpResponse);
  diagnosticsChannel.subscribe('http.client.request.error', onHttpError);
}

function unsubscribe(): void {
  diagnosticsChannel.unsubscribe(UNDICI_CREATE, onUndiciCreate);
  diagnosticsChannel.unsubscribe('undici:request:headers', onUndiciHeaders);
  diagnosticsChannel.unsubscribe('undici:request:error', onUndiciError);
  diagnosticsChannel.unsubscribe(HTTP_REQUEST_CHANNEL, onHttpRequest);
  diagnosticsChannel.unsubscribe('http.client.response.finish', onHttpResponse);
  diagnosticsChannel.unsubscribe('http.client.request.error', onHttpError);
}

/** The CLIENT span of each request in flight, from its start to its response head or error. */
const inFlight = new WeakMap<object, Span>();

/** Whether a request made in `ctx` is the kit's to trace (see the module comment). */
function joinable(ctx: Context): boolean {
  if (ctx.getValue(SUPPRESS_TRACING) === true || ctx.getValue(CLIENT_SPAN_OWNED) === true) return false;
  // The tracer checks the ids' format; the no-op and suppressed spans have the all-zero id.
  const parent = trace.getSpanContext(ctx);
  return parent !== undefined && parent.traceId !== INVALID_TRACEID;
}

/**
 * Whether a request's `traceparent` (one or more values) belongs to the trace of `ctx`: another
 * instrumentation made its CLIENT span. The `traceparent` the current request arrived with, which
 * an app forwarding the incoming headers sends on, is a stale copy, not a span of this process.
 */
function carriesTraceOf(ctx: Context, header: unknown): boolean {
  if (header === undefined) return false;
  const traceId = trace.getSpanContext(ctx)!.traceId;
  const values = Array.isArray(header) ? (header as unknown[]) : [header];
  for (const value of values) {
    if (typeof value === 'string' && value.startsWith(traceId, 3) && !isIncomingTraceparent(ctx, value)) return true;
  }
  return false;
}

function isIncomingTraceparent(ctx: Context, value: string): boolean {
  const request = currentRequest(ctx);
  return request instanceof RequestTelemetry && request.res.req?.headers.traceparent === value;
}

// --- global fetch and undici ----------------------------------------------------------------

function originOf(request: UndiciRequest): string {
  return typeof request.origin === 'string' ? request.origin : request.origin.origin;
}

function onUndiciCreate(message: unknown): void {
  const rules = active;
  const request = (message as { request?: UndiciRequest }).request;
  if (rules === undefined || request === undefined) return;
  // A subscriber that throws would crash the process (Node rethrows it on the next tick).
  try {
    const parent = context.active();
    if (!joinable(parent) || request.method === 'CONNECT' || (request.upgrade !== null && request.upgrade !== undefined)) return;
    const destination = rules.fromOrigin(originOf(request));
    if (destination === undefined) return;
    const path = request.path;
    if (destination.ignore !== false && rules.ignores(destination, path)) return;
    if (carriesTraceOf(parent, undiciHeaderValues(request.headers, 'traceparent'))) return;
    const span = startClientSpan(parent, request.method, destination.hostname, destination.port);
    inFlight.set(request, span);
    if (span.isRecording()) setUrlFull(span, redactedUrlOf(destination.origin, path));
    rules.inject(parent, span, destination, path, request, UNDICI_TARGET);
  } catch (err) {
    log.warn('an outgoing fetch could not be traced', err);
  }
}

function onUndiciHeaders(message: unknown): void {
  const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
  const span = inFlight.get(request);
  if (span === undefined) return;
  inFlight.delete(request);
  try {
    // Another instrumentation (instrumentation-undici enabled after this one) added a second
    // `traceparent` after ours: from now on it goes first and the kit leaves its requests alone.
    if ((undiciHeaderValues(request.headers, 'traceparent')?.length ?? 0) > 1 && !movedLast) {
      movedLast = true;
      diagnosticsChannel.unsubscribe(UNDICI_CREATE, onUndiciCreate);
      diagnosticsChannel.subscribe(UNDICI_CREATE, onUndiciCreate);
      log.warn('another instrumentation adds trace headers to fetch requests after @motadata/otel does; from now on the kit leaves those requests to it');
    }
    endClientSpan(span, response.statusCode);
  } catch (err) {
    log.warn('an outgoing fetch span could not be ended', err);
  }
}

function onUndiciError(message: unknown): void {
  const { request, error } = message as { request: UndiciRequest; error: unknown };
  const span = inFlight.get(request);
  if (span === undefined) return;
  inFlight.delete(request);
  try {
    failClientSpan(span, error);
  } catch (err) {
    log.warn('an outgoing fetch span could not be ended', err);
  }
}

// --- node:http and node:https ---------------------------------------------------------------

function onHttpRequest(message: unknown): void {
  const rules = active;
  const req = (message as { request?: ClientRequest }).request;
  if (rules === undefined || req === undefined) return;
  try {
    const parent = context.active();
    if (!joinable(parent) || req.method === 'CONNECT' || req.getHeader('upgrade') !== undefined) return;
    let path = req.path;
    let destination: Destination | undefined;
    if (path.startsWith('http://') || path.startsWith('https://')) {
      // Absolute form, for a forward proxy: the URL names the server.
      const url = new URL(path);
      destination = rules.fromOrigin(url.origin);
      path = url.pathname + url.search;
    } else destination = rules.fromHttp(req);
    if (destination === undefined) return;
    if (destination.ignore !== false && rules.ignores(destination, path)) return;
    if (carriesTraceOf(parent, req.getHeader('traceparent'))) return;
    const span = startClientSpan(parent, req.method, destination.hostname, destination.port);
    inFlight.set(req, span);
    if (span.isRecording()) setUrlFull(span, redactedUrlOf(destination.origin, path));
    // Headers given as an array are written in the constructor; on Node before 22.12 this runs
    // once the head is written. Either way the request goes with its span and without our headers.
    if (!req.headersSent) rules.inject(parent, span, destination, path, req, HTTP_TARGET);
  } catch (err) {
    log.warn('an outgoing http request could not be traced', err);
  }
}

function onHttpResponse(message: unknown): void {
  const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
  const span = inFlight.get(request);
  if (span === undefined) return;
  inFlight.delete(request);
  try {
    endClientSpan(span, response.statusCode ?? 0);
  } catch (err) {
    log.warn('an outgoing http span could not be ended', err);
  }
}

function onHttpError(message: unknown): void {
  const { request, error } = message as { request: ClientRequest; error: unknown };
  const span = inFlight.get(request);
  if (span === undefined) return;
  inFlight.delete(request);
  try {
    failClientSpan(span, error);
  } catch (err) {
    log.warn('an outgoing http span could not be ended', err);
  }
}
