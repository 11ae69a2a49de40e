// Quickstart, Koa side: the README's snippet, run by test/quickstart.test.js.
const { initTelemetry } = require('@motadata/otel');
const telemetry = initTelemetry({ serviceName: 'gateway' });

const Koa = require('koa');
const Router = require('@koa/router');
const { otelMiddleware } = require('@motadata/otel/koa');

const app = new Koa();
const router = new Router();
app.use(otelMiddleware({ tenant: { header: 'x-tenant-id' } }));

router.post('/v1/generate', (ctx) => {
  // The tenant came from the caller's baggage; cost and tokens go on the span and the metrics.
  ctx.state.otel.recordCost({ usd: 0.0021, inputTokens: 120, outputTokens: 30, model: 'gpt-4o', provider: 'openai' });
  ctx.body = { text: 'Hello!', tenant: ctx.state.otel.tenantId };
});
app.use(router.routes());

const server = app.listen(Number(process.env.PORT ?? 8081), '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }));
});
process.on('SIGTERM', () => server.close(() => telemetry.shutdown().then(() => process.exit(0))));
