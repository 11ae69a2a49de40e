'use strict';
// Koa 3 + NodeSDK with instrumentation-http alone (no route name, no middleware spans).
const { env, COST, listen } = require('../lib/server-env');
const { startOfficial } = require('../lib/official');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

// OFFICIAL_UNDICI=1 adds instrumentation-undici: the official route for global fetch (proxy route).
const instrumentations = [new HttpInstrumentation()];
if (process.env.OFFICIAL_UNDICI === '1') instrumentations.push(new (require('@opentelemetry/instrumentation-undici').UndiciInstrumentation)());
const { recordCost } = startOfficial('bench-koa-official-http', instrumentations);
const { buildKoaApp } = require('../lib/koa-app');

listen(buildKoaApp({ recordCost, upstreamUrl: env.upstreamUrl, cost: COST }), 'koa-official-http');
