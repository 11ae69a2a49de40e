import type { Context } from '@opentelemetry/api';
import { context, trace } from './bound';
import { injectForRequest } from './outbound';
import { HEADERS_TARGET, RECORD_TARGET, injectHeaders } from './outbound-headers';
import type { HeaderTarget } from './outbound-headers';
import { CLIENT_SPAN_OWNED, endClientSpan, failClientSpan, redactUrl, setUrlFull, startClientSpan } from './outbound-span';

/** Header containers `injectTraceHeaders()` writes into. */
export type HeaderCarrier = Headers | Record<string, string | string[] | undefined>;

function isHeaders(carrier: unknown): carrier is Headers {
  return typeof (carrier as Headers).set === 'function' && typeof (carrier as Headers).get === 'function';
}

function targetOf(carrier: HeaderCarrier): HeaderTarget<HeaderCarrier> {
  return (isHeaders(carrier) ? HEADERS_TARGET : RECORD_TARGET) as HeaderTarget<HeaderCarrier>;
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
  injectHeaders(ctx, headers, targetOf(headers));
  return headers;
}

/**
 * `fetch` with a CLIENT span: the same arguments and the same Response, plus `traceparent`,
 * `tracestate` and `baggage` on the request, so the callee joins the caller's trace. Response
 * statuses of 400 and above and network errors set the span's status to ERROR (client spans
 * treat 4xx as errors, per semconv); network errors are recorded and rethrown unchanged.
 * The span ends when the response head arrives; reading the body is not part of it.
 * With `instrumentOutbound()` on (the `initTelemetry()` default) a plain `fetch` gets the same
 * span, and `tracedFetch` follows its `traceHeaders` and `baggage` rules too: by default the
 * tenant baggage goes to internal hosts only.
 */
export async function tracedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = input instanceof Request ? input : undefined;
  const givenMethod = String(init?.method ?? request?.method ?? 'GET');
  // What goes on the request line: fetch upper-cases these six whatever their case, and sends
  // any other method as written (`patch` stays `patch`).
  const upperMethod = givenMethod.toUpperCase();
  const wireMethod = FETCH_NORMALIZED_METHODS.has(upperMethod) ? upperMethod : givenMethod;
  const url = new URL(request !== undefined ? request.url : input instanceof URL ? input.href : (input as string));
  // A `data:` or `blob:` URL has no server.
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  const serverAddress = web ? (url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname) : undefined;
  const serverPort = web ? (url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80) : undefined;

  const parent = context.active();
  const span = startClientSpan(parent, wireMethod, serverAddress, serverPort);
  if (span.isRecording()) setUrlFull(span, redactUrl(url));
  const ctx: Context = trace.setSpan(parent, span);
  let response: Response;
  try {
    // In the try: copying the caller's headers throws on an invalid one, which fetch would too.
    const headers = outgoingHeaders(init?.headers ?? request?.headers);
    injectForRequest(parent, span, url, headers, targetOf(headers));
    // fetch and its arguments handed to context.with: no closure per call.
    response = await context.with(ctx.setValue(CLIENT_SPAN_OWNED, true), fetch, undefined, request ?? input, initWith(init, headers));
  } catch (err) {
    failClientSpan(span, err);
    throw err;
  }
  endClientSpan(span, response.status);
  return response;
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
  if (proto !== Object.prototype && proto !== null) return new Headers(given);
  const copy: Record<string, string> = {};
  for (const key of Object.keys(given)) {
    const value = (given as Record<string, string | undefined>)[key];
    if (value !== undefined) copy[key] = value;
  }
  return copy;
}

// The methods the Fetch standard normalises to upper case (https://fetch.spec.whatwg.org/#concept-method-normalize).
const FETCH_NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

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
  return copy;
}
