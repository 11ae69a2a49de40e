'use strict';
// The Prometheus names of the kit's metrics, derived from METRIC_CATALOGUE the way the
// OpenTelemetry Collector's Prometheus exporter derives them (prometheus/otlptranslator, used by
// collector-contrib's pkg/translator/prometheus): the table in examples/observability/README.md
// lists them, and the rules and the dashboard use no other raw metric name. Needs no Prometheus;
// observability-prometheus.test.js checks the same names against what the services export.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { METRIC_CATALOGUE } = require('@motadata/otel');
const { metricNames } = require('../fixtures/promql');

const DIR = path.join(__dirname, '..', '..', 'examples', 'observability');
const COMING = /\(coming\b/;

// The translator's unit map (otlptranslator's unitMap): a unit not in it is appended as it is,
// case kept (`USD`); one with {…} is dropped.
const UNITS = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes', KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams', Cel: 'celsius', Hz: 'hertz', 1: '', '%': 'percent',
};

/** The Prometheus name of a metric: name tokens, the unit if not among them, `total` last on a counter. */
function prometheusName(name, { kind, unit }) {
  const tokens = name.split(/[^A-Za-z0-9:]+/).filter(Boolean);
  const main = unit.split('/')[0].trim();
  const suffix = main === '' || /[{}]/.test(main) ? '' : (UNITS[main] ?? main).split(/[^A-Za-z0-9:]+/).filter(Boolean).join('_');
  if (suffix !== '' && !tokens.includes(suffix)) tokens.push(suffix);
  if (unit.includes('/')) throw new Error(`${name}: a per-unit (${unit}); extend prometheusName`);
  if (kind === 'counter') return [...tokens.filter((t) => t !== 'total'), 'total'].join('_');
  return tokens.join('_');
}

/** The series Prometheus stores for a metric. */
function seriesOf(name, definition) {
  const base = prometheusName(name, definition);
  return definition.kind === 'histogram' ? [`${base}_bucket`, `${base}_sum`, `${base}_count`] : [base];
}

describe('examples/observability: the Prometheus names of the kit\'s metrics', () => {
  const catalogue = Object.entries(METRIC_CATALOGUE);
  const series = new Map(catalogue.flatMap(([name, definition]) => seriesOf(name, definition).map((s) => [s, name])));

  it('are the collector exporter\'s: unit appended, {…} dropped, _total on counters', () => {
    const names = Object.fromEntries(catalogue.map(([name, definition]) => [name, prometheusName(name, definition)]));
    assert.equal(names['http.server.request.duration'], 'http_server_request_duration_seconds');
    assert.equal(names['gateway.cost'], 'gateway_cost_USD_total');
    assert.equal(names['gateway.tokens.used'], 'gateway_tokens_used_total');
    assert.equal(names['gateway.cache.hits'], 'gateway_cache_hits_total');
    assert.equal(names['gen_ai.client.token.usage'], 'gen_ai_client_token_usage');
    assert.equal(names['rag.search.duration'], 'rag_search_duration_seconds');
    assert.equal(names['agent.memory.retrieval.duration'], 'agent_memory_retrieval_duration_seconds');
    assert.equal(new Set(Object.values(names)).size, catalogue.length, 'no two metrics share a name');
  });

  it('are listed in the README, one row per metric of the catalogue', () => {
    const readme = fs.readFileSync(path.join(DIR, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([\w.]+)` \| (histogram|counter|gauge), `([^`]*)` \| `(\w+)`/gm)];
    assert.deepEqual(rows.map((r) => r[1]).sort(), catalogue.map(([name]) => name).sort());
    for (const [, name, kind, unit, first] of rows) {
      const definition = METRIC_CATALOGUE[name];
      assert.equal(kind, definition.kind, `${name}: kind`);
      assert.equal(unit, definition.unit, `${name}: unit`);
      assert.equal(first, seriesOf(name, definition)[0], `${name}: Prometheus name`);
    }
  });

  it('are the only raw metric names the rules and the dashboard use', () => {
    const rules = YAML.parse(fs.readFileSync(path.join(DIR, 'rules', 'motadata-otel.rules.yml'), 'utf8')).groups.flatMap((g) => g.rules);
    const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record));
    const dashboard = JSON.parse(fs.readFileSync(path.join(DIR, 'grafana', 'dashboards', 'motadata-otel.json'), 'utf8'));
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    const uses = [
      ...rules.map((r) => ({ what: r.record ?? r.alert, expr: r.expr })),
      ...panels.filter((p) => !COMING.test(p.title)).flatMap((p) => p.targets.map((t) => ({ what: `panel "${p.title}"`, expr: t.expr }))),
      ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => ({ what: `variable ${v.name}`, expr: /^label_values\(\s*([^,]+?)\s*,/.exec(v.definition)[1] })),
    ];
    const unknown = uses.flatMap(({ what, expr }) => metricNames(expr).filter((n) => !series.has(n) && !recorded.has(n)).map((n) => `${what}: ${n}`));
    assert.deepEqual(unknown, []);
    // A panel marked as coming waits for a metric the catalogue does not have yet (none does now).
    const coming = panels.filter((p) => COMING.test(p.title)).flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr)));
    assert.deepEqual(coming.filter((n) => series.has(n)), [], 'the kit records these now: drop "(coming" from their panels\' titles');
  });
});
