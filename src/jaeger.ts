import { TraceFlags, createContextKey, propagation, trace } from '@opentelemetry/api';
import type { Context, SpanContext, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';

/**
 * Jaeger's `uber-trace-id` and `uberctx-{key}` headers, written against `@opentelemetry/api`
 * alone. See https://www.jaegertracing.io/docs/1.x/client-libraries/#propagation-format
 *
 * The SDK's 3.x line has no `@opentelemetry/propagator-jaeger`, and the kit's propagation code
 * may import only the API, so `OTEL_PROPAGATORS=jaeger` needs this one. It behaves like the 2.x
 * `JaegerPropagator` (same options, same headers, same leniency), so switching lines changes
 * nothing on the wire but one thing: it sends only the sampled flag (see inject). Like that one,
 * `fields()` names only the trace header: baggage headers have no fixed names.
 */

export const UBER_TRACE_ID_HEADER = 'uber-trace-id';
export const UBER_BAGGAGE_HEADER_PREFIX = 'uberctx';

/** The options of the 2.x `JaegerPropagator`, under the same names. */
export interface JaegerPropagatorConfig {
  /**
   * The header that carries `{trace-id}:{span-id}:{parent-span-id}:{flags}`.
   * @default 'uber-trace-id'
   * @example new JaegerPropagator({ customTraceHeader: 'x-trace-id' })
   */
  customTraceHeader?: string | undefined;
  /**
   * Baggage goes in `{prefix}-{key}` headers.
   * @default 'uberctx'
   * @example new JaegerPropagator({ customBaggageHeaderPrefix: 'x-baggage' })
   */
  customBaggageHeaderPrefix?: string | undefined;
}

// The SDK's "suppress tracing" flag (@opentelemetry/core's suppressTracing(), set while exporters
// send): context keys are `Symbol.for(description)`, so the same description finds it.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

// One or two hex digits; anything else counts as sampled (as in the 2.x propagator).
const FLAGS = /^[0-9a-f]{1,2}$/i;

export class JaegerPropagator implements TextMapPropagator {
  private readonly traceHeader: string;
  private readonly baggagePrefix: string;

  /** A string is the trace header's name, as the 2.x constructor takes it (used as given). */
  constructor(customTraceHeader?: string);
  constructor(config?: JaegerPropagatorConfig);
  constructor(config?: string | JaegerPropagatorConfig) {
    if (typeof config === 'string') {
      this.traceHeader = config;
      this.baggagePrefix = UBER_BAGGAGE_HEADER_PREFIX;
    } else {
      this.traceHeader = config?.customTraceHeader || UBER_TRACE_ID_HEADER;
      this.baggagePrefix = config?.customBaggageHeaderPrefix || UBER_BAGGAGE_HEADER_PREFIX;
    }
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext && context.getValue(SUPPRESS_TRACING_KEY) !== true) {
      // The parent span id is deprecated and sent as 0. Only the sampled bit goes out, where the
      // 2.x propagator writes the whole byte: W3C's random-trace-id bit (0x02) is Jaeger's debug flag.
      const flags = (spanContext.traceFlags & TraceFlags.SAMPLED) === 0 ? '00' : '01';
      setter.set(carrier, this.traceHeader, `${spanContext.traceId}:${spanContext.spanId}:0:${flags}`);
    }
    const baggage = propagation.getBaggage(context);
    if (!baggage) return;
    // Values are URL-encoded; keys go into the header name as they are.
    for (const [key, entry] of baggage.getAllEntries()) {
      setter.set(carrier, `${this.baggagePrefix}-${key}`, encodeURIComponent(entry.value));
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let result = context;
    const header = first(getter.get(carrier, this.traceHeader));
    const spanContext = typeof header === 'string' ? parseUberTraceId(header) : undefined;
    if (spanContext) result = trace.setSpanContext(result, spanContext);

    const prefix = `${this.baggagePrefix}-`;
    const keys = getter.keys(carrier).filter((key) => key.startsWith(prefix));
    if (keys.length === 0) return result;
    // Added to the caller's baggage; a value that is not valid URL-encoding is skipped. Baggage
    // headers alone, with no trace header, are kept too.
    let baggage = propagation.getBaggage(context) ?? propagation.createBaggage();
    for (const key of keys) {
      const value = first(getter.get(carrier, key));
      if (value === undefined) continue;
      const decoded = decode(value);
      if (decoded !== undefined) baggage = baggage.setEntry(key.slice(prefix.length), { value: decoded });
    }
    return propagation.setBaggage(result, baggage);
  }

  fields(): string[] {
    return [this.traceHeader];
  }
}

/**
 * `{trace-id}:{span-id}:{parent-span-id}:{flags}`, URL-decoded first (some clients send `%3A`).
 * Only the part count and the encoding are checked, as in the 2.x propagator: ids are padded to
 * 32 and 16 digits but not otherwise validated, so an id that is not hex, is all zeros or too long
 * yields a span context that fails `isSpanContextValid()`, and the SDK starts a new trace.
 * Only the sampled bit of the flags is kept (the debug bit 0x02 is dropped).
 */
function parseUberTraceId(header: string): SpanContext | undefined {
  const parts = decode(header)?.split(':');
  if (parts?.length !== 4) return undefined;
  const [traceId, spanId, , flags] = parts as [string, string, string, string];
  return {
    traceId: traceId.padStart(32, '0'),
    spanId: spanId.padStart(16, '0'),
    isRemote: true,
    traceFlags: FLAGS.test(flags) ? parseInt(flags, 16) & TraceFlags.SAMPLED : TraceFlags.SAMPLED,
  };
}

/** The first of repeated headers, as the 2.x propagator reads them. */
function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined; // malformed percent-encoding
  }
}
