'use strict';
// Koa 3 + NodeSDK with instrumentation-http and instrumentation-koa (the official route).
const { env, COST, listen } = require('../lib/server-env');
const { startOfficial } = require('../lib/official');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { KoaInstrumentation } = require('@opentelemetry/instrumentation-koa');

// Started before buildKoaApp requires koa and @koa/router, so they get patched.
const { recordCost } = startOfficial('bench-koa-official', [new HttpInstrumentation(), new KoaInstrumentation()]);
const { buildKoaApp } = require('../lib/koa-app');

listen(buildKoaApp({ recordCost, upstreamUrl: env.upstreamUrl, cost: COST }), 'koa-official');
