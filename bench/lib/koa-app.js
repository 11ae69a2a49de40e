'use strict';
// The one Koa 3 + @koa/router app every Koa variant serves; see express-app.js for the three
// plug-in points. Koa is required inside the function so the official SDK can patch it first.

const ITEM_TAGS = ['bench', 'json'];

/** A minimal JSON body reader: the Koa variants have no body-parser dependency, and all of them use this one. */
async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

function buildKoaApp({ first = [], recordCost = () => {}, fetch = globalThis.fetch, upstreamUrl, cost }) {
  const Koa = require('koa');
  const { Router } = require('@koa/router');
  const app = new Koa();
  for (const mw of first) app.use(mw);

  // Three no-op middlewares (instrumentation-koa gives each a span).
  app.use((ctx, next) => next());
  app.use((ctx, next) => next());
  app.use((ctx, next) => next());

  const router = new Router();
  router.get('/v1/items/:id', (ctx) => {
    ctx.body = { id: ctx.params.id, name: `item ${ctx.params.id}`, price: 9.99, tags: ITEM_TAGS };
  });
  router.post('/v1/generate', async (ctx) => {
    const body = await readJson(ctx.req);
    recordCost(ctx, cost);
    ctx.body = { id: 'gen-1', model: cost.model, output: `echo: ${body && body.prompt}`, usage: { input: cost.inputTokens, output: cost.outputTokens } };
  });
  router.get('/v1/proxy/:id', async (ctx) => {
    const upstream = await fetch(`${upstreamUrl}/items/${ctx.params.id}`);
    ctx.body = { id: ctx.params.id, upstream: await upstream.json() };
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

module.exports = { buildKoaApp };
