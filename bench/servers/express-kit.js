'use strict';
// Express 5 + the kit: initTelemetry (full SDK, OTLP to the sink), otelMiddleware first,
// req.otel.recordCost() on POST /v1/generate; on the proxy route global fetch (joined to the
// trace by the kit's automatic propagation) or, with PROXY_FETCH=tracedFetch, tracedFetch.
// SAMPLE_RATIO (default 1) gives the sampled variant from the same file.
const { env, COST, listen } = require('../lib/server-env');
const { startKit } = require('../lib/kit');

startKit('bench-express-kit');
const { tracedFetch } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/express');
const { buildExpressApp } = require('../lib/express-app');

const app = buildExpressApp({
  first: [otelMiddleware()],
  recordCost: (req, cost) => req.otel.recordCost(cost),
  // The proxy route's call: global fetch, which the kit's automatic propagation (on by default)
  // traces, or tracedFetch with PROXY_FETCH=tracedFetch.
  fetch: process.env.PROXY_FETCH === 'tracedFetch' ? tracedFetch : globalThis.fetch,
  upstreamUrl: env.upstreamUrl,
  cost: COST,
});
listen(app, 'express-kit');
