import { SpanKind, SpanStatusCode, diag } from '@opentelemetry/api';
import type { Attributes, Context, TextMapSetter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  context,
  propagation,
  trace,
} from './bound';
import { kitInstruments } from './instruments';
import { KNOWN_HTTP_METHODS } from './semconv';


/** Header containers `injectTraceHeaders()` writes into. */
export type HeaderCarrier = Headers | Record<string, string | string[] | undefined>;

// RFC 9110 field names are tokens; a value may not hold CR, LF or NUL, and fetch and `http` take
// Latin-1 only. A propagator may write either from data a caller sent: the Jaeger one makes
// `uberctx-<baggage key>` of a percent-decoded key (`a b`), which fetch and `http` reject, failing
// the user's call. Such a header is not written.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\0\r\n]|[^\0-\xff]/;

// The headers of each trace-context format. When an injection writes one of a format's headers,
// a caller's copy of the others (forwarded request headers, say) belongs to another trace and is
// removed: a `tracestate` without the `traceparent` it came with, an `X-B3-ParentSpanId` or
// `X-B3-Flags` the B3 propagator did not write this time. Baggage is not a trace's, and a caller's
// is kept when the context has none to send.
const TRACE_HEADER_GROUPS: readonly (readonly string[])[] = [
  ['traceparent', 'tracestate'],
  ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags', 'x-b3-parentspanid'],
  ['uber-trace-id'],
  ['x-amzn-trace-id'],
  ['ot-tracer-traceid', 'ot-tracer-spanid', 'ot-tracer-sampled'],
];
const TRACE_HEADER_GROUP = new Map(TRACE_HEADER_GROUPS.flatMap((group, i) => group.map((name) => [name, i] as const)));

// What the last injection wrote (injection is synchronous): one bit per group, and the names.
let groupsWritten = 0;
const namesWritten = new Set<string>();

/** Whether a header a propagator writes may be sent; notes the trace formats written. */
function admitHeader(key: string, value: string): boolean {
  if (!TOKEN.test(key) || BAD_VALUE.test(value)) {
    diag.debug(`trace header ${JSON.stringify(key)} not sent: not a valid HTTP field`);
    return false;
  }
  const name = key.toLowerCase();
  const group = TRACE_HEADER_GROUP.get(name);
  if (group !== undefined) {
    groupsWritten |= 1 << group;
    namesWritten.add(name);
  }
  return true;
}

function isHeaders(carrier: unknown): carrier is Headers {
  return typeof (carrier as Headers).set === 'function' && typeof (carrier as Headers).get === 'function';
}

const carrierSetter: TextMapSetter<HeaderCarrier> = {
  set(carrier, key, value) {
    if (!admitHeader(key, value)) return;
    if (isHeaders(carrier)) carrier.set(key, value);
    else replaceHeader(carrier as Record<string, string>, key, value);
  },
};

/**
 * Sets a header on a plain object, dropping the caller's spelling of the same name in any case,
 * as `Headers.set` would: a caller's `baggage` stays unless the propagator writes its own.
 */
function replaceHeader(carrier: Record<string, unknown>, key: string, value: string | undefined): void {
  const lower = key.toLowerCase();
  for (const existing of Object.keys(carrier)) {
    if (existing !== key && existing.length === key.length && existing.toLowerCase() === lower) delete carrier[existing];
  }
  if (value === undefined) delete carrier[key];
  else carrier[key] = value;
}

/** Injects the context's headers, and removes the caller's stale ones of each format written (above). */
function inject(ctx: Context, headers: HeaderCarrier): void {
  groupsWritten = 0;
  namesWritten.clear();
  try {
    propagation.inject(ctx, headers, carrierSetter);
  } catch (err) {
    // A propagator of the application's own that throws: the call goes without our headers.
    diag.warn('trace headers not injected', err);
  }
  if (groupsWritten === 0) return;
  for (let i = 0; i < TRACE_HEADER_GROUPS.length; i++) {
    if ((groupsWritten & (1 << i)) === 0) continue;
    for (const name of TRACE_HEADER_GROUPS[i]!) {
      if (namesWritten.has(name)) continue;
      if (isHeaders(headers)) headers.delete(name);
      else replaceHeader(headers, name, undefined);
    }
  }
}

/**
 * Writes `traceparent`, `tracestate` and `baggage` (or the formats `initTelemetry`'s `propagators`
 * names) for the active context (or `ctx`) into `headers` and returns it. For clients other than
 * fetch: axios, undici, got, a queue message. Trace headers already in `headers` of a format
 * written here (a forwarded `tracestate`, `X-B3-*`) belong to another trace and are removed.
 * @example await axios.post(url, body, { headers: injectTraceHeaders({ 'content-type': 'application/json' }) });
 */
export function injectTraceHeaders<T extends HeaderCarrier = Record<string, string>>(
  headers: T = {} as T,
  ctx = context.active(),
): T {
  inject(ctx, headers);
  return headers;
}

/**
 * `fetch` with a CLIENT span: the same arguments and the same Response, plus `traceparent`,
 * `tracestate` and `baggage` on the request, so the callee joins the caller's trace. Response
 * statuses of 400 and above and network errors set the span's status to ERROR (client spans
 * treat 4xx as errors, per semconv); network errors are recorded and rethrown unchanged.
 * The span ends when the response head arrives; reading the body is not part of it.
 */
export async function tracedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = input instanceof Request ? input : undefined;
  const givenMethod = String(init?.method ?? request?.method ?? 'GET');
  const upperMethod = givenMethod.toUpperCase();
  // What goes on the request line: fetch upper-cases these six whatever their case, and sends
  // any other method as written (`patch` stays `patch`).
  const wireMethod = FETCH_NORMALIZED_METHODS.has(upperMethod) ? upperMethod : givenMethod;
  const method = KNOWN_HTTP_METHODS.has(upperMethod) ? upperMethod : '_OTHER';
  const url = new URL(request !== undefined ? request.url : input instanceof URL ? input.href : (input as string));
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_FULL]: url.protocol === 'data:' ? dataUrlHead(url.href) : redact(url) };
  // semconv: a method canonicalised (or `_OTHER`) keeps the one sent as method_original.
  if (method !== wireMethod) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = wireMethod;
  // A `data:` or `blob:` URL has no server.
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    attributes[ATTR_SERVER_ADDRESS] = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    attributes[ATTR_SERVER_PORT] = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  }

  const span = kitInstruments().tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.CLIENT, attributes });
  const ctx = trace.setSpan(context.active(), span);
  try {
    // In the try: copying the caller's headers throws on an invalid one, which fetch would too.
    const headers = outgoingHeaders(init?.headers ?? request?.headers);
    inject(ctx, headers);
    // fetch and its arguments handed to context.with: no closure per call.
    const response = await context.with(ctx, fetch, undefined, request ?? input, initWith(init, headers));
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
    if (response.status >= 400) {
      span.setAttribute(ATTR_ERROR_TYPE, String(response.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    return response;
  } catch (err) {
    span.setAttribute(ATTR_ERROR_TYPE, networkErrorType(err));
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * A copy of the caller's headers to add ours to: the caller's are never mutated, since the same
 * init may be reused for several calls. A plain object (or none) stays a plain object, which
 * undici takes as is; building a `Headers` validates every entry, and fetch copies it again.
 * Anything else fetch accepts (a `Headers` of any implementation, a Map, pairs) becomes a
 * `Headers`: `Object.keys` of those would lose every entry.
 */
function outgoingHeaders(given: HeadersInit | undefined): Headers | Record<string, string> {
  if (given === undefined) return {};
  if (typeof given !== 'object' || given === null) return new Headers(given);
  const proto = Object.getPrototypeOf(given) as unknown;
  if (proto !== Object.prototype && proto !== null) return new Headers(given as HeadersInit);
  const copy: Record<string, string> = {};
  for (const key of Object.keys(given)) {
    const value = (given as Record<string, string | undefined>)[key];
    if (value !== undefined) copy[key] = value;
  }
  return copy;
}

// The methods the Fetch standard normalises to upper case (https://fetch.spec.whatwg.org/#concept-method-normalize).
const FETCH_NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** A `data:` URL up to its payload (`data:text/plain;base64,`): the payload may be megabytes, or a secret. */
function dataUrlHead(href: string): string {
  const comma = href.indexOf(',');
  return comma === -1 ? href : href.slice(0, comma + 1);
}

// What fetch reads of a RequestInit. A `Request` (or another class instance) passed as `init`
// has them as prototype getters, which fetch reads and a spread does not copy.
const REQUEST_INIT_KEYS = ['method', 'body', 'signal', 'redirect', 'credentials', 'mode', 'cache', 'integrity', 'keepalive', 'referrer', 'referrerPolicy', 'duplex', 'priority', 'window', 'dispatcher'];

/** The caller's init with our copy of the headers; its other members as fetch would read them. */
function initWith(init: RequestInit | undefined, headers: Headers | Record<string, string>): RequestInit {
  if (init === undefined || init === null) return { headers };
  const proto = Object.getPrototypeOf(init) as unknown;
  if (proto === Object.prototype || proto === null) return { ...init, headers };
  const copy: Record<string, unknown> = {};
  for (const key of REQUEST_INIT_KEYS) {
    const value = (init as Record<string, unknown>)[key];
    if (value !== undefined) copy[key] = value;
  }
  Object.assign(copy, init);
  copy.headers = headers;
  return copy as RequestInit;
}

// Query keys whose values are credentials: semconv's list for url.full (presigned S3, Azure SAS,
// GCS signed URLs), plus AWS SigV4's signature, credential and session token, which are the same
// secrets under their presigned-URL names.
const SENSITIVE_QUERY_KEYS = new Set(['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token']);

/**
 * url.full without credentials: user and password, and the values of the query keys above
 * (matched case-sensitively, the key kept: `?sig=REDACTED`), as semconv says.
 */
function redact(url: URL): string {
  const query = url.search === '' ? undefined : redactQuery(url.search);
  if (url.username === '' && url.password === '' && query === undefined) return url.href;
  const copy = new URL(url.href);
  if (copy.username !== '') copy.username = 'REDACTED';
  if (copy.password !== '') copy.password = 'REDACTED';
  if (query !== undefined) copy.search = query;
  return copy.href;
}

/** The query with sensitive values replaced, the rest as it was; undefined when none is. */
function redactQuery(search: string): string | undefined {
  const parts = search.slice(1).split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (SENSITIVE_QUERY_KEYS.has(key) || SENSITIVE_QUERY_KEYS.has(safeDecode(key))) {
      parts[i] = `${key}=REDACTED`;
      changed = true;
    }
  }
  return changed ? `?${parts.join('&')}` : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** undici wraps the socket error in `cause`: ECONNREFUSED says more than "TypeError". */
function networkErrorType(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause !== undefined && typeof cause.code === 'string') return cause.code;
  if (err instanceof Error) return err.name;
  return '_OTHER';
}
