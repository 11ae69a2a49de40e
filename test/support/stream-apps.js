'use strict';
// Streaming apps on every framework and major: a plain SSE route, and a GenAI stream of tokens
// through req.otel.stream() or streamStarted()/streamProgress(), with what each request handed
// on kept in `runs` so a test can compare the metrics with it.
const { PassThrough, Readable } = require('node:stream');

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PRICE = Object.freeze({ input: 1e-6, output: 2e-6 });
const INPUT_TOKENS = 12;
const STREAM = Object.freeze({ model: 'sim-chat', provider: 'sim', inputTokens: INPUT_TOKENS, price: PRICE });
/** What a stream of `outputTokens` costs, as the kit computes it from PRICE. */
const costOf = (outputTokens) => INPUT_TOKENS * PRICE.input + outputTokens * PRICE.output;
const sse = (data) => `data: ${JSON.stringify(data)}\n\n`;

/** Per request id: tokens the handler got and wrote, and when it finished (recordCost included). */
const runs = new Map();
function startRun(id) {
  let finish;
  const run = { received: 0, writeTimes: [], done: new Promise((resolve) => (finish = resolve)) };
  run.finish = finish;
  runs.set(id, run);
  return run;
}

/** The "model": `n` tokens, the first after `first` ms, then one every `every` ms. */
async function* tokens({ n = 5, first = 0, every = 20 }) {
  for (let i = 0; i < n; i++) {
    await pause(i === 0 ? first : every);
    yield `t${i}`;
  }
}
const optionsOf = (query) => ({ n: Number(query.n ?? 5), first: Number(query.first ?? 0), every: Number(query.every ?? 20) });

// record=yes: the handler records its usage itself, in `finally` (so also after an abort).
function recordUsage(otel, query, run) {
  if (query.record === 'yes') otel.recordCost({ model: STREAM.model, provider: STREAM.provider, inputTokens: INPUT_TOKENS, outputTokens: run.received, usd: costOf(run.received) });
}

function expressApp(express, otel) {
  const app = express();
  app.use(otel.otelMiddleware());
  // Several events over ~100 ms, then the end: the head is flushed first, as SSE servers do.
  app.get('/v1/sse/:id', async (req, res) => {
    const run = startRun(req.params.id);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (let i = 0; i < 5; i++) {
      if (i > 0) await pause(25);
      res.write(sse({ i }));
      run.writeTimes.push(Date.now());
    }
    res.end();
    run.finish();
  });
  app.get('/v1/chat/:id', async (req, res) => {
    const run = startRun(req.params.id);
    let gone = false;
    res.on('close', () => (gone = true));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    try {
      if (req.query.manual === '1') {
        for await (const token of tokens(optionsOf(req.query))) {
          if (gone) break;
          if (run.received === 0) req.otel.streamStarted(STREAM);
          res.write(sse({ token }));
          req.otel.streamProgress(++run.received);
        }
      } else {
        for await (const token of req.otel.stream(tokens(optionsOf(req.query)), STREAM)) {
          run.received++;
          res.write(sse({ token }));
        }
      }
    } finally {
      recordUsage(req.otel, req.query, run);
      res.end();
      run.finish();
    }
  });
  return app;
}

function koaApp(Koa, otel) {
  const Router = require('@koa/router');
  const app = new Koa();
  app.silent = true;
  app.use(otel.otelMiddleware());
  const router = new Router();
  // body=readable: a Readable from a generator; else a PassThrough written over time.
  router.get('/v1/sse/:id', (ctx) => {
    const run = startRun(ctx.params.id);
    ctx.type = 'text/event-stream';
    if (ctx.query.body === 'readable') {
      ctx.body = Readable.from(
        (async function* () {
          for (let i = 0; i < 5; i++) {
            if (i > 0) await pause(25);
            run.writeTimes.push(Date.now());
            yield sse({ i });
          }
          run.finish();
        })(),
      );
      return;
    }
    const body = new PassThrough();
    ctx.body = body;
    (async () => {
      for (let i = 0; i < 5; i++) {
        if (i > 0) await pause(25);
        body.write(sse({ i }));
        run.writeTimes.push(Date.now());
      }
      body.end();
      run.finish();
    })();
  });
  router.get('/v1/chat/:id', (ctx) => {
    const run = startRun(ctx.params.id);
    const { otel } = ctx.state;
    const query = { ...ctx.query };
    ctx.type = 'text/event-stream';
    if (query.manual === '1') {
      let gone = false;
      ctx.res.on('close', () => (gone = true));
      const body = new PassThrough();
      ctx.body = body;
      (async () => {
        try {
          for await (const token of tokens(optionsOf(query))) {
            if (gone) break;
            if (run.received === 0) otel.streamStarted(STREAM);
            body.write(sse({ token }));
            otel.streamProgress(++run.received);
          }
        } finally {
          recordUsage(otel, query, run);
          body.end();
          run.finish();
        }
      })();
      return;
    }
    ctx.body = Readable.from(
      (async function* () {
        try {
          for await (const token of otel.stream(tokens(optionsOf(query)), STREAM)) {
            run.received++;
            yield sse({ token });
          }
        } finally {
          recordUsage(otel, query, run);
          run.finish();
        }
      })(),
    );
  });
  app.use(router.routes());
  return app.callback();
}

const STREAM_FRAMEWORKS = [
  { name: 'Express 5', create: () => expressApp(require('express'), require('@motadata/otel/express')) },
  { name: 'Express 4', create: () => expressApp(require('express4'), require('@motadata/otel/express')) },
  { name: 'Koa 3', create: () => koaApp(require('koa'), require('@motadata/otel/koa')) },
  { name: 'Koa 2', create: () => koaApp(require('koa2'), require('@motadata/otel/koa')) },
];

module.exports = { STREAM_FRAMEWORKS, runs, STREAM, PRICE, INPUT_TOKENS, costOf };
