import { metrics } from '@opentelemetry/api';
import type { Attributes, Counter, Gauge, Histogram, Meter, MeterProvider } from '@opentelemetry/api';
import { instrumentOptions } from '../instruments';
import { METRIC_CATALOGUE } from '../metric-catalogue';
import type { InstrumentKind } from '../metric-catalogue';
import { HTTP_DURATION_BUCKETS } from '../semconv';
import { KIT_NAME, KIT_VERSION } from '../version';

// The OTel instrument-name syntax: an ASCII letter, then up to 254 of letters, digits, _ . - /
// See https://opentelemetry.io/docs/specs/otel/metrics/api/#instrument-name-syntax
const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/;

type Instrument = Counter | Histogram | Gauge;

/** Unit for a name outside the catalogue, from its shape: seconds, USD, tokens. */
function inferredUnit(name: string): string | undefined {
  if (name.endsWith('.duration')) return 's';
  if (/(^|[._])(cost|usd)([._]|$)/.test(name)) return 'USD';
  if (/(^|[._])tokens?([._]|$)/.test(name)) return '{token}';
  return undefined;
}

/**
 * A metrics vocabulary (counters, histograms and gauges by name) over the OpenTelemetry metrics API: each name becomes one real
 * instrument, made once and cached. Known names (`METRIC_NAMES`) get their catalogue unit; other
 * names ending in `.duration` are seconds with the HTTP latency buckets, cost names USD, token
 * names `{token}`.
 * @example
 * const m = new OTELMetrics();
 * m.incrementCounter('gateway.cache.hits', { model: 'gpt-4o' });
 * m.recordHistogram('rag.search.duration', 0.042, { index: 'docs' });
 * m.setGauge('agent.queue.depth', 7, { queue: 'tasks' });
 */
export class OTELMetrics {
  private provider: MeterProvider | undefined;
  private meter: Meter | undefined;
  private readonly instruments = new Map<string, { kind: InstrumentKind; instrument: Instrument }>();

  constructor(private readonly meterName: string = KIT_NAME) {}

  /**
   * Adds to a counter: `incrementCounter(name, attributes?, amount = 1)`, or in the older
   * order `incrementCounter(name, amount, attributes?)`.
   */
  incrementCounter(name: string, attributesOrAmount?: Attributes | number, amountOrAttributes?: number | Attributes): void {
    let amount: unknown = 1;
    let attributes: unknown;
    if (typeof attributesOrAmount === 'number') {
      amount = attributesOrAmount;
      attributes = amountOrAttributes;
    } else {
      attributes = attributesOrAmount;
      if (amountOrAttributes !== undefined) amount = amountOrAttributes;
    }
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      throw new TypeError(`incrementCounter: amount for "${name}" must be a non-negative finite number, got ${String(amount)}`);
    }
    (this.instrument(name, 'counter') as Counter).add(amount, checkAttributes(attributes));
  }

  /** Records a value in a histogram (durations in seconds). */
  recordHistogram(name: string, value: number, attributes?: Attributes): void {
    checkValue('recordHistogram', name, value);
    (this.instrument(name, 'histogram') as Histogram).record(value, checkAttributes(attributes));
  }

  /** Sets a synchronous gauge: each attribute set keeps its own last value. */
  setGauge(name: string, value: number, attributes?: Attributes): void {
    checkValue('setGauge', name, value);
    (this.instrument(name, 'gauge') as Gauge).record(value, checkAttributes(attributes));
  }

  private instrument(name: string, kind: InstrumentKind): Instrument {
    const provider = metrics.getMeterProvider();
    if (provider !== this.provider) {
      // initTelemetry() ran (again) since the last call: instruments of the old provider are dead.
      this.provider = provider;
      this.meter = provider.getMeter(this.meterName, KIT_VERSION);
      this.instruments.clear();
    }
    const cached = this.instruments.get(name);
    if (cached !== undefined) {
      if (cached.kind !== kind) throw new TypeError(`"${name}" is a ${cached.kind}; it cannot also be used as a ${kind}`);
      return cached.instrument;
    }
    if (typeof name !== 'string' || !INSTRUMENT_NAME.test(name)) {
      throw new TypeError(`metric name ${JSON.stringify(name)} is invalid: it must start with a letter and have at most 255 letters, digits, "_", ".", "-" or "/"`);
    }
    const known = METRIC_CATALOGUE[name];
    if (known !== undefined && known.kind !== kind) throw new TypeError(`"${name}" is a ${known.kind} in the kit's catalogue; it cannot be used as a ${kind}`);
    const unit = known?.unit ?? inferredUnit(name);
    const buckets = known?.buckets ?? (unit === 's' ? HTTP_DURATION_BUCKETS : undefined);
    const options = unit === undefined ? {} : instrumentOptions({ unit, description: known?.description ?? '', buckets: kind === 'histogram' ? buckets : undefined });
    const meter = this.meter!;
    const instrument = kind === 'counter' ? meter.createCounter(name, options) : kind === 'histogram' ? meter.createHistogram(name, options) : meter.createGauge(name, options);
    this.instruments.set(name, { kind, instrument });
    return instrument;
  }
}

function checkValue(method: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${method}: value for "${name}" must be a finite number, got ${String(value)}`);
}

function checkAttributes(attributes: unknown): Attributes | undefined {
  if (attributes === undefined) return undefined;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new TypeError(`metric attributes must be an object, got ${JSON.stringify(attributes)}`);
  }
  return attributes as Attributes;
}

/** The process-wide instance the component helpers record through. */
export const kitMetrics = new OTELMetrics();
