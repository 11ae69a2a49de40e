// Quickstart, Express side: the README's snippet, run by test/quickstart.test.js.
// Exporters come from the standard OTEL_* variables (OTLP/HTTP to localhost:4318 by default).
const { initTelemetry, tracedFetch } = require('@motadata/otel');
const telemetry = initTelemetry({ serviceName: 'agent' }); // first, before the app is built

const express = require('express');
const { otelMiddleware, otelErrorHandler } = require('@motadata/otel/express');

const GATEWAY_URL = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8081';

const app = express();
app.use(otelMiddleware({ tenant: { header: 'x-tenant-id' }, ignore: ['/health'] }));
app.use(express.json());

app.get('/health', (_req, res) => res.send('ok'));

app.post('/v1/tasks', async (req, res) => {
  // Joins this request's trace; the tenant travels in W3C baggage.
  const answer = await tracedFetch(`${GATEWAY_URL}/v1/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: req.body.prompt }),
  });
  res.json({ tenant: req.otel.tenantId, traceId: req.otel.traceId, answer: await answer.json() });
});

app.use(otelErrorHandler()); // after the routes: records errors Express catches

const server = app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }));
});
process.on('SIGTERM', () => server.close(() => telemetry.shutdown().then(() => process.exit(0))));
