'use strict';
// initTelemetry({ metrics: { exporter: 'prometheus' } }) serves the names the OpenTelemetry
// Collector's Prometheus exporter gives the same metrics: the unit as the name's suffix and in
// `# UNIT`, `_total` on counters, labels with underscores.
const assert = require('node:assert/strict');
const net = require('node:net');
const { activeTelemetry } = require('@motadata/otel');
const { scrapeKitEndpoint, families } = require('./support/prometheus');

describe('initTelemetry() with metrics.exporter prometheus', () => {
  let scraped;
  let port;

  before(async () => {
    ({ scraped, port } = await scrapeKitEndpoint());
  });
  after(() => activeTelemetry()?.shutdown());

  it('answers as the SDK exporter does: 200 and text/plain', () => {
    assert.equal(scraped.status, 200);
    assert.equal(scraped.contentType, 'text/plain');
  });

  it('names every family as the collector does, with its TYPE and the unit word as UNIT', () => {
    assert.deepEqual(families(scraped.text), {
      target_info: { type: 'gauge' },
      http_server_request_duration_seconds: { type: 'histogram', unit: 'seconds' },
      gateway_cost_USD_total: { type: 'counter', unit: 'USD' },
      gateway_tokens_used_total: { type: 'counter' },
      gen_ai_client_token_usage: { type: 'histogram' },
    });
  });

  it('writes the samples under those names, with underscored labels and the otel_scope_* labels', () => {
    const { text } = scraped;
    assert.match(text, /^gateway_cost_USD_total\{[^}]*tenant_id="acme"[^}]*gen_ai_request_model="gpt-4o"[^}]*otel_scope_name="@motadata\/otel"[^}]*\} 0\.25$/m);
    assert.match(text, /^gateway_tokens_used_total\{[^}]*tenant_id="acme"[^}]*gen_ai_token_type="input"[^}]*\} 100$/m);
    assert.match(text, /^http_server_request_duration_seconds_bucket\{[^}]*http_route="\/v1\/generate"[^}]*tenant_id="acme"[^}]*le="\+Inf"\} 1$/m);
    assert.match(text, /^http_server_request_duration_seconds_count\{[^}]*\} 1$/m);
    assert.match(text, /^target_info\{[^}]*service_name="prom-names"[^}]*\} 1$/m);
    assert.doesNotMatch(text, /^http_server_request_duration_(bucket|count|sum)\{/m);
    assert.doesNotMatch(text, /^gateway_cost_total\{/m);
  });

  it('writes no UNIT line the family name does not end with', () => {
    for (const [, name, unit] of scraped.text.matchAll(/^# UNIT (\S+) (.*)$/gm)) {
      assert.ok(name.replace(/_total$/, '').endsWith(`_${unit}`), `# UNIT ${name} ${unit}`);
    }
  });

  it('answers 404 on other paths', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics/more`)).status, 404);
  });

  it('closes the endpoint on shutdown()', async () => {
    await activeTelemetry().shutdown();
    // A new connection, not fetch's pooled one (which shutdown() closed under it).
    const connect = new Promise((resolve, reject) => net.connect(port, '127.0.0.1', resolve).once('error', reject));
    await assert.rejects(connect, { code: 'ECONNREFUSED' });
  });
});
