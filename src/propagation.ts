import { TraceFlags, createContextKey, diag, trace } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import {
  CompositePropagator,
  TRACE_STATE_HEADER,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  B3_CONTEXT_HEADER,
  B3InjectEncoding,
  B3Propagator,
  X_B3_FLAGS,
  X_B3_PARENT_SPAN_ID,
  X_B3_SAMPLED,
  X_B3_SPAN_ID,
  X_B3_TRACE_ID,
} from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { OTTracePropagator } from '@opentelemetry/propagator-ot-trace';
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
    } else if (result.getValue(NOT_RANDOM_TRACE) !== undefined) {
      // A B3, Jaeger, OT or X-Ray header extracted before this one: the traceparent, which says
      // the id is random, is the one the composite keeps.
      result = result.deleteValue(NOT_RANDOM_TRACE);
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

/**
 * A B3, Jaeger, OT or X-Ray propagator whose extracted trace ids the kit cannot vouch for as
 * random: B3, Jaeger and OT allow 64-bit ids, which the propagators left-pad with zeros, and an
 * X-Ray id starts with its epoch seconds. Marking the trace keeps the random-trace-id flag off
 * the `traceparent` and Server-Timing the kit sends for it.
 * `readFields` adds headers it extracts from but does not inject: the SDK's B3 propagator reads
 * both B3 encodings whichever it writes, and the middleware extracts only when one of the
 * propagator's `fields()` is a request header.
 */
class ForeignTracePropagator implements TextMapPropagator {
  private readonly allFields: string[];

  constructor(
    private readonly inner: TextMapPropagator,
    readFields: readonly string[] = [],
  ) {
    this.allFields = [...new Set([...inner.fields(), ...readFields])];
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const extracted = this.inner.extract(context, carrier, getter);
    const spanContext = trace.getSpanContext(extracted);
    const before = trace.getSpanContext(context);
    if (spanContext === undefined || spanContext === before) return extracted;
    // A traceparent read earlier vouched for this very trace id: the format it came in last does
    // not make it less random.
    if (before?.traceId === spanContext.traceId && isRandomTrace(context, before.traceId)) return extracted;
    return extracted.setValue(NOT_RANDOM_TRACE, spanContext.traceId);
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.inner.inject(context, carrier, setter);
  }

  fields(): string[] {
    return this.allFields;
  }
}

/** The spec's `OTEL_PROPAGATORS` names (the SDK itself builds all but `xray` and `ottrace`). */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger' | 'xray' | 'ottrace' | 'none';
export const PROPAGATOR_NAMES: readonly PropagatorName[] = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'xray', 'ottrace', 'none'];
export const DEFAULT_PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage'];
const B3_FIELDS = [B3_CONTEXT_HEADER, X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_SAMPLED, X_B3_FLAGS, X_B3_PARENT_SPAN_ID];

function propagatorNamed(name: Exclude<PropagatorName, 'none'>): TextMapPropagator {
  switch (name) {
    case 'tracecontext':
      return new StrictW3CTraceContextPropagator();
    case 'baggage':
      return new W3CBaggagePropagator();
    case 'b3':
      return new ForeignTracePropagator(new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }), B3_FIELDS);
    case 'b3multi':
      return new ForeignTracePropagator(new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }), B3_FIELDS);
    case 'jaeger':
      diag.warn('The Jaeger propagator is deprecated (as in the SDK); prefer "tracecontext".');
      return new ForeignTracePropagator(new JaegerPropagator());
    case 'xray':
      return new ForeignTracePropagator(new AWSXRayPropagator());
    case 'ottrace':
      return new ForeignTracePropagator(new OTTracePropagator());
  }
}

/**
 * The propagator `initTelemetry()` installs: by default strict W3C Trace Context plus W3C
 * Baggage; otherwise the `OTEL_PROPAGATORS` names given, in that order (on extraction a later
 * one wins where two carry a trace), each once. `none`, alone or in the list, installs none:
 * incoming trace headers are ignored and `tracedFetch` sends none.
 */
export function createPropagator(names: readonly PropagatorName[] = DEFAULT_PROPAGATORS): CompositePropagator {
  const unique = [...new Set(names)];
  if (unique.includes('none')) return new CompositePropagator({ propagators: [] });
  return new CompositePropagator({ propagators: unique.map((name) => propagatorNamed(name as Exclude<PropagatorName, 'none'>)) });
}
