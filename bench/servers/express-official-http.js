'use strict';
// Express 5 + NodeSDK with instrumentation-http alone: one SERVER span per request, no route
// name and no middleware spans. The cheapest official setup.
const { env, COST, listen } = require('../lib/server-env');
const { startOfficial } = require('../lib/official');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

// OFFICIAL_UNDICI=1 adds instrumentation-undici: the official route for global fetch (proxy route).
const instrumentations = [new HttpInstrumentation()];
if (process.env.OFFICIAL_UNDICI === '1') instrumentations.push(new (require('@opentelemetry/instrumentation-undici').UndiciInstrumentation)());
const { recordCost } = startOfficial('bench-express-official-http', instrumentations);
const { buildExpressApp } = require('../lib/express-app');

listen(buildExpressApp({ recordCost, upstreamUrl: env.upstreamUrl, cost: COST }), 'express-official-http');
