'use strict';
// Koa 3 + NodeSDK with instrumentation-http alone (no route name, no middleware spans).
const { env, COST, listen } = require('../lib/server-env');
const { startOfficial } = require('../lib/official');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

const { recordCost } = startOfficial('bench-koa-official-http', [new HttpInstrumentation()]);
const { buildKoaApp } = require('../lib/koa-app');

listen(buildKoaApp({ recordCost, upstreamUrl: env.upstreamUrl, cost: COST }), 'koa-official-http');
