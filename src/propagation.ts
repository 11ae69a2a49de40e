import { TraceFlags, createContextKey, trace } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import {
  CompositePropagator,
  TRACE_STATE_HEADER,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { Level2TraceState } from './tracestate';

/**
 * The Level 2 `random-trace-id` flag. See https://www.w3.org/TR/trace-context-2/#random-trace-id-flag
 * The API's `TraceFlags` enum predates it, hence the literal.
 */
export const RANDOM_TRACE_ID_FLAG = 0x02;

// Marks a context whose trace came in from a caller that did NOT set the random flag: its trace
// id is the caller's, and we cannot vouch for its randomness. The value is that trace id.
const NOT_RANDOM_TRACE = createContextKey('motadata.otel.not-random-trace-id');

/**
 * The SDK's W3C Trace Context propagator with the stricter Level 2 rules:
 * - `tracestate` is parsed all-or-nothing by the Level 2 grammar ({@link Level2TraceState});
 * - the `random-trace-id` flag (0x02) of an incoming `traceparent` is kept on every outgoing
 *   `traceparent` of that trace, and set on traces started in this process (the SDK's
 *   `RandomIdGenerator` makes their ids random). The SDK's tracer only carries the sampled bit
 *   into child spans, so the flag is restored here, at injection.
 * `traceparent` itself is still parsed by the SDK.
 */
export class StrictW3CTraceContextPropagator extends W3CTraceContextPropagator {
  override extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const extracted = super.extract(context, carrier, getter);
    if (extracted === context) return context;
    const spanContext = trace.getSpanContext(extracted);
    if (!spanContext) return context;

    const rawTraceState = getter.get(carrier, TRACE_STATE_HEADER);
    const traceState = rawTraceState ? Level2TraceState.parse(rawTraceState) : undefined;
    let result =
      traceState === spanContext.traceState
        ? extracted
        : trace.setSpanContext(context, traceState ? { ...spanContext, traceState } : withoutTraceState(spanContext));
    if ((spanContext.traceFlags & RANDOM_TRACE_ID_FLAG) === 0) {
      result = result.setValue(NOT_RANDOM_TRACE, spanContext.traceId);
    }
    return result;
  }

  override inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext && isRandomTrace(context, spanContext.traceId)) {
      const flags = spanContext.traceFlags | RANDOM_TRACE_ID_FLAG;
      if (flags !== spanContext.traceFlags) {
        context = trace.setSpanContext(context, { ...spanContext, traceFlags: flags });
      }
    }
    super.inject(context, carrier, setter);
  }
}

function withoutTraceState<T extends { traceState?: unknown }>(spanContext: T): T {
  const { traceState: _dropped, ...rest } = spanContext;
  return rest as T;
}

/**
 * Whether the trace of `traceId` may carry the random flag in this context: either the caller
 * said so (the flag is then still on the remote span context), or the trace did not come from a
 * caller without it, i.e. it was started here.
 */
export function isRandomTrace(context: Context, traceId: string): boolean {
  return context.getValue(NOT_RANDOM_TRACE) !== traceId;
}

/** Trace flags as they go on the wire for a span of this context (sampled + random bits). */
export function wireTraceFlags(context: Context, traceId: string, traceFlags: number): number {
  const sampled = traceFlags & TraceFlags.SAMPLED;
  return isRandomTrace(context, traceId) ? sampled | RANDOM_TRACE_ID_FLAG : sampled;
}

/** The propagator `initTelemetry()` installs: strict W3C Trace Context plus W3C Baggage. */
export function createPropagator(): CompositePropagator {
  return new CompositePropagator({
    propagators: [new StrictW3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
}

