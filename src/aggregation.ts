import { ValueType } from '@opentelemetry/api';
import type { Attributes, HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, InstrumentType } from '@opentelemetry/sdk-metrics';
import type { CollectionResult, MetricData, MetricProducer } from '@opentelemetry/sdk-metrics';
import { KIT_NAME, KIT_VERSION } from './version';

/**
 * The kit's hot metrics, aggregated by the kit itself and handed to the SDK's metric readers as
 * one `MetricProducer`.
 *
 * Why not the SDK's instruments: measured with callgrind, one `Counter.add()` or
 * `Histogram.record()` with four attributes cost ~30k instructions (the SDK hashes every
 * attribute set with sort + JSON.stringify, then looks the series up), and a request that calls
 * `recordCost` makes five of them. Here the hot callers find their series through nested Maps
 * keyed by values they already hold and cache it; a record is an addition (a sum) or a bucket
 * search and four additions (a histogram). The exported data is what the SDK would export for
 * these instruments: explicit-bucket histograms and monotonic sums, cumulative or delta as each
 * reader asks (`ReaderMetricProducer`), the SDK's cardinality limit (2000 series counting one
 * `otel.metric.overflow` series), held for the life of the process while a reader is cumulative
 * (the SDK applies it per collection interval and lets its cumulative store grow without bound;
 * here memory stays bounded), per interval when every reader is delta (`evictReported`).
 *
 * Code that records the same metric names through the metrics API (`OTELMetrics`) lands in the
 * same series through `AggregatedMetric.seriesFor()`, so no name is exported twice.
 */

/**
 * The SDK's default cardinality limit per metric. The SDK counts the overflow series inside it
 * (1999 attribute sets, then `otel.metric.overflow`), and so does the kit.
 */
export const MAX_SERIES = 2000;
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

export class SumSeries {
  value = 0;
  constructor(readonly attributes: Attributes) {}

  add(amount: number): void {
    this.value += amount;
  }
}

export class HistogramSeries {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  readonly counts: number[];
  constructor(
    readonly attributes: Attributes,
    private readonly boundaries: readonly number[],
  ) {
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    const boundaries = this.boundaries;
    let bucket = 0;
    while (bucket < boundaries.length && value > boundaries[bucket]!) bucket++;
    this.counts[bucket]! += 1;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

export interface MetricDescription {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly valueType: ValueType;
}

/**
 * What a delta reader last reported of each series (a sum's value, a histogram's count, sum and
 * bucket counts), keyed by the series itself so a reset drops it with the series.
 */
export type Reported = WeakMap<SumSeries | HistogramSeries, number | HistogramSnapshot>;

interface HistogramSnapshot {
  readonly count: number;
  readonly sum: number;
  readonly counts: readonly number[];
}

/** The SDK's attribute-set identity: the same attributes in any key order are one series. */
function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  let key = '';
  for (const k of keys) {
    const value = attributes[k];
    if (value !== undefined) key += JSON.stringify(k) + ':' + JSON.stringify(value) + ',';
  }
  return key;
}

/** One metric's series: found by attribute set (any caller) or cached by a hot caller. */
export abstract class AggregatedMetric<S extends SumSeries | HistogramSeries> {
  private byKey = new Map<string, S>();
  protected all: S[] = [];
  protected overflow: S | undefined;

  constructor(readonly description: MetricDescription) {}

  /** Whether new attribute sets now go to the overflow series: hot callers then stop caching. */
  get full(): boolean {
    return this.all.length >= MAX_SERIES - 1;
  }

  protected abstract create(attributes: Attributes): S;

  /** The series of an attribute set, created on first use (with a frozen copy of the attributes). */
  seriesFor(attributes: Attributes): S {
    const key = attributesKey(attributes);
    let series = this.byKey.get(key);
    if (series === undefined) {
      if (this.full) return (this.overflow ??= this.create(OVERFLOW_ATTRIBUTES));
      const copy: Attributes = {};
      for (const k in attributes) if (attributes[k] !== undefined) copy[k] = attributes[k];
      series = this.create(Object.freeze(copy));
      this.byKey.set(key, series);
      this.all.push(series);
    }
    return series;
  }

  reset(): void {
    this.byKey = new Map();
    this.all = [];
    this.overflow = undefined;
  }

  /** Drops the series `done` says every reader has reported; true when any was dropped. */
  evict(done: (series: S) => boolean): boolean {
    const kept = this.all.filter((series) => !done(series));
    const overflowDone = this.overflow !== undefined && done(this.overflow);
    if (kept.length === this.all.length && !overflowDone) return false;
    this.all = kept;
    this.byKey = new Map();
    for (const series of kept) this.byKey.set(attributesKey(series.attributes), series);
    if (overflowDone) this.overflow = undefined;
    return true;
  }

  protected series(): S[] {
    return this.overflow === undefined ? this.all : [...this.all, this.overflow];
  }

  /**
   * The exported data: every series since `startTime` (cumulative), or, with `reported`, only the
   * series that changed since the reader's last collection at `startTime`, by their change (delta).
   */
  abstract toMetricData(startTime: HrTime, endTime: HrTime, reported?: Reported): MetricData | undefined;
}

export class AggregatedSum extends AggregatedMetric<SumSeries> {
  protected create(attributes: Attributes): SumSeries {
    return new SumSeries(attributes);
  }

  toMetricData(startTime: HrTime, endTime: HrTime, reported?: Reported): MetricData | undefined {
    const dataPoints = [];
    for (const s of this.series()) {
      if (reported === undefined) {
        dataPoints.push({ attributes: s.attributes, startTime, endTime, value: s.value });
        continue;
      }
      const before = (reported.get(s) as number | undefined) ?? 0;
      if (s.value === before) continue;
      reported.set(s, s.value);
      dataPoints.push({ attributes: s.attributes, startTime, endTime, value: s.value - before });
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: { ...this.description },
      aggregationTemporality: reported === undefined ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints,
    };
  }
}

export class AggregatedHistogram extends AggregatedMetric<HistogramSeries> {
  constructor(
    description: MetricDescription,
    readonly boundaries: readonly number[],
  ) {
    super(description);
  }

  protected create(attributes: Attributes): HistogramSeries {
    return new HistogramSeries(attributes, this.boundaries);
  }

  toMetricData(startTime: HrTime, endTime: HrTime, reported?: Reported): MetricData | undefined {
    const dataPoints = [];
    for (const s of this.series()) {
      if (reported === undefined) {
        dataPoints.push({
          attributes: s.attributes,
          startTime,
          endTime,
          value: { buckets: { boundaries: [...this.boundaries], counts: [...s.counts] }, count: s.count, sum: s.sum, min: s.min, max: s.max },
        });
        continue;
      }
      const before = reported.get(s) as HistogramSnapshot | undefined;
      if (s.count === (before?.count ?? 0)) continue;
      const snapshot: HistogramSnapshot = { count: s.count, sum: s.sum, counts: [...s.counts] };
      reported.set(s, snapshot);
      // No min or max: the interval's extremes are not known from cumulative ones (both are
      // optional in OTLP). Everything else is exact.
      dataPoints.push({
        attributes: s.attributes,
        startTime,
        endTime,
        value: {
          buckets: { boundaries: [...this.boundaries], counts: snapshot.counts.map((n, i) => n - (before?.counts[i] ?? 0)) },
          count: s.count - (before?.count ?? 0),
          sum: s.sum - (before?.sum ?? 0),
        },
      });
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: { ...this.description },
      aggregationTemporality: reported === undefined ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }
}

/** Something that keeps fast-path caches over aggregated metrics and must drop them on reset. */
export interface Resettable {
  reset(): void;
}

/**
 * The producer every reader set up by `initTelemetry()` collects from. Disabled (and the hot
 * callers fall back to the SDK's instruments) when the app runs its own MeterProvider.
 */
export class KitMetricProducer implements MetricProducer {
  private startTime: HrTime = millisToHrTime(Date.now());
  private active = false;
  private readers: readonly ReaderMetricProducer[] = [];
  /** The resource the readers report with (they use their own; kept for completeness). */
  resource: Resource | undefined;

  constructor(
    private readonly metrics: readonly AggregatedMetric<SumSeries | HistogramSeries>[],
    private readonly caches: readonly Resettable[] = [],
  ) {}

  /** Whether a reader collects from this producer (set by initTelemetry). */
  get enabled(): boolean {
    return this.active;
  }

  /** The metric of a name this producer aggregates, when it is enabled. */
  metric(name: string): AggregatedMetric<SumSeries | HistogramSeries> | undefined {
    if (!this.active) return undefined;
    for (const metric of this.metrics) if (metric.description.name === name) return metric;
    return undefined;
  }

  /**
   * Starts afresh for a new telemetry: no series, a new start time. `readers` are the producers
   * of every reader of that telemetry (`forReader()`), which decide together what may be evicted.
   */
  enable(readers: readonly ReaderMetricProducer[] = []): void {
    for (const metric of this.metrics) metric.reset();
    for (const cache of this.caches) cache.reset();
    this.startTime = millisToHrTime(Date.now());
    this.readers = readers;
    this.active = true;
  }

  /**
   * After a delta collection: drops the series every reader has reported in full, and the hot
   * callers' caches that lead to them. The SDK's delta storage starts each interval empty, so its
   * cardinality limit counts the attribute sets of one interval; without this, under delta
   * temporality, the 2000th attribute set ever seen would send every new one to the overflow
   * series for the life of the process. With a cumulative reader nothing is dropped: the limit
   * then holds for the life of the process, which keeps memory bounded (the SDK's cumulative
   * store grows instead).
   */
  evictReported(): void {
    const readers = this.readers;
    if (readers.length === 0) return;
    let evicted = false;
    for (const metric of this.metrics) {
      const isSum = metric instanceof AggregatedSum;
      const states: Reported[] = [];
      for (const reader of readers) {
        const state = reader.deltaState(isSum, this.startTime);
        if (state === undefined) break;
        states.push(state);
      }
      if (states.length !== readers.length) continue;
      const done = (series: SumSeries | HistogramSeries): boolean => states.every((state) => reportedInFull(state, series));
      if ((metric as AggregatedMetric<SumSeries | HistogramSeries>).evict(done)) evicted = true;
    }
    if (evicted) for (const cache of this.caches) cache.reset();
  }

  disable(): void {
    this.active = false;
  }

  /** Every metric with at least one series, cumulative since enable(). */
  collect(): Promise<CollectionResult> {
    return this.collectFor(undefined);
  }

  /**
   * A producer for one reader, which follows that reader's temporality (the OTLP exporters read
   * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE): the SDK 2.x readers take their producers
   * in their constructor, so the reader is attached after it is built.
   */
  forReader(): ReaderMetricProducer {
    return new ReaderMetricProducer(this);
  }

  /** Generation of the series: a reader's delta state from before the last enable() is stale. */
  get generation(): HrTime {
    return this.startTime;
  }

  /** The metrics; sums and histograms each cumulative, or delta against `delta`'s state. */
  collectFor(delta: DeltaCollection | undefined): Promise<CollectionResult> {
    const endTime = millisToHrTime(Date.now());
    const data: MetricData[] = [];
    for (const metric of this.metrics) {
      const reported = metric instanceof AggregatedSum ? delta?.sums : delta?.histograms;
      const metricData = metric.toMetricData(reported === undefined ? this.startTime : delta!.startTime, endTime, reported);
      if (metricData !== undefined) data.push(metricData);
    }
    if (delta !== undefined) delta.startTime = endTime;
    return Promise.resolve({
      resourceMetrics: {
        resource: this.resource!,
        scopeMetrics: data.length === 0 ? [] : [{ scope: { name: KIT_NAME, version: KIT_VERSION }, metrics: data }],
      },
      errors: [],
    });
  }
}

/** Whether a delta reader's last report of `series` is its current state. */
function reportedInFull(state: Reported, series: SumSeries | HistogramSeries): boolean {
  const reported = state.get(series);
  if (series instanceof SumSeries) return series.value === ((reported as number | undefined) ?? 0);
  return series.count === ((reported as HistogramSnapshot | undefined)?.count ?? 0);
}

/** A delta reader's state: what it last reported and when. */
interface DeltaCollection {
  /** Set for sums when the reader wants them as deltas. */
  sums: Reported | undefined;
  /** Set for histograms when the reader wants them as deltas. */
  histograms: Reported | undefined;
  startTime: HrTime;
}

/** The part of a metric reader a `ReaderMetricProducer` asks for its temporality. */
export interface TemporalitySource {
  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality;
}

/**
 * The kit's producer as one reader collects from it: cumulative (Prometheus, the default), or
 * the change since this reader's last collection when the reader's exporter asks for delta
 * (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta` or `lowmemory`), as the SDK's own
 * instruments do for the same reader. Delta points leave out series unchanged since the last
 * collection, and min and max, which the cumulative series cannot give for an interval.
 */
export class ReaderMetricProducer implements MetricProducer {
  /** The reader this producer serves; until it is set, collections are cumulative. */
  reader: TemporalitySource | undefined;
  private delta: DeltaCollection | undefined;
  private generation: HrTime | undefined;

  constructor(private readonly source: KitMetricProducer) {}

  collect(): Promise<CollectionResult> {
    const reader = this.reader;
    const sumsDelta = reader?.selectAggregationTemporality(InstrumentType.COUNTER) === AggregationTemporality.DELTA;
    const histogramsDelta = reader?.selectAggregationTemporality(InstrumentType.HISTOGRAM) === AggregationTemporality.DELTA;
    if (!sumsDelta && !histogramsDelta) return this.source.collectFor(undefined);
    if (this.delta === undefined || this.generation !== this.source.generation) {
      this.generation = this.source.generation;
      this.delta = { sums: undefined, histograms: undefined, startTime: this.source.generation };
    }
    this.delta.sums = sumsDelta ? (this.delta.sums ?? new WeakMap()) : undefined;
    this.delta.histograms = histogramsDelta ? (this.delta.histograms ?? new WeakMap()) : undefined;
    const result = this.source.collectFor(this.delta);
    this.source.evictReported();
    return result;
  }

  /**
   * What this reader reported of sums (or histograms) as deltas, in the current generation; undefined
   * when it takes them cumulative, or has not collected yet.
   */
  deltaState(sums: boolean, generation: HrTime): Reported | undefined {
    if (this.delta === undefined || this.generation !== generation) return undefined;
    return sums ? this.delta.sums : this.delta.histograms;
  }
}

/** The next level of a nested-Map cache, created on first use. */
export function child<K, T>(level: Map<K, Map<K, T>>, key: K): Map<K, T> {
  let next = level.get(key);
  if (next === undefined) level.set(key, (next = new Map()));
  return next;
}
