/**
 * OpenTelemetry metric and attribute names as Prometheus names, the way the OpenTelemetry
 * Collector's Prometheus exporters write them by default (`UnderscoreEscapingWithSuffixes`),
 * so a query or dashboard works the same whether the kit is scraped directly or its OTLP goes
 * through a collector. The rules are the spec's:
 * https://github.com/open-telemetry/opentelemetry-specification/blob/main/specification/compatibility/prometheus_and_openmetrics.md#otlp-metric-points-to-prometheus
 * as the collector applies them (exporter/prometheusexporter/collector.go in
 * https://github.com/open-telemetry/opentelemetry-collector-contrib) through
 * https://github.com/prometheus/otlptranslator (metric_namer.go, unit_namer.go, label_namer.go).
 * Pure functions, no SDK.
 */

/** The metric shapes whose names differ: counters get `_total`, gauges of unit `1` get `_ratio`. */
export type PrometheusMetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** A Prometheus metric family name and the unit word it ends with (empty: no `# UNIT` line). */
export interface PrometheusName {
  readonly name: string;
  readonly unit: string;
}

// UCUM units the collector spells out; any other unit is appended as written, sanitized
// (`USD` stays `USD`). Maps, not object literals: a unit such as `constructor` must not match.
const UNIT_WORDS: ReadonlyMap<string, string> = new Map([
  ['d', 'days'], ['h', 'hours'], ['min', 'minutes'], ['s', 'seconds'], ['ms', 'milliseconds'], ['us', 'microseconds'], ['ns', 'nanoseconds'],
  ['By', 'bytes'], ['KiBy', 'kibibytes'], ['MiBy', 'mebibytes'], ['GiBy', 'gibibytes'], ['TiBy', 'tibibytes'],
  ['KBy', 'kilobytes'], ['MBy', 'megabytes'], ['GBy', 'gigabytes'], ['TBy', 'terabytes'],
  ['m', 'meters'], ['V', 'volts'], ['A', 'amperes'], ['J', 'joules'], ['W', 'watts'], ['g', 'grams'],
  ['Cel', 'celsius'], ['Hz', 'hertz'], ['1', ''], ['%', 'percent'],
]);
const PER_UNIT_WORDS: ReadonlyMap<string, string> = new Map([
  ['s', 'second'], ['m', 'minute'], ['h', 'hour'], ['d', 'day'], ['w', 'week'], ['mo', 'month'], ['y', 'year'],
]);

/** Every run of characters outside `[a-zA-Z0-9:]` separates name tokens (`_` included). */
const NAME_SEPARATORS = /[^a-zA-Z0-9:]+/;

/** A unit suffix with invalid characters as `_`, runs collapsed and no leading `_` (a trailing one stays, as in the collector). */
function cleanUnit(unit: string): string {
  return unit.replace(/[^a-zA-Z0-9:]/g, '_').replace(/_{2,}/g, '_').replace(/^_/, '');
}

/** The main and "per" suffixes of a unit: `By/s` -> `bytes`, `per_second`; `{token}` and `1` -> none. */
function unitSuffixes(unit: string): [main: string, per: string] {
  const slash = unit.indexOf('/');
  const mainUnit = (slash === -1 ? unit : unit.slice(0, slash)).trim();
  const perUnit = slash === -1 ? '' : unit.slice(slash + 1).trim();
  const main = mainUnit !== '' && !/[{}]/.test(mainUnit) ? (UNIT_WORDS.get(mainUnit) ?? mainUnit) : '';
  const per = perUnit !== '' && !/[{}]/.test(perUnit) ? `per_${PER_UNIT_WORDS.get(perUnit) ?? perUnit}` : '';
  return [cleanUnit(main), cleanUnit(per)];
}

/**
 * The Prometheus name of a metric: tokens of the name joined by `_`, the unit appended unless a
 * token already is that unit, then `_total` (monotonic counters) or `_ratio` (gauges of unit
 * `1`), each moved to the end. `unit` is the word the name ends with before `_total`, for the
 * `# UNIT` line; empty when the name does not end with it.
 * @example prometheusName('http.server.request.duration', 's', 'histogram') // { name: 'http_server_request_duration_seconds', unit: 'seconds' }
 * @example prometheusName('gateway.cost', 'USD', 'counter') // { name: 'gateway_cost_USD_total', unit: 'USD' }
 */
export function prometheusName(name: string, unit: string, kind: PrometheusMetricKind): PrometheusName {
  let tokens = name.split(NAME_SEPARATORS).filter((t) => t !== '');
  let [main, per] = unitSuffixes(unit);
  per = per === 'per_' ? '' : per.replace(/_$/, '');
  if (per !== '') main = main.replace(/_$/, '');
  let unitWord = [main, per].filter((s) => s !== '').join('_').replace(/_$/, '');
  tokens = [...tokens, ...[main, per].filter((suffix) => suffix !== '' && !tokens.includes(suffix))];

  let typeSuffix = '';
  if (kind === 'counter') {
    tokens = [...tokens.filter((t) => t !== 'total'), 'total'];
    typeSuffix = '_total';
  } else if (kind === 'gauge' && unit === '1') {
    tokens = [...tokens.filter((t) => t !== 'ratio'), 'ratio'];
    unitWord = 'ratio';
  }
  let promName = tokens.join('_');
  if (/^[0-9]/.test(promName)) promName = `_${promName}`;

  // A UNIT line only when the name ends with the unit (`_seconds`, `_seconds_total`), as
  // OpenMetrics requires: a unit that was already a token elsewhere in the name gets none.
  const stem = promName.slice(0, promName.length - typeSuffix.length);
  return { name: promName, unit: unitWord !== '' && stem.endsWith(`_${unitWord}`) ? unitWord : '' };
}

/**
 * The Prometheus label name of an attribute key: characters outside `[a-zA-Z0-9]` as `_`, runs
 * collapsed (`__name__`-style names keep their double underscores), `key_` before a leading
 * digit and `key` before a single leading `_` (`...` -> `key_`). Undefined for a key the collector
 * refuses: only underscores once sanitized (`____`).
 * @example prometheusLabelName('tenant.id') // 'tenant_id'
 */
export function prometheusLabelName(key: string): string | undefined {
  const reserved = key.length >= 4 && key.startsWith('__') && key.endsWith('__');
  const inner = (reserved ? key.slice(2, -2) : key).replace(/[^a-zA-Z0-9]+/g, '_');
  let label = reserved ? `__${inner}__` : inner;
  if (/^[0-9]/.test(label)) label = `key_${label}`;
  else if (/^_(?!_)/.test(label)) label = `key${label}`;
  return /^_*$/.test(label) ? undefined : label;
}
