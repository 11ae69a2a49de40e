'use strict';
// Koa 3 + the kit: initTelemetry, otelMiddleware first, ctx.state.otel.recordCost(); on the
// proxy route global fetch (automatic propagation) or, with PROXY_FETCH=tracedFetch, tracedFetch.
// SAMPLE_RATIO (default 1) gives the sampled variant from the same file.
const { env, COST, listen } = require('../lib/server-env');
const { startKit } = require('../lib/kit');

startKit('bench-koa-kit');
const { tracedFetch } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/koa');
const { buildKoaApp } = require('../lib/koa-app');

const app = buildKoaApp({
  first: [otelMiddleware()],
  recordCost: (ctx, cost) => ctx.state.otel.recordCost(cost),
  // The proxy route's call: global fetch, which the kit's automatic propagation (on by default)
  // traces, or tracedFetch with PROXY_FETCH=tracedFetch.
  fetch: process.env.PROXY_FETCH === 'tracedFetch' ? tracedFetch : globalThis.fetch,
  upstreamUrl: env.upstreamUrl,
  cost: COST,
});
listen(app, 'koa-kit');
