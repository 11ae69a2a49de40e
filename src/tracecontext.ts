import { TraceFlags, createContextKey, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Context, SpanContext, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { Level2TraceState, OWS_ENDS } from './tracestate';

/**
 * W3C Trace Context (`traceparent`, `tracestate`) by the Level 2 rules, on `@opentelemetry/api`
 * alone so that the middleware and `tracedFetch` need no SDK package. It differs from the SDK's
 * `W3CTraceContextPropagator` where Level 2 is stricter (docs/design.md#w3c-trace-context-level-2):
 * - `tracestate` is parsed all-or-nothing by the Level 2 grammar ({@link Level2TraceState});
 * - the `random-trace-id` flag (0x02) a caller sets is kept on every `traceparent` this process
 *   sends for that trace. The SDK's tracer carries only the sampled bit into child spans, so the
 *   flag is restored at injection.
 * Traces started here are sent with the sampled bit only, unless `randomTraceIdFlag` is on: older
 * OpenTelemetry Go and Rust SDKs reject a `traceparent` with any other bit set and start a new
 * trace. See https://www.w3.org/TR/trace-context-2/#traceparent-header
 */

/** The Level 2 `random-trace-id` flag. The API's `TraceFlags` enum predates it, hence the literal. */
export const RANDOM_TRACE_ID_FLAG = 0x02;

export const TRACE_PARENT_HEADER = 'traceparent';
export const TRACE_STATE_HEADER = 'tracestate';

/** Options of {@link StrictW3CTraceContextPropagator}. */
export interface TraceContextOptions {
  /**
   * Set the Level 2 `random-trace-id` flag on traces started in this process (their ids come from
   * the SDK's random generator). Off by default: OpenTelemetry Go before its 2026 releases and
   * Rust before March 2026 reject such a `traceparent`. The flag a caller sets is kept either way.
   * @default false
   */
  randomTraceIdFlag?: boolean;
}

// One setting per process: the propagator and the Server-Timing header the middleware sends must
// agree on the flags of a trace, and the middleware does not know which propagator is installed.
let flagNewTracesRandom = false;

/** Whether traces started in this process carry the random-trace-id flag (see TraceContextOptions). */
export function setRandomTraceIdFlag(on: boolean): void {
  flagNewTracesRandom = on;
}

// The trace a context continues from a caller, and whether the caller vouched for its id being
// random: { traceId, random }. Absent: the trace was started in this process.
const CALLER_TRACE = createContextKey('motadata.otel.caller-trace');
interface CallerTrace {
  readonly traceId: string;
  readonly random: boolean;
}

/** Marks the trace a context continues from a caller, with whether its id may be called random. */
export function markCallerTrace(context: Context, traceId: string, random: boolean): Context {
  return context.setValue(CALLER_TRACE, { traceId, random } satisfies CallerTrace);
}

/** Whether `traceId` may carry the random flag when sent from `context`. */
export function isRandomTrace(context: Context, traceId: string): boolean {
  const caller = context.getValue(CALLER_TRACE) as CallerTrace | undefined;
  return caller !== undefined && caller.traceId === traceId ? caller.random : flagNewTracesRandom;
}

/** Trace flags as they go on the wire for a span of this context (sampled + random bits). */
export function wireTraceFlags(context: Context, traceId: string, traceFlags: number): number {
  const sampled = traceFlags & TraceFlags.SAMPLED;
  return isRandomTrace(context, traceId) ? sampled | RANDOM_TRACE_ID_FLAG : sampled;
}

// The SDK's suppressTracing() key (@opentelemetry/core, a Symbol.for key every copy shares): an
// exporter's own requests carry no trace headers.
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

// version "-" trace-id "-" parent-id "-" trace-flags, then, for versions above 00, anything
// that starts with "-". See https://www.w3.org/TR/trace-context-2/#versioning-of-traceparent
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const HEX = '0123456789abcdef';

/** `traceparent` → span context, or undefined when the header must be ignored. */
export function parseTraceParent(header: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(header.replace(OWS_ENDS, ''));
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is invalid; version 00 has nothing after the flags.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** `00-<trace-id>-<span-id>-<flags>`. */
export function formatTraceParent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${HEX[(flags >> 4) & 15]}${HEX[flags & 15]}`;
}

/** W3C Trace Context with the Level 2 rules. See the module comment. */
export class StrictW3CTraceContextPropagator implements TextMapPropagator {
  constructor(options: TraceContextOptions = {}) {
    if (options.randomTraceIdFlag !== undefined) setRandomTraceIdFlag(options.randomTraceIdFlag === true);
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext === undefined || context.getValue(SUPPRESS_TRACING) === true || !isSpanContextValid(spanContext)) return;
    setter.set(carrier, TRACE_PARENT_HEADER, formatTraceParent(spanContext.traceId, spanContext.spanId, wireTraceFlags(context, spanContext.traceId, spanContext.traceFlags)));
    const traceState = spanContext.traceState?.serialize();
    if (traceState) setter.set(carrier, TRACE_STATE_HEADER, traceState);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, TRACE_PARENT_HEADER);
    // Two traceparent headers cannot both be the caller's: neither is used.
    const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
    if (typeof value !== 'string') return context;
    const parsed = parseTraceParent(value);
    if (parsed === undefined) return context;
    const rawTraceState = getter.get(carrier, TRACE_STATE_HEADER);
    const traceState = rawTraceState === undefined ? undefined : Level2TraceState.parse(rawTraceState);
    const spanContext: SpanContext = traceState === undefined ? parsed : { ...parsed, traceState };
    return markCallerTrace(trace.setSpanContext(context, spanContext), parsed.traceId, (parsed.traceFlags & RANDOM_TRACE_ID_FLAG) !== 0);
  }

  fields(): string[] {
    return [TRACE_PARENT_HEADER, TRACE_STATE_HEADER];
  }
}
