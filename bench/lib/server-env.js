'use strict';
// What every server variant reads from its environment (set by bench/run.js), and the few
// things they all share: the cost a "generation" records, and the "ready" handshake.
const fs = require('node:fs');
const path = require('node:path');

const env = {
  port: Number(process.env.PORT || 3000),
  // OTLP base URL of the sink; '/v1/traces' etc. are appended by the exporters' config.
  otlpEndpoint: process.env.OTLP_ENDPOINT || 'http://127.0.0.1:4318',
  otlpProtocol: process.env.OTLP_PROTOCOL || 'http/protobuf',
  // Base URL of the bare upstream service the proxy route calls.
  upstreamUrl: process.env.UPSTREAM_URL || 'http://127.0.0.1:4000',
  sampleRatio: process.env.SAMPLE_RATIO === undefined ? 1 : Number(process.env.SAMPLE_RATIO),
  // Metric export interval, the same for kit and official variants (--instructions lengthens it).
  metricIntervalMs: Number(process.env.METRIC_INTERVAL_MS || 1000),
};

// One LLM call's cost, recorded once per POST /v1/generate in the kit (and mirrored by hand in
// the official variants so they do comparable span and metric work).
const COST = Object.freeze({ usd: 0.0021, inputTokens: 120, outputTokens: 30, model: 'gpt-4o', provider: 'openai' });

// The packages whose versions runtime() reports (the trees it reports cover every package).
const REPORTED = /^(@opentelemetry\/|express$|koa$|@koa\/router$)/;

/**
 * What this process runs on, read from what it has loaded (require.cache), not from what a
 * resolver would find: the Node version, the versions of the OpenTelemetry and framework
 * packages loaded, the node_modules trees any package came from, and where the kit's dist/
 * files came from. The runner checks it against the line the variant belongs to.
 */
function runtime() {
  const packages = {};
  const trees = new Set();
  const kit = new Set();
  const seen = new Set();
  const marker = `${path.sep}node_modules${path.sep}`;
  for (const file of Object.keys(require.cache)) {
    const at = file.indexOf(marker);
    if (at === -1) {
      const dist = file.lastIndexOf(`${path.sep}dist${path.sep}`);
      if (dist !== -1) kit.add(file.slice(0, dist + 5));
      continue;
    }
    trees.add(file.slice(0, at + marker.length - 1));
    // The innermost package holding the file (a nested copy is its own package).
    const last = file.lastIndexOf(marker) + marker.length;
    const parts = file.slice(last).split(path.sep);
    const name = parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join('/');
    const dir = file.slice(0, last) + name.split('/').join(path.sep);
    if (seen.has(dir) || !REPORTED.test(name)) continue;
    seen.add(dir);
    try {
      const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      (packages[name] ||= []).includes(version) || packages[name].push(version);
    } catch {
      // a file outside any package folder: nothing to report
    }
  }
  return { node: process.version, packages, trees: [...trees], kit: [...kit] };
}

/** Listens on 127.0.0.1 only, prints what it runs on and then "ready", which the runner waits for. */
function listen(app, name) {
  const server = app.listen(env.port, '127.0.0.1', () => {
    console.log(`bench-runtime ${JSON.stringify(runtime())}`);
    console.log('ready');
  });
  // wrk keeps its 50 connections open; between two wrk runs they idle for a moment only, but
  // a longer keep-alive avoids counting reconnects in one variant and not another.
  server.keepAliveTimeout = 60_000;
  server.on('error', (err) => {
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  });
  // The runner ends us with SIGTERM: exit at once rather than flushing telemetry to a sink that
  // may already be gone (the soak runs with no sink at all).
  process.on('SIGTERM', () => process.exit(0));
  return server;
}

module.exports = { env, COST, listen };
