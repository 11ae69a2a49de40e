import { TraceFlags } from '@opentelemetry/api';
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from './bound';
import type { ServerResponse } from 'node:http';
import { formatTraceParent, wireTraceFlags } from './tracecontext';

/** What the response hooks need of a request's telemetry. */
export interface ResponseState {
  readonly span: Span;
  readonly context: Context;
  /** How the trace id goes back to the caller (the middleware's `traceResponse` option). */
  readonly traceResponse: { readonly serverTiming: boolean; readonly traceresponse: boolean };
  /** The `writeHead` the head hook replaced, restored when it runs. */
  prevWriteHead: ServerResponse['writeHead'] | undefined;
  /** Names the span and sets its response attributes, once. */
  finalize(statusCode: number | undefined): void;
  /** Ends the request (span and duration metric), once. */
  end(): void;
}

/** Where a response keeps its request state, for the shared listeners below. */
export const STATE: unique symbol = Symbol('motadata.otel.request');
type WithState = ServerResponse & { [STATE]?: ResponseState };
type WithLocals = ServerResponse & { locals?: unknown };

/** `00-<trace-id>-<span-id>-<flags>` for a span, with the random-trace-id bit as we send it. */
export function traceparentOf(ctx: Context, spanContext: SpanContext): string {
  return formatTraceParent(spanContext.traceId, spanContext.spanId, wireTraceFlags(ctx, spanContext.traceId, spanContext.traceFlags));
}

/**
 * Keeps the request state where `stateOf` finds it: on the response, or with `inLocals` on
 * Express's `res.locals` (see Framework.stateIn). When `hookHead`, also replaces `res.writeHead`
 * for this response with a shared function (no closure per request) that runs once, just before
 * the head is written: the last moment the status and the route are both known and headers can
 * still change. `on-headers` (used by morgan and compression) works the same way. The previous
 * function is kept, so other wrappers still run. The hook always finds the state on `res`: an app
 * may replace `res.locals` before the head is written.
 */
export function attachToResponse(res: ServerResponse, state: ResponseState, hookHead: boolean, inLocals: boolean): void {
  const locals = inLocals ? localsOf(res) : undefined;
  if (locals !== undefined) locals[STATE] = state;
  if (locals === undefined || hookHead) (res as WithState)[STATE] = state;
  if (!hookHead) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- writeHeadOnce restores it on res and calls it with this = res
  state.prevWriteHead = res.writeHead;
  res.writeHead = writeHeadOnce;
}

/** The request state `attachToResponse` kept for this response, if it is still there. */
export function stateOf(res: ServerResponse): ResponseState | undefined {
  return localsOf(res)?.[STATE] ?? (res as WithState)[STATE];
}

/** Express's per-response `res.locals`, when the response has one. */
function localsOf(res: ServerResponse): { [STATE]?: ResponseState } | undefined {
  const locals = (res as WithLocals).locals;
  return typeof locals === 'object' && locals !== null ? locals : undefined;
}

function writeHeadOnce(this: WithState, statusCode: unknown): ServerResponse {
  const state = this[STATE]!;
  this.writeHead = state.prevWriteHead!;
  try {
    state.finalize(typeof statusCode === 'number' ? statusCode : this.statusCode);
    sendTraceId(this, state);
  } catch {
    // Telemetry never breaks a response; the head is written either way.
  }
  // eslint-disable-next-line prefer-rest-params
  return (this.writeHead as (...args: unknown[]) => ServerResponse).apply(this, arguments as unknown as unknown[]);
}

/** Server-Timing (and `traceresponse` when asked) with the trace id of a sampled request. */
export function sendTraceId(res: ServerResponse, state: ResponseState): void {
  const options = state.traceResponse;
  const spanContext = state.span.spanContext();
  if ((options.serverTiming || options.traceresponse) && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0) {
    const traceparent = traceparentOf(state.context, spanContext);
    if (options.serverTiming) appendServerTiming(res, `trace;desc=${traceparent}`);
    if (options.traceresponse) res.setHeader('traceresponse', traceparent);
  }
}

/** Adds a metric to Server-Timing, keeping whatever the app set. RFC: a comma-separated list. */
function appendServerTiming(res: ServerResponse, metric: string): void {
  const current = res.getHeader('server-timing');
  if (current === undefined || current === '') res.setHeader('server-timing', metric);
  else if (Array.isArray(current)) res.setHeader('server-timing', [...current, metric]);
  else res.setHeader('server-timing', `${String(current)}, ${metric}`);
}

/** Shared by the adapters: ends the request when its response closes (finished or aborted). */
export function endOnClose(this: WithState): void {
  this[STATE]?.end();
}

/** server.address and server.port from the Host header. */
export function requestHostAttributes(span: Span, host: string | undefined): void {
  if (host === undefined || host === '') return;
  let address = host;
  let port: string | undefined;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    if (close === -1) return;
    address = host.slice(1, close);
    if (host.charCodeAt(close + 1) === 58 /* : */) port = host.slice(close + 2);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) {
      address = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
  }
  span.setAttribute(ATTR_SERVER_ADDRESS, address);
  if (port !== undefined) {
    const portNumber = Number(port);
    if (Number.isInteger(portNumber) && portNumber > 0 && portNumber < 65536) span.setAttribute(ATTR_SERVER_PORT, portNumber);
  }
}
