'use strict';
// Koa 3 + @koa/router with OpenTelemetry's context only: the AsyncLocalStorage context manager
// (what NodeSDK registers) and one context.with() per request, no SDK, no span, no metric. On
// Node 20 any OTel setup that gives handlers an active span pays this (async_hooks' promise
// hooks on every promise); `--instructions` shows it as the floor under the kit's cost.
const { env, COST, listen } = require('../lib/server-env');
const { contextOnlyMiddleware } = require('../lib/context-only');
const { buildKoaApp } = require('../lib/koa-app');

const enter = contextOnlyMiddleware();
listen(buildKoaApp({ first: [(ctx, next) => enter(ctx, next)], upstreamUrl: env.upstreamUrl, cost: COST }), 'koa-context');
