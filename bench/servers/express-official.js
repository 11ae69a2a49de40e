'use strict';
// Express 5 + NodeSDK with instrumentation-http and instrumentation-express (the official route).
const { env, COST, listen } = require('../lib/server-env');
const { startOfficial } = require('../lib/official');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');

// Started before buildExpressApp requires express, so express gets patched.
const { recordCost } = startOfficial('bench-express-official', [new HttpInstrumentation(), new ExpressInstrumentation()]);
const { buildExpressApp } = require('../lib/express-app');

listen(buildExpressApp({ recordCost, upstreamUrl: env.upstreamUrl, cost: COST }), 'express-official');
