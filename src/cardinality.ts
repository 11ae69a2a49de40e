import { OTHER_TENANT } from './semconv';

/**
 * Caps the distinct values of one metric attribute, so values a caller can choose (a tenant id,
 * a model name passed through a gateway) cannot grow the metric series without bound: the SDK's
 * cumulative storage keeps every attribute set it has seen for the life of the process. The
 * first `max` values seen keep their own series; later ones share `__other__`. Spans are not
 * capped: a trace is looked up, not aggregated.
 */
export class CardinalityCap {
  private readonly seen = new Set<string>();
  constructor(readonly max: number) {}

  metricValue(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER_TENANT;
    this.seen.add(value);
    return value;
  }
}
