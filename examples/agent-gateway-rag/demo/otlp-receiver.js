'use strict';
// A minimal OTLP/HTTP receiver for the demo and the end-to-end test: it accepts the JSON
// encoding of OTLP (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) on /v1/traces, /v1/metrics and
// /v1/logs, and keeps spans and metric points in memory, decoded into plain objects. It is not a
// collector: no protobuf, no gRPC, no retries, bounded memory.
// See https://opentelemetry.io/docs/specs/otlp/#otlphttp and #json-protobuf-encoding
const http = require('node:http');
const zlib = require('node:zlib');

const MAX_BODY = 16 << 20;
const MAX_SPANS = 50000;
const MAX_POINTS = 50000;
const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** An OTLP AnyValue as a plain JS value. */
function anyValue(value) {
  if (value === undefined || value === null) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in value) return attributes(value.kvlistValue.values);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

function attributes(list) {
  const out = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** Span and trace ids are hex in OTLP/JSON; accept base64 too (the protobuf JSON mapping). */
function id(value, bytes) {
  if (value === undefined || value === null || value === '') return undefined;
  if (new RegExp(`^[0-9a-f]{${bytes * 2}}$`, 'i').test(value)) return value.toLowerCase();
  const hex = Buffer.from(value, 'base64').toString('hex');
  return hex.length === bytes * 2 && !/^0+$/.test(hex) ? hex : undefined;
}

/** Nanosecond timestamps arrive as strings (64-bit), numbers, or { low, high }. */
function nanos(value) {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'object') return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return BigInt(value);
}

function decodeSpans(body) {
  const spans = [];
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const startNs = nanos(span.startTimeUnixNano);
        const endNs = nanos(span.endTimeUnixNano);
        spans.push({
          traceId: id(span.traceId, 16),
          spanId: id(span.spanId, 8),
          parentSpanId: id(span.parentSpanId, 8),
          name: span.name,
          kind: SPAN_KINDS[span.kind ?? 0] ?? 'UNSPECIFIED',
          service: String(resource['service.name'] ?? 'unknown'),
          scope: scopeSpans.scope?.name,
          startNs,
          endNs,
          durationMs: Number(endNs - startNs) / 1e6,
          attributes: attributes(span.attributes),
          events: (span.events ?? []).map((e) => ({ name: e.name, timeNs: nanos(e.timeUnixNano), attributes: attributes(e.attributes) })),
          links: (span.links ?? []).map((l) => ({ traceId: id(l.traceId, 16), spanId: id(l.spanId, 8) })),
          status: { code: ['UNSET', 'OK', 'ERROR'][span.status?.code ?? 0] ?? 'UNSET', message: span.status?.message ?? '' },
        });
      }
    }
  }
  return spans;
}

const TEMPORALITY = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'];

function decodeMetrics(body) {
  const points = [];
  for (const resourceMetrics of body.resourceMetrics ?? []) {
    const resource = attributes(resourceMetrics.resource?.attributes);
    const service = String(resource['service.name'] ?? 'unknown');
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scopeMetrics.metrics ?? []) {
        const base = { service, scope: scopeMetrics.scope?.name, name: metric.name, unit: metric.unit ?? '' };
        const data = metric.histogram ?? metric.sum ?? metric.gauge;
        const type = metric.histogram ? 'histogram' : metric.sum ? 'sum' : metric.gauge ? 'gauge' : undefined;
        if (type === undefined) continue; // exponential histograms and summaries: not used by the kit
        const temporality = TEMPORALITY[data.aggregationTemporality ?? 0];
        for (const p of data.dataPoints ?? []) {
          const point = { ...base, type, temporality, attributes: attributes(p.attributes), startNs: nanos(p.startTimeUnixNano), timeNs: nanos(p.timeUnixNano) };
          if (type === 'histogram') {
            Object.assign(point, {
              count: Number(p.count ?? 0),
              sum: Number(p.sum ?? 0),
              min: p.min === undefined ? undefined : Number(p.min),
              max: p.max === undefined ? undefined : Number(p.max),
              bucketCounts: (p.bucketCounts ?? []).map(Number),
              explicitBounds: (p.explicitBounds ?? []).map(Number),
            });
          } else point.value = Number(p.asDouble ?? p.asInt ?? 0);
          points.push(point);
        }
      }
    }
  }
  return points;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('payload too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      try {
        resolve(req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw, { maxOutputLength: MAX_BODY }) : raw);
      } catch (err) {
        reject(Object.assign(err, { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

/**
 * Starts the receiver on 127.0.0.1 (a free port unless `port` is given).
 * @returns {Promise<{ url: string, spans: object[], metricPoints: object[], requests: object, close(): Promise<void> }>}
 */
async function startOtlpReceiver({ port = 0 } = {}) {
  const spans = [];
  const metricPoints = [];
  const requests = { traces: 0, metrics: 0, logs: 0, rejected: 0 };

  const server = http.createServer(async (req, res) => {
    const signal = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' }[req.url.split('?')[0]];
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || signal === undefined) return reply(404, { message: 'POST /v1/traces, /v1/metrics or /v1/logs' });
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      requests.rejected += 1;
      req.resume();
      // The exporter reports this, so a misconfigured protocol is visible instead of silent.
      return reply(415, { message: 'this demo receiver reads OTLP/JSON only; set OTEL_EXPORTER_OTLP_PROTOCOL=http/json' });
    }
    try {
      const body = JSON.parse((await readBody(req)).toString('utf8'));
      requests[signal] += 1;
      if (signal === 'traces') for (const span of decodeSpans(body)) if (spans.length < MAX_SPANS) spans.push(span);
      if (signal === 'metrics') for (const point of decodeMetrics(body)) if (metricPoints.length < MAX_POINTS) metricPoints.push(point);
      reply(200, {});
    } catch (err) {
      requests.rejected += 1;
      reply(err.status ?? 400, { message: err.message });
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    spans,
    metricPoints,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

module.exports = { startOtlpReceiver, decodeSpans, decodeMetrics };
