'use strict';
// What every server variant reads from its environment (set by bench/run.js), and the few
// things they all share: the cost a "generation" records, and the "ready" handshake.

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

/** Listens on 127.0.0.1 only and prints "ready", which the runner waits for. */
function listen(app, name) {
  const server = app.listen(env.port, '127.0.0.1', () => console.log('ready'));
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
