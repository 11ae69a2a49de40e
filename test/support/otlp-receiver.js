'use strict';
// A minimal OTLP/HTTP JSON receiver for tests that run services as separate processes: it keeps
// the spans it is sent, flattened with their service name, and the metric requests' bodies as sent.
const { listen } = require('./servers');

async function startOtlpReceiver() {
  const spans = [];
  const metrics = [];
  const receiver = await listen((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/metrics' && req.headers['content-type'] === 'application/json') metrics.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const resourceSpans of body.resourceSpans ?? []) {
          const attrs = Object.fromEntries((resourceSpans.resource?.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              spans.push({
                service: attrs['service.name'],
                name: span.name,
                kind: span.kind,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId || undefined,
                attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
              });
            }
          }
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  return { ...receiver, spans, metrics };
}

module.exports = { startOtlpReceiver };
