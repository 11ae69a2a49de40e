'use strict';
// The same application on every supported framework and major, so one contract suite runs
// against all of them (as @fastify/otel runs one suite against two majors through aliases).
const { trace } = require('@opentelemetry/api');
const { PassThrough } = require('node:stream');
const { tracedFetch } = require('@motadata/otel');

// Looked up per call: suites restart telemetry, and a tracer taken earlier would keep the old provider.
const tracer = () => trace.getTracer('test-app');
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Framework-neutral handlers: `h` is { otel, params, query, status(code), set(name, value) }. */
const handlers = {
  item: (h) => ({ id: h.params.id, tenant: h.otel.tenantId ?? null, traceId: h.otel.traceId, activeSpanId: trace.getActiveSpan()?.spanContext().spanId }),
  userItem: (h) => ({ uid: h.params.uid, itemId: h.params.itemId, route: h.otel.route }),
  generate: (h) => {
    h.otel.recordCost({ usd: 0.002, inputTokens: 100, outputTokens: 20, model: 'gpt-4o', provider: 'openai' });
    h.otel.recordCost({ usd: 0.001, inputTokens: 20, outputTokens: 10, model: 'gpt-4o', provider: 'openai' });
    return { ok: true };
  },
  badCost: (h) => {
    try {
      h.otel.recordCost({ [h.query.field]: h.query.kind === 'string' ? h.query.value : Number(h.query.value), model: 'm', provider: 'p' });
      return { error: null };
    } catch (err) {
      h.status(400);
      return { error: err.message, type: err.constructor.name };
    }
  },
  status: (h) => {
    h.status(Number(h.params.code));
    return { status: Number(h.params.code) };
  },
  timing: (h) => {
    // Appended, as an app adding its own metrics should: on Express the kit's is already there.
    h.append('server-timing', 'db;dur=5');
    h.set('x-response-id', 'r-1');
    return { ok: true };
  },
  timingSet: (h) => {
    h.set('server-timing', 'db;dur=5');
    h.set('x-response-id', 'r-1');
    return { ok: true };
  },
  work: async (h) => {
    await pause(Math.random() * 5);
    const child = await tracer().startActiveSpan('work', async (span) => {
      await pause(Math.random() * 5);
      span.end();
      return span.spanContext();
    });
    await pause(Math.random() * 3);
    return { n: h.params.n, traceId: h.otel.traceId, serverSpanId: h.otel.span.spanContext().spanId, childTraceId: child.traceId, childSpanId: child.spanId };
  },
  // Answers after `ms` (default 300): a client that gives up first leaves the response unfinished.
  slow: async (h) => {
    await pause(Number(h.query.ms ?? 300));
    return { ok: true };
  },
  call: async (h) => {
    const response = await tracedFetch(`${h.query.to}/v1/items/7`);
    return { downstream: await response.json(), traceId: h.otel.traceId };
  },
};

const boom = () => {
  throw new Error('boom');
};
const boomAsync = async () => {
  await pause(1);
  throw new TypeError('async boom');
};
const clientError = () => {
  throw Object.assign(new Error('bad input'), { status: 400, expose: true });
};

function expressApp(express, otel, options) {
  const app = express();
  app.set('env', 'test');
  app.use(otel.otelMiddleware(options));
  const wrap = (fn) => (req, res, next) => {
    const h = { otel: req.otel, params: req.params, query: req.query, status: (c) => res.status(c), set: (k, v) => res.set(k, v), append: (k, v) => res.append(k, v) };
    Promise.resolve()
      .then(() => fn(h))
      .then((body) => res.json(body), next);
  };
  app.get('/health', (_req, res) => res.send('ok'));
  app.get('/v1/items/:id', wrap(handlers.item));
  app.post('/v1/generate', wrap(handlers.generate));
  app.get('/v1/bad-cost', wrap(handlers.badCost));
  app.get('/v1/status/:code', wrap(handlers.status));
  app.get('/v1/timing', wrap(handlers.timing));
  app.get('/v1/timing-set', wrap(handlers.timingSet));
  app.get('/v1/work/:n', wrap(handlers.work));
  app.get('/v1/call', wrap(handlers.call));
  app.get('/v1/slow', wrap(handlers.slow));
  // The head and a first chunk at once, the rest after 300 ms.
  app.get('/v1/stream', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first chunk\n');
    setTimeout(() => res.end('last chunk\n'), 300);
  });
  app.get('/v1/throw', wrap(boom));
  app.get('/v1/throw-async', wrap(boomAsync));
  app.get('/v1/throw-400', wrap(clientError));
  const items = express.Router({ mergeParams: true });
  items.get('/items/:itemId', wrap(handlers.userItem));
  items.get('/broken/:itemId', wrap(boom));
  const v2 = express.Router();
  v2.use('/users/:uid', items);
  app.use('/v2', v2);
  app.use(otel.otelErrorHandler());
  app.use((err, _req, res, _next) => res.status(err.status || 500).json({ error: err.message }));
  return app;
}

function koaApp(Koa, otel, options) {
  const Router = require('@koa/router');
  const app = new Koa();
  app.silent = true; // the test asserts on errors; Koa would print each one
  app.use(otel.otelMiddleware(options));
  const router = new Router();
  const wrap = (fn) => async (ctx) => {
    const h = { otel: ctx.state.otel, params: ctx.params, query: ctx.query, status: (c) => (ctx.status = c), set: (k, v) => ctx.set(k, v), append: (k, v) => ctx.append(k, v) };
    const body = await fn(h);
    const status = ctx.status;
    ctx.body = body;
    if (status !== 404 && status !== 200) ctx.status = status; // setting a body resets 404 to 200
  };
  router.get('/health', (ctx) => (ctx.body = 'ok'));
  router.get('/v1/items/:id', wrap(handlers.item));
  router.post('/v1/generate', wrap(handlers.generate));
  router.get('/v1/bad-cost', wrap(handlers.badCost));
  router.get('/v1/status/:code', wrap(handlers.status));
  router.get('/v1/timing', wrap(handlers.timing));
  router.get('/v1/timing-set', wrap(handlers.timingSet));
  router.get('/v1/work/:n', wrap(handlers.work));
  router.get('/v1/call', wrap(handlers.call));
  router.get('/v1/slow', wrap(handlers.slow));
  router.get('/v1/stream', (ctx) => {
    const body = new PassThrough();
    body.write('first chunk\n');
    setTimeout(() => body.end('last chunk\n'), 300);
    ctx.type = 'text/plain';
    ctx.body = body;
  });
  router.get('/v1/throw', wrap(boom));
  router.get('/v1/throw-async', wrap(boomAsync));
  router.get('/v1/throw-400', wrap(clientError));
  const items = new Router();
  items.get('/items/:itemId', wrap(handlers.userItem));
  items.get('/broken/:itemId', wrap(boom));
  const v2 = new Router();
  v2.use('/users/:uid', items.routes());
  router.use('/v2', v2.routes());
  app.use(router.routes());
  return app.callback();
}

/** Every framework and major the kit supports, each building the same app. */
const FRAMEWORKS = [
  { name: 'Express 5', create: (options) => expressApp(require('express'), require('@motadata/otel/express'), options) },
  { name: 'Express 4', create: (options) => expressApp(require('express4'), require('@motadata/otel/express'), options) },
  { name: 'Koa 3', create: (options) => koaApp(require('koa'), require('@motadata/otel/koa'), options) },
  { name: 'Koa 2', create: (options) => koaApp(require('koa2'), require('@motadata/otel/koa'), options) },
];

module.exports = { FRAMEWORKS };
