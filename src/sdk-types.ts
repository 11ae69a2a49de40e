/**
 * The parts of SDK objects the kit's public API hands out or takes, as structural types. The
 * kit's type declarations name no SDK package, so an application that uses only the middleware
 * compiles without one, and the SDK's own objects (2.x or 3.x) fit these types.
 */
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';

/** A resource: the attributes every span, metric point and log record of the process carries. */
export interface TelemetryResource {
  readonly attributes: Attributes;
  /** Settles when the attributes detected asynchronously (host, process) are in. */
  waitForAsyncAttributes?(): Promise<void>;
}

/** The instrumentation scope of a span, a metric or a log record. */
export interface InstrumentationScopeInfo {
  readonly name: string;
  readonly version?: string | undefined;
  readonly schemaUrl?: string | undefined;
}

/** An ended span, as the SDK's `ReadableSpan` gives it. */
export interface FinishedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  spanContext(): SpanContext;
  readonly parentSpanContext?: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: { readonly name: string; readonly time: HrTime; readonly attributes?: Attributes | undefined }[];
  readonly ended: boolean;
  readonly resource: TelemetryResource;
  readonly instrumentationScope: InstrumentationScopeInfo;
}

/** An emitted log record, as the SDK's `ReadableLogRecord` gives it. */
export interface FinishedLogRecord {
  readonly hrTime: HrTime;
  readonly spanContext?: SpanContext | undefined;
  readonly severityText?: string | undefined;
  readonly severityNumber?: number | undefined;
  readonly body?: unknown;
  readonly attributes: Attributes;
  readonly resource: TelemetryResource;
  readonly instrumentationScope: InstrumentationScopeInfo;
}

/** One metric point: a number (sums, gauges) or a histogram. */
export interface MetricPoint {
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly value:
    | number
    | {
        readonly buckets: { readonly boundaries: number[]; readonly counts: number[] };
        readonly count: number;
        readonly sum?: number | undefined;
        readonly min?: number | undefined;
        readonly max?: number | undefined;
      };
}

/** One collection of the process's metrics, as the SDK's `ResourceMetrics` gives it. */
export interface CollectedMetrics {
  readonly resource: TelemetryResource;
  readonly scopeMetrics: {
    readonly scope: InstrumentationScopeInfo;
    readonly metrics: {
      readonly descriptor: { readonly name: string; readonly unit: string; readonly description: string; readonly valueType: number };
      readonly aggregationTemporality: number;
      readonly dataPointType: number;
      readonly isMonotonic?: boolean;
      readonly dataPoints: MetricPoint[];
    }[];
  }[];
}

/** A span exporter, as the SDK's `SpanExporter` interface describes it. */
export interface SpanExporterLike {
  export(spans: never[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}
