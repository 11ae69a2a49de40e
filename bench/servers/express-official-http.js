'use strict';
// Express 5 + NodeSDK with instrumentation-http alone: one SERVER span per request, no route
// name and no middleware spans. The cheapest official setup.
const { env, COST, listen } = require('../lib/server-env');
const { startOfficial } = require('../lib/official');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

const { recordCost } = startOfficial('bench-express-official-http', [new HttpInstrumentation()]);
const { buildExpressApp } = require('../lib/express-app');

listen(buildExpressApp({ recordCost, upstreamUrl: env.upstreamUrl, cost: COST }), 'express-official-http');
