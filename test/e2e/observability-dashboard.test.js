'use strict';
// examples/observability/grafana: the dashboard JSON and its provisioning, checked without
// Grafana. Its queries run against a real Prometheus in observability-prometheus.test.js.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const DIR = path.join(__dirname, '..', '..', 'examples', 'observability');
const DASHBOARDS = path.join(DIR, 'grafana', 'dashboards');
const readYaml = (file) => YAML.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));

describe('examples/observability/grafana: the dashboard and its provisioning', () => {
  const dashboard = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, 'motadata-otel.json'), 'utf8'));
  const rows = dashboard.panels.filter((p) => p.type === 'row');
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));

  it('is provisioned from the folder docker-compose.yml mounts into Grafana', () => {
    const provisioning = readYaml('grafana/provisioning/dashboards/dashboards.yaml');
    assert.equal(provisioning.apiVersion, 1);
    const [provider] = provisioning.providers;
    assert.equal(provider.type, 'file');
    const grafana = readYaml('docker-compose.yml').services.grafana;
    const mounts = Object.fromEntries(grafana.volumes.map((v) => v.split(':')).map(([source, target]) => [target, source]));
    assert.equal(path.resolve(DIR, mounts[provider.options.path]), DASHBOARDS);
    assert.equal(path.resolve(DIR, mounts['/etc/grafana/provisioning/dashboards']), path.join(DIR, 'grafana', 'provisioning', 'dashboards'));
  });

  it('reads the Prometheus datasource through a variable whose default is the provisioned one', () => {
    const provisioned = readYaml('grafana/provisioning/datasources/datasources.yaml').datasources.find((d) => d.type === 'prometheus');
    assert.equal(variables.datasource.type, 'datasource');
    assert.equal(variables.datasource.query, 'prometheus');
    assert.equal(variables.datasource.current.value, provisioned.uid);
    for (const panel of panels) {
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, `panel "${panel.title}"`);
      for (const target of panel.targets) assert.deepEqual(target.datasource, panel.datasource, `panel "${panel.title}" ${target.refId}`);
    }
  });

  it('filters by service (the job label) and tenant, several or all at once', () => {
    assert.match(variables.service.definition, /^label_values\(\w+, job\)$/);
    assert.match(variables.tenant.definition, /^label_values\(\w+, tenant_id\)$/);
    for (const name of ['service', 'tenant']) {
      assert.equal(variables[name].multi, true);
      assert.equal(variables[name].includeAll, true);
      assert.equal(variables[name].allValue, '.*', `${name}: All also matches series without the label`);
    }
    const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr));
    assert.ok(exprs.some((e) => e.includes('job=~"$service"')));
    assert.ok(exprs.some((e) => e.includes('tenant_id=~"$tenant"')));
    for (const expr of exprs) assert.doesNotMatch(expr, /\$(service|tenant)(?!")/, `${expr}: variables inside =~ matchers`);
  });

  it('has unique panel ids and refIds, and panels that do not overlap', () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const panel of panels) assert.equal(new Set(panel.targets.map((t) => t.refId)).size, panel.targets.length, panel.title);
    const cells = new Map();
    for (const { title, gridPos: g } of dashboard.panels) {
      assert.ok(g.x >= 0 && g.x + g.w <= 24, `${title} fits the 24 columns`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${title} overlaps ${cells.get(`${x},${y}`)}`);
          cells.set(`${x},${y}`, title);
        }
      }
    }
  });

  it('shows latency, errors, cost, budget, tokens and cache, and keeps a marked place for time to first token', () => {
    assert.deepEqual(rows.map((r) => r.title.split(' (')[0]), ['HTTP requests', 'P95 targets', 'LLM cost and tokens', 'Time to first token']);
    const uses = (pattern) => panels.filter((p) => p.targets.some((t) => pattern.test(t.expr))).map((p) => p.title);
    assert.ok(uses(/http_server_request_duration_seconds:p50_5m/).length > 0);
    assert.ok(uses(/http_server_request_duration_seconds:p95_5m/).length > 0);
    assert.ok(uses(/http_server_request_errors:ratio_rate5m/).length > 0);
    assert.ok(uses(/tenant:gateway_cost_USD:rate5m/).length > 0);
    assert.ok(uses(/tenant:gateway_cost_budget_USD:daily/).length > 0);
    assert.ok(uses(/gateway_tokens_used:rate5m/).length > 0);
    assert.ok(uses(/gateway_cache_hit:ratio_rate5m/).length > 0);
    for (const metric of ['agent_task_duration_seconds', 'gateway_request_duration_seconds', 'rag_query_duration_seconds', 'rag_search_duration_seconds', 'agent_memory_retrieval_duration_seconds']) {
      assert.ok(uses(new RegExp(`^job:${metric}:p95_5m`)).length === 1, `a panel for the ${metric} target`);
    }
    const ttft = uses(/gen_ai_server_time_to_first_token_seconds_bucket/);
    assert.equal(ttft.length, 1);
    assert.doesNotMatch(ttft[0], /\(coming/);
    assert.equal(rows.at(-1).title, 'Time to first token');
  });
});
