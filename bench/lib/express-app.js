'use strict';
// The one Express 5 app every Express variant serves; only what is plugged in differs:
//   first:      middleware registered before anything else (the kit's otelMiddleware)
//   recordCost: what POST /v1/generate does with the LLM cost (kit, hand-made OTel, or nothing)
//   fetch:      how GET /v1/proxy/:id calls the upstream (global fetch or the kit's tracedFetch)
// `express` is required inside the function, not at the top: the official variants must start
// their SDK before Express is loaded, or instrumentation-express cannot patch it.

const ITEM_TAGS = ['bench', 'json'];

function buildExpressApp({ first = [], recordCost = () => {}, fetch = globalThis.fetch, upstreamUrl, cost }) {
  const express = require('express');
  const app = express();
  for (const mw of first) app.use(mw);

  // Three no-op middlewares: the typical auth/logging/cors layers, which instrumentation-express
  // turns into spans of their own.
  app.use((req, res, next) => next());
  app.use((req, res, next) => next());
  app.use((req, res, next) => next());

  app.get('/v1/items/:id', (req, res) => {
    res.json({ id: req.params.id, name: `item ${req.params.id}`, price: 9.99, tags: ITEM_TAGS });
  });

  app.post('/v1/generate', express.json(), (req, res) => {
    recordCost(req, cost);
    res.json({ id: 'gen-1', model: cost.model, output: `echo: ${req.body && req.body.prompt}`, usage: { input: cost.inputTokens, output: cost.outputTokens } });
  });

  // Express 5 forwards a rejected promise to its error handler (500), so no try/catch here.
  app.get('/v1/proxy/:id', async (req, res) => {
    const upstream = await fetch(`${upstreamUrl}/items/${req.params.id}`);
    const body = await upstream.json();
    res.json({ id: req.params.id, upstream: body });
  });

  return app;
}

module.exports = { buildExpressApp };
