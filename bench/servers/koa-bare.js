'use strict';
// Koa 3 + @koa/router with no telemetry: the baseline every Koa variant is divided by.
const { env, COST, listen } = require('../lib/server-env');
const { buildKoaApp } = require('../lib/koa-app');

listen(buildKoaApp({ upstreamUrl: env.upstreamUrl, cost: COST }), 'koa-bare');
