'use strict';
// Koa 3 + @koa/router with one SERVER span per request written by hand on the plain SDK (see
// bench/lib/span-only.js): the floor under the kit's cost for a sampled request.
const { env, COST, listen } = require('../lib/server-env');
const { spanOnlyMiddleware } = require('../lib/span-only');

const { enter, recordCost, fetch } = spanOnlyMiddleware('bench-koa-span', (ctx) => ctx._matchedRoute);
const { buildKoaApp } = require('../lib/koa-app');

listen(buildKoaApp({ first: [(ctx, next) => enter(ctx.req, ctx.res, ctx, next)], recordCost, fetch, upstreamUrl: env.upstreamUrl, cost: COST }), 'koa-span');
