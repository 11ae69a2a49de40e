'use strict';
// The kit's own Prometheus endpoint, scraped after one request to an Express app that records a
// cost, and a reader of the exposition's metadata lines.
const express = require('express');
const { initTelemetry } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/express');
const { listen, freePort } = require('./servers');

/** Starts telemetry with the Prometheus exporter on 127.0.0.1, makes one request and scrapes /metrics. The caller shuts telemetry down. */
async function scrapeKitEndpoint() {
  const port = await freePort();
  const telemetry = initTelemetry({
    serviceName: 'prom-names',
    traces: { exporter: 'none' },
    logs: { exporter: 'none' },
    metrics: { exporter: 'prometheus', host: '127.0.0.1', port },
  });
  await telemetry.ready;
  const app = express();
  app.use(otelMiddleware());
  app.post('/v1/generate', (req, res) => {
    req.otel.recordCost({ usd: 0.25, inputTokens: 100, outputTokens: 10, model: 'gpt-4o', provider: 'openai' });
    res.json({ ok: true });
  });
  const server = await listen(app);
  try {
    const res = await fetch(`${server.url}/v1/generate`, { method: 'POST', headers: { 'x-tenant-id': 'acme' } });
    if (res.status !== 200) throw new Error(`POST /v1/generate answered ${res.status}`);
  } finally {
    await server.close();
  }
  // The SERVER span and its duration end when the response closes, just after the client reads it.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
  return { telemetry, port, scraped: { status: scrape.status, contentType: scrape.headers.get('content-type'), text: await scrape.text() } };
}

/** `{ name: { type, unit? } }` from the `# TYPE` and `# UNIT` lines of an exposition. */
function families(text) {
  const found = {};
  for (const [, kind, name, value] of text.matchAll(/^# (TYPE|UNIT) (\S+) (.*)$/gm)) {
    found[name] ??= {};
    found[name][kind.toLowerCase()] = value;
  }
  return found;
}

module.exports = { scrapeKitEndpoint, families };
