import { SpanKind, SpanStatusCode, createContextKey } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from './bound';
import { kitInstruments } from './instruments';
import { KNOWN_HTTP_METHODS } from './semconv';

/**
 * The CLIENT span of one outgoing HTTP request, the same whoever made the request: `tracedFetch`,
 * or any client seen through Node's diagnostics channels (`instrumentOutbound()`), so every
 * client gets the same attributes, redaction and status rules.
 *
 * The span starts with what a sampler may want and costs nothing to build (method, server
 * address and port); `url.full` is built only for a span that records, so an unsampled request
 * builds no string. It ends when the response head arrives, as semconv allows
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-client-span-duration): a
 * body the application never reads would otherwise keep it open, and a streamed body (an LLM's
 * server-sent events) is the application's work, timed by its own span around the reading.
 */

const ERROR_STATUS = Object.freeze({ code: SpanStatusCode.ERROR });

/**
 * Marks the context a client runs in when its request already has a CLIENT span of the kit's
 * (`tracedFetch`): `instrumentOutbound()` leaves requests made in it alone. `createContextKey`
 * makes a `Symbol.for` key, so two copies of the kit agree on it.
 */
export const CLIENT_SPAN_OWNED = createContextKey('motadata.otel.client-span-owned');

/** `http.request.method` for the method sent: canonical upper case, or `_OTHER`. */
export function canonicalMethod(sent: string): string {
  if (KNOWN_HTTP_METHODS.has(sent)) return sent;
  const upper = sent.toUpperCase();
  return KNOWN_HTTP_METHODS.has(upper) ? upper : '_OTHER';
}

/**
 * Starts the CLIENT span of a request in `parent`. `sentMethod` is the method on the request
 * line; a different canonical one keeps it as `http.request.method_original`, per semconv.
 */
export function startClientSpan(parent: Context, sentMethod: string, serverAddress: string | undefined, serverPort: number | undefined): Span {
  const method = canonicalMethod(sentMethod);
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method };
  if (method !== sentMethod) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = sentMethod;
  if (serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = serverAddress;
  if (serverPort !== undefined) attributes[ATTR_SERVER_PORT] = serverPort;
  return kitInstruments().tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.CLIENT, attributes }, parent);
}

/** Ends the span with the response status: 400 and above are errors for a client, per semconv. */
export function endClientSpan(span: Span, status: number): void {
  if (span.isRecording()) {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 400) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus(ERROR_STATUS);
    }
  }
  span.end();
}

/** Ends the span of a request that failed before its response head: the error recorded. */
export function failClientSpan(span: Span, err: unknown): void {
  if (span.isRecording()) {
    span.setAttribute(ATTR_ERROR_TYPE, networkErrorType(err));
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

/** Sets `url.full` on a span that records. */
export function setUrlFull(span: Span, url: string): void {
  span.setAttribute(ATTR_URL_FULL, url);
}

/**
 * `error.type` of a network error: the socket's code (`ECONNREFUSED`, `UND_ERR_SOCKET`) says more
 * than the class. fetch wraps it in a TypeError's `cause`; undici and `http` give it directly.
 */
function networkErrorType(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (cause !== undefined && cause !== null && typeof cause.code === 'string') return cause.code;
  if (err instanceof Error || (typeof err === 'object' && err !== null && typeof (err as Error).name === 'string')) return (err as Error).name;
  return '_OTHER';
}

// Query keys whose values are credentials: semconv's list for url.full (presigned S3, Azure SAS,
// GCS signed URLs), plus AWS SigV4's signature, credential and session token, which are the same
// secrets under their presigned-URL names.
const SENSITIVE_QUERY_KEYS = new Set(['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token']);

/**
 * url.full without credentials: user and password, and the values of the query keys above
 * (matched case-sensitively, the key kept: `?sig=REDACTED`), as semconv says.
 */
export function redactUrl(url: URL): string {
  if (url.protocol === 'data:') return dataUrlHead(url.href);
  const query = url.search === '' ? undefined : redactQuery(url.search);
  if (url.username === '' && url.password === '' && query === undefined) return url.href;
  const copy = new URL(url.href);
  if (copy.username !== '') copy.username = 'REDACTED';
  if (copy.password !== '') copy.password = 'REDACTED';
  if (query !== undefined) copy.search = query;
  return copy.href;
}

/**
 * url.full of a request known by its origin (`https://host:port`, which carries no credentials)
 * and its request target (`/path?query`), the query redacted as in {@link redactUrl}.
 */
export function redactedUrlOf(origin: string, path: string): string {
  const q = path.indexOf('?');
  if (q === -1) return origin + path;
  const hash = path.indexOf('#', q);
  const search = hash === -1 ? path.slice(q) : path.slice(q, hash);
  const query = redactQuery(search);
  return query === undefined ? origin + path : origin + path.slice(0, q) + query + (hash === -1 ? '' : path.slice(hash));
}

/** A `data:` URL up to its payload (`data:text/plain;base64,`): the payload may be megabytes, or a secret. */
function dataUrlHead(href: string): string {
  const comma = href.indexOf(',');
  return comma === -1 ? href : href.slice(0, comma + 1);
}

/** The query with sensitive values replaced, the rest as it was; undefined when none is. */
function redactQuery(search: string): string | undefined {
  if (search.length <= 1) return undefined;
  const parts = search.slice(1).split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
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
