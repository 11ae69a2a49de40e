'use strict';
// A real Prometheus (Debian's package; scripts/install-prometheus.sh) scrapes two gateway
// processes. The per-tenant running cost is the `gateway.cost` counter (unit USD), queried by the
// name the OpenTelemetry Collector gives it too, `gateway_cost_USD_total`: summed across processes
// by PromQL, it must equal what both processes recorded. The same package's promtool lints the
// kit's endpoint.
const assert = require('node:assert/strict');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { activeTelemetry } = require('@motadata/otel');
const { freePort } = require('./support/servers');
const { scrapeKitEndpoint, families } = require('./support/prometheus');

function start(command, args, env) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  child.stderrTail = () => stderr;
  return child;
}

function firstJsonLine(child) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${child.stderrTail()}`)));
  });
}

async function query(prometheusUrl, promql) {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await res.json();
  return body.data?.result ?? [];
}

async function eventually(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn().catch((err) => err);
    if (last && !(last instanceof Error)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

describe('Prometheus scraping two gateway processes', function () {
  this.timeout(60000);
  const children = [];
  let prometheusUrl;
  let dataDir;

  before(async () => {
    try {
      execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('prometheus is not installed: run `bash scripts/install-prometheus.sh` (as root); on a machine that cannot have it, `npm test -- --without prometheus` leaves this file out');
    }
    const metricsPorts = [await freePort(), await freePort()];
    const gateways = metricsPorts.map((port, i) => start(process.execPath, [path.join(__dirname, 'fixtures', 'cost-service.js')], { METRICS_PORT: String(port), SERVICE_NAME: `gateway-${i}` }));
    children.push(...gateways);
    const urls = (await Promise.all(gateways.map(firstJsonLine))).map((r) => r.url);

    // Tenant acme: 0.25 + 0.5 on the first process, 1.25 on the second; globex: 2 on the second.
    const post = (url, tenant, usd) => fetch(`${url}/v1/generate?usd=${usd}`, { method: 'POST', headers: { 'x-tenant-id': tenant } }).then((r) => assert.equal(r.status, 200));
    await post(urls[0], 'acme', 0.25);
    await post(urls[0], 'acme', 0.5);
    await post(urls[1], 'acme', 1.25);
    await post(urls[1], 'globex', 2);

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'motadata-prom-'));
    const config = path.join(dataDir, 'prometheus.yml');
    fs.writeFileSync(config, [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: gateway',
      `    static_configs: [{ targets: [${metricsPorts.map((p) => `"127.0.0.1:${p}"`).join(', ')}] }]`,
      '',
    ].join('\n'));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    children.push(start('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']));
    await eventually(async () => (await query(prometheusUrl, 'up == 1')).length === 2 || undefined, 30000, 'both gateways up');
  });

  after(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((resolve) => c.once('exit', resolve)) : undefined)));
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('sums the per-tenant cost across processes', async () => {
    const result = await eventually(async () => {
      const rows = await query(prometheusUrl, 'sum by (tenant_id) (gateway_cost_USD_total)');
      return rows.length === 2 ? rows : undefined;
    }, 20000, 'gateway_cost_USD_total for two tenants');
    const byTenant = Object.fromEntries(result.map((r) => [r.metric.tenant_id, Number(r.value[1])]));
    assert.equal(byTenant.acme, 2);
    assert.equal(byTenant.globex, 2);
  });

  it('exposes the latency histogram per route and tenant, usable by histogram_quantile', async () => {
    // Each test waits for its own series: none relies on another's scrape having happened.
    const rows = await eventually(async () => {
      const found = await query(prometheusUrl, 'sum by (le, http_route, tenant_id) (http_server_request_duration_seconds_bucket{tenant_id="acme"})');
      return found.some((r) => r.metric.le === '+Inf' && Number(r.value[1]) === 3) ? found : undefined;
    }, 20000, 'the acme latency histogram from both gateways');
    assert.ok(rows.some((r) => r.metric.http_route === '/v1/generate' && r.metric.le === '+Inf' && Number(r.value[1]) === 3));
    const p95 = await query(prometheusUrl, 'histogram_quantile(0.95, sum by (le, http_route) (http_server_request_duration_seconds_bucket))');
    assert.equal(p95[0].metric.http_route, '/v1/generate');
    assert.ok(Number(p95[0].value[1]) > 0 && Number(p95[0].value[1]) <= 10);
  });

  it('counts tokens per tenant and type', async () => {
    const acmeInput = await eventually(async () => {
      const rows = await query(prometheusUrl, 'sum by (tenant_id, gen_ai_token_type) (gateway_tokens_used_total)');
      return rows.find((r) => r.metric.tenant_id === 'acme' && r.metric.gen_ai_token_type === 'input' && Number(r.value[1]) === 300);
    }, 20000, 'acme input tokens from both gateways');
    assert.equal(Number(acmeInput.value[1]), 300);
  });
});

describe('promtool check metrics on the kit\'s Prometheus endpoint', () => {
  let scraped;

  before(async () => {
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('promtool is not installed: run `bash scripts/install-prometheus.sh` (as root; Debian\'s prometheus package has it); on a machine that cannot have it, `npm test -- --without prometheus` leaves this file out');
    }
    ({ scraped } = await scrapeKitEndpoint());
  });
  after(() => activeTelemetry()?.shutdown());

  it('passes with no lint warning on the names the collector writes', () => {
    assert.deepEqual(Object.keys(families(scraped.text)).sort(), [
      'gateway_cost_USD_total',
      'gateway_tokens_used_total',
      'gen_ai_client_token_usage',
      'http_server_request_duration_seconds',
      'target_info',
    ]);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: scraped.text, encoding: 'utf8' });
    assert.equal(`${check.stdout}${check.stderr}`, '');
    assert.equal(check.status, 0);
  });
});
