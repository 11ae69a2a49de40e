'use strict';
// Express 5 with OpenTelemetry's context only (see koa-context.js): the floor under the kit's
// cost that any OTel setup giving handlers an active span pays on Node 20.
const { env, COST, listen } = require('../lib/server-env');
const { contextOnlyMiddleware } = require('../lib/context-only');
const { buildExpressApp } = require('../lib/express-app');

const enter = contextOnlyMiddleware();
listen(buildExpressApp({ first: [(req, res, next) => enter(req, next)], upstreamUrl: env.upstreamUrl, cost: COST }), 'express-context');
