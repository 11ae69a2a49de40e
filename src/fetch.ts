import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, TextMapSetter } from '@opentelemetry/api';
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

const carrierSetter: TextMapSetter<HeaderCarrier> = {
  set(carrier, key, value) {
    if (typeof (carrier as Headers).set === 'function' && typeof (carrier as Headers).get === 'function') {
      (carrier as Headers).set(key, value);
    } else (carrier as Record<string, string>)[key] = value;
  },
};

/**
 * Writes `traceparent`, `tracestate` and `baggage` for the active context (or `ctx`) into
 * `headers` and returns it. For clients other than fetch: axios, undici, got, a queue message.
 * @example await axios.post(url, body, { headers: injectTraceHeaders({ 'content-type': 'application/json' }) });
 */
export function injectTraceHeaders<T extends HeaderCarrier = Record<string, string>>(
  headers: T = {} as T,
  ctx = context.active(),
): T {
  propagation.inject(ctx, headers, carrierSetter as TextMapSetter<T>);
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
  const rawMethod = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  const method = KNOWN_HTTP_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
  const url = new URL(request !== undefined ? request.url : input instanceof URL ? input.href : (input as string));
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_SERVER_ADDRESS]: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    [ATTR_SERVER_PORT]: url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    [ATTR_URL_FULL]: redact(url),
  };
  if (method === '_OTHER') attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = rawMethod;

  const span = kitInstruments().tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.CLIENT, attributes });
  const ctx = trace.setSpan(context.active(), span);
  const headers = outgoingHeaders(init?.headers ?? request?.headers);
  propagation.inject(ctx, headers, headers instanceof Headers ? carrierSetter : replacingSetter);
  try {
    // fetch and its arguments handed to context.with: no closure per call.
    const response = await context.with(ctx, fetch, undefined, request ?? input, { ...init, headers });
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

/**
 * Sets a header on the plain-object copy, dropping the caller's spelling of the same name in any
 * case, as `Headers.set` would: a caller's `baggage` stays unless the propagator writes its own.
 */
const replacingSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    for (const existing of Object.keys(carrier)) {
      if (existing !== key && existing.length === key.length && existing.toLowerCase() === key) delete carrier[existing];
    }
    carrier[key] = value;
  },
};

/** url.full without credentials, as semconv requires. */
function redact(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = 'REDACTED';
  copy.password = copy.password === '' ? '' : 'REDACTED';
  return copy.href;
}

/** undici wraps the socket error in `cause`: ECONNREFUSED says more than "TypeError". */
function networkErrorType(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause !== undefined && typeof cause.code === 'string') return cause.code;
  if (err instanceof Error) return err.name;
  return '_OTHER';
}
