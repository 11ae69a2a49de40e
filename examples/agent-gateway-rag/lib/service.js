'use strict';
// What the three services share when run as processes: telemetry from the environment, a server
// on 127.0.0.1 only, and a graceful stop that flushes telemetry before the process exits.
const http = require('node:http');
const { initTelemetry } = require('@motadata/otel');

/** Where the services export when OTEL_EXPORTER_OTLP_ENDPOINT is not set: a local collector. */
const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:4318';

/**
 * OTLP/HTTP for traces and metrics. JSON encoding by default, so a collector, Jaeger or the
 * demo's own receiver can read it; `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf` switches. The
 * exporters follow OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER (`prometheus`, with
 * OTEL_EXPORTER_PROMETHEUS_HOST/PORT, serves /metrics for a scrape instead).
 */
function startTelemetry(serviceName) {
  const env = process.env;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || DEFAULT_OTLP_ENDPOINT;
  const protocol = env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/json';
  return initTelemetry({
    serviceName,
    serviceVersion: '0.1.0',
    traces: { protocol, endpoint },
    metrics: { protocol, endpoint, intervalMillis: Number(env.OTEL_METRIC_EXPORT_INTERVAL || 10000) },
    logs: { exporter: 'none' },
  });
}

/**
 * Listens on 127.0.0.1:`port` (0 picks a free port) and prints `<name> listening on <url>`, the
 * line the demo waits for. SIGTERM and SIGINT stop accepting connections, let requests in
 * flight finish (1 s at most), flush telemetry and exit; the whole stop is bounded to 5 s.
 */
function serve({ name, handler, port, telemetry }) {
  const server = http.createServer(handler);
  server.listen(port, '127.0.0.1', () => console.log(`${name} listening on http://127.0.0.1:${server.address().port}`));
  server.on('error', (err) => {
    console.error(`${name}: ${err.message}`);
    stop(1);
  });

  let stopping;
  function stop(code = 0) {
    stopping ??= (async () => {
      setTimeout(() => {
        console.error(`${name}: stop took over 5 s; exiting without a complete flush`);
        process.exit(1);
      }, 5000).unref();
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      await telemetry.shutdown();
      process.exit(code);
    })();
    return stopping;
  }
  process.once('SIGTERM', () => stop());
  process.once('SIGINT', () => stop());
  return server;
}

/** A port from the environment, or the default. */
function portFromEnv(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`${name} must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

module.exports = { startTelemetry, serve, portFromEnv, DEFAULT_OTLP_ENDPOINT };
