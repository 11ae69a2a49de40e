'use strict';
// Express 5 with one SERVER span per request written by hand on the plain SDK (see
// bench/lib/span-only.js): the floor under the kit's cost for a sampled request.
const { env, COST, listen } = require('../lib/server-env');
const { spanOnlyMiddleware } = require('../lib/span-only');

const { enter, recordCost, fetch } = spanOnlyMiddleware('bench-express-span', (req) => (req.route === undefined ? undefined : req.baseUrl + req.route.path));
const { buildExpressApp } = require('../lib/express-app');

listen(buildExpressApp({ first: [(req, res, next) => enter(req, res, req, next)], recordCost, fetch, upstreamUrl: env.upstreamUrl, cost: COST }), 'express-span');
