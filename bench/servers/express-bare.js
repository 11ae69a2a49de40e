'use strict';
// Express 5 with no telemetry: the baseline every Express variant is divided by.
const { env, COST, listen } = require('../lib/server-env');
const { buildExpressApp } = require('../lib/express-app');

listen(buildExpressApp({ upstreamUrl: env.upstreamUrl, cost: COST }), 'express-bare');
