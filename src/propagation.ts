import { diag, trace } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { JaegerPropagator } from './jaeger';
import { peerPackage, sdkOrAppPackage } from './sdk';
import { StrictW3CTraceContextPropagator, isRandomTrace, markCallerTrace } from './tracecontext';

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
    return markCallerTrace(extracted, spanContext.traceId, false);
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
const B3_FIELDS = ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-b3-flags', 'x-b3-parentspanid'];

function propagatorNamed(name: Exclude<PropagatorName, 'none'>): TextMapPropagator {
  switch (name) {
    case 'tracecontext':
      return new StrictW3CTraceContextPropagator();
    case 'baggage': {
      const { W3CBaggagePropagator } = sdkOrAppPackage<typeof import('@opentelemetry/core')>('@opentelemetry/core');
      return new W3CBaggagePropagator();
    }
    case 'b3':
    case 'b3multi': {
      const b3 = sdkOrAppPackage<typeof import('@opentelemetry/propagator-b3')>('@opentelemetry/propagator-b3');
      const injectEncoding = name === 'b3' ? b3.B3InjectEncoding.SINGLE_HEADER : b3.B3InjectEncoding.MULTI_HEADER;
      return new ForeignTracePropagator(new b3.B3Propagator({ injectEncoding }), B3_FIELDS);
    }
    case 'jaeger':
      diag.warn('The Jaeger propagator is deprecated (as in the SDK); prefer "tracecontext".');
      return new ForeignTracePropagator(new JaegerPropagator());
    case 'xray': {
      const { AWSXRayPropagator } = peerPackage<typeof import('@opentelemetry/propagator-aws-xray')>('@opentelemetry/propagator-aws-xray', 'the xray propagator');
      return new ForeignTracePropagator(new AWSXRayPropagator());
    }
    case 'ottrace': {
      const { OTTracePropagator } = peerPackage<typeof import('@opentelemetry/propagator-ot-trace')>('@opentelemetry/propagator-ot-trace', 'the ottrace propagator');
      return new ForeignTracePropagator(new OTTracePropagator());
    }
  }
}

/**
 * The propagator `initTelemetry()` installs: by default strict W3C Trace Context plus W3C
 * Baggage; otherwise the `OTEL_PROPAGATORS` names given, in that order (on extraction a later
 * one wins where two carry a trace), each once. `none`, alone or in the list, installs none:
 * incoming trace headers are ignored and `tracedFetch` sends none. W3C Baggage and B3 come from
 * the application's SDK; `xray` and `ottrace` need their propagator package installed.
 */
export function createPropagator(names: readonly PropagatorName[] = DEFAULT_PROPAGATORS): TextMapPropagator {
  const { CompositePropagator } = sdkOrAppPackage<typeof import('@opentelemetry/core')>('@opentelemetry/core');
  const unique = [...new Set(names)];
  if (unique.includes('none')) return new CompositePropagator({ propagators: [] });
  return new CompositePropagator({ propagators: unique.map((name) => propagatorNamed(name as Exclude<PropagatorName, 'none'>)) });
}
