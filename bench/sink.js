'use strict';
// A local OTLP/HTTP receiver that accepts and discards: 200 with an empty body for POST
// /v1/traces, /v1/metrics and /v1/logs (an empty body is a valid OTLP response in both the
// protobuf and the JSON encoding). It keeps counts so the runner can check that the telemetry
// variants really exported something (GET /stats), without ever parsing a payload: parsing
// would put the sink's CPU cost on the load core and skew wrk.
const http = require('node:http');

const PORT = Number(process.env.PORT || 4318);
const stats = { traces: 0, metrics: 0, logs: 0, bytes: 0, other: 0 };
const SIGNALS = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
    return;
  }
  const signal = req.method === 'POST' ? SIGNALS[req.url] : undefined;
  // Drain the body either way, so keep-alive connections stay usable.
  req.on('data', (chunk) => { stats.bytes += chunk.length; });
  req.on('end', () => {
    if (signal === undefined) {
      stats.other++;
      res.statusCode = 404;
      res.end();
      return;
    }
    stats[signal]++;
    res.statusCode = 200;
    res.end();
  });
});
// Exporters keep connections alive; do not let Node's default 5 s close them under our feet.
server.keepAliveTimeout = 60_000;
server.listen(PORT, '127.0.0.1', () => console.log('ready'));
