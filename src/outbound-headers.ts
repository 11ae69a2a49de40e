import type { ClientRequest } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { Context, TextMapSetter } from '@opentelemetry/api';
import { propagation } from './bound';

/**
 * How trace headers get onto a request, for every client the kit covers: `tracedFetch`'s
 * `Headers` or plain object, `injectTraceHeaders()`'s carrier, an undici request, a `node:http`
 * ClientRequest. One injection: the
 * global propagator writes, each header is admitted or left out, and a caller's stale headers of
 * a format written are removed.
 */

/** Where injected headers go. `set` replaces the carrier's header of that name in any case. */
export interface HeaderTarget<C> {
  set(carrier: C, name: string, value: string): void;
  /** Removes the header `lowerName` (lower-case) in any case. */
  remove(carrier: C, lowerName: string): void;
}

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
// Every name above gets a bit: which names an injection wrote fits in one number.
const TRACE_HEADER_NAMES = TRACE_HEADER_GROUPS.flat();
const GROUP_BITS = TRACE_HEADER_GROUPS.map((group) => group.map((name) => ({ name, bit: 1 << TRACE_HEADER_NAMES.indexOf(name) })));

/** A header name a propagator writes, checked once: its trace format (-1 for none) and bit. */
interface HeaderName {
  readonly group: number;
  readonly bit: number;
}
const NO_FORMAT: HeaderName = { group: -1, bit: 0 };
// The names propagators wrote, as they spell them: a handful (Jaeger's adds one per baggage key),
// so each is checked and looked up once, not per request.
const MAX_NAMES = 256;
const namesSeen = new Map<string, HeaderName>();

// What the injection under way writes (injection is synchronous): one bit per format and per
// name, and where the headers go.
let groupsWritten = 0;
let namesWritten = 0;
let target: HeaderTarget<unknown> | undefined;

/** Whether a header a propagator writes may be sent; notes the trace formats written. */
function admitHeader(key: string, value: string): boolean {
  let name = namesSeen.get(key);
  if (name === undefined) {
    if (!TOKEN.test(key)) return refuse(key);
    const index = TRACE_HEADER_NAMES.indexOf(key.toLowerCase());
    name = index === -1 ? NO_FORMAT : { group: TRACE_HEADER_GROUPS.findIndex((group) => group.includes(TRACE_HEADER_NAMES[index])), bit: 1 << index };
    if (namesSeen.size < MAX_NAMES) namesSeen.set(key, name);
  }
  if (BAD_VALUE.test(value)) return refuse(key);
  if (name.group !== -1) {
    groupsWritten |= 1 << name.group;
    namesWritten |= name.bit;
  }
  return true;
}

function refuse(key: string): false {
  diag.debug(`trace header ${JSON.stringify(key)} not sent: not a valid HTTP field`);
  return false;
}

// One setter for every target: the target of the injection under way is in `target`.
const setter: TextMapSetter<unknown> = {
  set(carrier, key, value) {
    if (admitHeader(key, value)) target!.set(carrier, key, value);
  },
};

/** Injects the context's headers into `carrier`, and removes the caller's stale ones of each format written (above). */
export function injectHeaders<C>(ctx: Context, carrier: C, to: HeaderTarget<C>): void {
  groupsWritten = 0;
  namesWritten = 0;
  target = to;
  try {
    propagation.inject(ctx, carrier, setter);
  } catch (err) {
    // A propagator of the application's own that throws: the call goes without our headers.
    diag.warn('trace headers not injected', err);
  }
  target = undefined;
  if (groupsWritten === 0) return;
  for (let i = 0; i < GROUP_BITS.length; i++) {
    if ((groupsWritten & (1 << i)) === 0) continue;
    for (const { name, bit } of GROUP_BITS[i]) if ((namesWritten & bit) === 0) to.remove(carrier, name);
  }
}

/** A `Headers` (of any fetch implementation: get/set/delete). */
export const HEADERS_TARGET: HeaderTarget<Headers> = {
  set: (headers, name, value) => headers.set(name, value),
  remove: (headers, name) => headers.delete(name),
};

/**
 * A plain object. Setting drops the caller's spelling of the same name in any case, as
 * `Headers.set` would: a caller's `baggage` stays unless the propagator writes its own.
 */
export const RECORD_TARGET: HeaderTarget<Record<string, unknown>> = {
  set: (record, name, value) => replaceHeader(record, name, value),
  remove: (record, name) => replaceHeader(record, name, undefined),
};

function replaceHeader(record: Record<string, unknown>, key: string, value: string | undefined): void {
  const lower = key.toLowerCase();
  for (const existing of Object.keys(record)) {
    if (existing !== key && existing.length === key.length && existing.toLowerCase() === lower) delete record[existing];
  }
  if (value === undefined) delete record[key];
  else record[key] = value;
}

/** A `node:http` ClientRequest whose head is not written yet. */
export const HTTP_TARGET: HeaderTarget<ClientRequest> = {
  set: (req, name, value) => req.setHeader(name, value),
  remove: (req, name) => req.removeHeader(name),
};

/** What undici's channels pass as `request` (undici 6+ keeps headers as [name, value, ...]; 5 as raw text). */
export interface UndiciRequest {
  readonly origin: string | URL;
  readonly path: string;
  readonly method: string;
  readonly upgrade?: unknown;
  headers: unknown;
  addHeader?(name: string, value: string): unknown;
}

export const UNDICI_TARGET: HeaderTarget<UndiciRequest> = {
  set(request, name, value) {
    removeUndiciHeader(request, name.toLowerCase());
    if (typeof request.addHeader === 'function') request.addHeader(name, value);
    else if (Array.isArray(request.headers)) request.headers.push(name, value);
    else if (typeof request.headers === 'string') request.headers += `${name}: ${value}\r\n`;
  },
  remove: removeUndiciHeader,
};

function removeUndiciHeader(request: UndiciRequest, lowerName: string): void {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      const name = headers[i] as unknown;
      if (typeof name === 'string' && name.length === lowerName.length && name.toLowerCase() === lowerName) headers.splice(i, 2);
    }
  } else if (typeof headers === 'string' && headers !== '') {
    request.headers = headers
      .split('\r\n')
      .filter((line) => line === '' || line.slice(0, line.indexOf(':')).trim().toLowerCase() !== lowerName)
      .join('\r\n');
  }
}

/** The values of header `lowerName` on an undici request. */
export function undiciHeaderValues(headers: unknown, lowerName: string): string[] | undefined {
  let values: string[] | undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i] as unknown;
      if (typeof name === 'string' && name.length === lowerName.length && name.toLowerCase() === lowerName) {
        const value = headers[i + 1] as unknown;
        (values ??= []).push(...(Array.isArray(value) ? (value as string[]) : [String(value)]));
      }
    }
  } else if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon !== -1 && line.slice(0, colon).trim().toLowerCase() === lowerName) (values ??= []).push(line.slice(colon + 1).trim());
    }
  }
  return values;
}
