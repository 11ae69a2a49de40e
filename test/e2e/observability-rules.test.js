'use strict';
// examples/observability/rules: the rule file passes `promtool check rules`, its unit tests pass
// `promtool test rules`, and those tests cover every rule: each alert firing and not firing, each
// recording rule's value. The counts below are what the files hold, so a rule or a test removed
// without intent shows up here. promtool comes with Debian's prometheus package
// (scripts/install-prometheus.sh).
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const DIR = path.join(__dirname, '..', '..', 'examples', 'observability');
const RULES = path.join(DIR, 'rules', 'motadata-otel.rules.yml');
const TESTS = path.join(DIR, 'rules', 'motadata-otel.rules.test.yml');

const EXPECTED = {
  groups: ['motadata-otel-http', 'motadata-otel-latency', 'motadata-otel-llm', 'motadata-otel-cost'],
  recordingRules: 23,
  alerts: 8,
  testGroups: 5,
  alertRuleTests: 21,
  promqlExprTests: 28,
};

const readYaml = (file) => YAML.parse(fs.readFileSync(file, 'utf8'));

function promtool(...args) {
  const result = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('examples/observability/rules: the Prometheus rules and their promtool tests', function () {
  this.timeout(60000);
  const rules = readYaml(RULES);
  const tests = readYaml(TESTS);
  const allRules = rules.groups.flatMap((group) => group.rules);
  const alerts = allRules.filter((rule) => rule.alert !== undefined);
  const recordNames = [...new Set(allRules.filter((rule) => rule.record !== undefined).map((rule) => rule.record))];
  const alertTests = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
  const exprTests = tests.tests.flatMap((t) => t.promql_expr_test ?? []);

  before(() => {
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error("promtool is not installed: run `bash scripts/install-prometheus.sh` (as root; Debian's prometheus package provides promtool)");
    }
  });

  it(`holds ${EXPECTED.groups.length} groups, ${EXPECTED.recordingRules} recording rules and ${EXPECTED.alerts} alerts, which promtool check rules accepts`, () => {
    assert.deepEqual(rules.groups.map((group) => group.name), EXPECTED.groups);
    assert.equal(allRules.length - alerts.length, EXPECTED.recordingRules);
    assert.equal(alerts.length, EXPECTED.alerts);
    const { status, output } = promtool('check', 'rules', RULES);
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${allRules.length} rules found`), output);
  });

  it(`passes promtool test rules: ${EXPECTED.testGroups} test groups, ${EXPECTED.alertRuleTests} alert tests, ${EXPECTED.promqlExprTests} expression tests`, () => {
    assert.equal(tests.tests.length, EXPECTED.testGroups);
    assert.equal(alertTests.length, EXPECTED.alertRuleTests);
    assert.equal(exprTests.length, EXPECTED.promqlExprTests);
    assert.deepEqual(tests.rule_files, [path.basename(RULES)]);
    const { status, output } = promtool('test', 'rules', TESTS);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS/);
    assert.doesNotMatch(output, /FAILED/);
  });

  it('tests every alert both firing and not firing', () => {
    for (const { alert } of alerts) {
      const own = alertTests.filter((t) => t.alertname === alert);
      assert.ok(own.some((t) => (t.exp_alerts ?? []).length > 0), `${alert}: a test in which it fires`);
      assert.ok(own.some((t) => (t.exp_alerts ?? []).length === 0), `${alert}: a test in which it does not fire`);
    }
    for (const t of alertTests) assert.ok(alerts.some((a) => a.alert === t.alertname), `the test of ${t.alertname} names an alert of the rule file`);
  });

  it('gives every alert a severity, a summary and a description, and a for: duration', () => {
    for (const rule of alerts) {
      assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/, `${rule.alert}: severity`);
      assert.ok(rule.annotations?.summary && rule.annotations?.description, `${rule.alert}: summary and description`);
      assert.match(rule.for ?? '', /^\d+[mh]$/, `${rule.alert}: for`);
    }
  });

  it('tests the value of every recording rule', () => {
    for (const name of recordNames) {
      const pattern = new RegExp(`(^|[^\\w:])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w:])`);
      assert.ok(exprTests.some((t) => pattern.test(t.expr) && (t.exp_samples ?? []).length > 0), `${name}: a promql_expr_test with samples`);
    }
  });

  it('is loaded by both Prometheus configurations: the compose stack and direct scraping', () => {
    const compose = readYaml(path.join(DIR, 'docker-compose.yml'));
    const mount = compose.services.prometheus.volumes.find((v) => v.startsWith('./rules:'));
    assert.ok(mount, 'docker-compose.yml mounts ./rules into Prometheus');
    const inContainer = mount.split(':')[1];
    assert.deepEqual(readYaml(path.join(DIR, 'prometheus.yml')).rule_files, [`${inContainer}/${path.basename(RULES)}`]);
    const direct = readYaml(path.join(DIR, 'prometheus-direct.yml'));
    assert.deepEqual(direct.rule_files.map((file) => path.resolve(DIR, file)), [RULES]);
  });
});
