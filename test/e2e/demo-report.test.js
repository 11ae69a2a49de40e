'use strict';
// The demo's report pieces on hand-made data: the OTLP/JSON decoding, the one-connected-tree
// check the demo's exit code rests on, quantiles from histogram buckets, and the HTML's escaping.
const assert = require('node:assert/strict');
const { decodeSpans, decodeMetrics } = require('../../examples/agent-gateway-rag/demo/otlp-receiver');
const { checkTrace, flatten, renderTree } = require('../../examples/agent-gateway-rag/demo/trace-tree');
const { histogramQuantile, quantile, summarize } = require('../../examples/agent-gateway-rag/demo/metrics-summary');
const { renderWaterfallHtml } = require('../../examples/agent-gateway-rag/demo/waterfall-html');

const TRACE = '0af7651916cd43dd8448eb211c80319c';
let next = 0;
function span(service, name, parent, { kind = 'INTERNAL', start = 0, ms = 1, attributes = {}, error, firstTokenAt } = {}) {
  next += 1;
  const startNs = BigInt(start) * 1000000n;
  return {
    traceId: TRACE,
    spanId: next.toString(16).padStart(16, '0'),
    parentSpanId: parent?.spanId,
    name,
    kind,
    service,
    startNs,
    endNs: startNs + BigInt(ms * 1e6),
    durationMs: ms,
    attributes,
    events: [
      ...(error ? [{ name: 'exception', timeNs: startNs, attributes: { 'exception.type': 'Error', 'exception.message': error } }] : []),
      ...(firstTokenAt === undefined ? [] : [{ name: 'gen_ai.first_token', timeNs: startNs + BigInt(firstTokenAt * 1e6), attributes: {} }]),
    ],
    links: [],
    status: { code: error ? 'ERROR' : 'UNSET', message: '' },
  };
}

function threeServiceTrace() {
  const root = span('agent', 'POST /v1/tasks', undefined, { kind: 'SERVER', ms: 30, attributes: { 'tenant.id': 'acme' } });
  const client = span('agent', 'POST', root, { kind: 'CLIENT', start: 1, ms: 20 });
  const rag = span('rag', 'POST /v1/query', client, { kind: 'SERVER', start: 2, ms: 18 });
  const ragClient = span('rag', 'POST', rag, { kind: 'CLIENT', start: 3, ms: 10 });
  const gateway = span('gateway', 'POST /v1/chat/completions', ragClient, { kind: 'SERVER', start: 4, ms: 8, attributes: { 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 3, 'motadata.llm.cost.usd': 0.0001 } });
  return [root, client, rag, ragClient, gateway];
}

describe('demo report: checkTrace()', () => {
  it('accepts one tree with a single root that spans the expected services', () => {
    assert.deepEqual(checkTrace(threeServiceTrace(), { services: ['agent', 'rag', 'gateway'] }), { ok: true, problems: [] });
  });

  it('rejects a trace split in two: a second root', () => {
    const spans = threeServiceTrace();
    spans[2] = { ...spans[2], parentSpanId: undefined }; // rag did not continue the agent's trace
    const { ok, problems } = checkTrace(spans);
    assert.equal(ok, false);
    assert.match(problems[0], /2 root spans/);
  });

  it('rejects a span whose parent never arrived', () => {
    const spans = threeServiceTrace().filter((s) => s.name !== 'POST' || s.service !== 'rag');
    const { ok, problems } = checkTrace(spans);
    assert.equal(ok, false);
    assert.match(problems.join('\n'), /gateway "POST \/v1\/chat\/completions" has parent .* not in the trace/);
  });

  it('rejects a trace missing a service, and an empty trace', () => {
    const spans = threeServiceTrace().filter((s) => s.service !== 'gateway');
    assert.match(checkTrace(spans, { services: ['agent', 'rag', 'gateway'] }).problems.join(), /no span from service "gateway"/);
    assert.equal(checkTrace([]).ok, false);
  });

  it('draws the tree depth-first with the callee of each CLIENT span', () => {
    const lines = renderTree(threeServiceTrace());
    assert.equal(lines.length, 5);
    assert.match(lines[1], /agent\s+└─ POST → rag/);
    assert.match(lines[4], /gateway\s+└─ POST \/v1\/chat\/completions\s+8\.0 ms\s+tokens=12\+3\s+cost=\$0\.000100/);
    assert.deepEqual(flatten(threeServiceTrace()).map((r) => r.depth), [0, 1, 2, 3, 4]);
  });

  it('says when a streamed response sent its first token (the gen_ai.first_token event)', () => {
    const spans = threeServiceTrace();
    spans[4] = { ...spans[4], events: span('gateway', 'x', undefined, { start: 4, firstTokenAt: 2.5 }).events };
    assert.match(renderTree(spans)[4], /tokens=12\+3 {2}cost=\$0\.000100 {2}streamed, first token at 2\.5 ms$/);
    assert.doesNotMatch(renderTree(spans)[2], /first token/);
  });
});

describe('demo report: the OTLP/JSON receiver decoding', () => {
  it('decodes spans with hex ids, string nanoseconds, typed attributes and the resource service.name', () => {
    const [decoded] = decodeSpans({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'rag' } }] },
        scopeSpans: [{
          scope: { name: '@motadata/otel' },
          spans: [{
            traceId: TRACE, spanId: '00f067aa0ba902b7', parentSpanId: '', name: 'rag.query', kind: 1,
            startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000002500000',
            attributes: [
              { key: 'cache.hit', value: { boolValue: true } },
              { key: 'n', value: { intValue: '3' } },
              { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
            ],
            status: { code: 2, message: 'boom' },
          }],
        }],
      }],
    });
    assert.equal(decoded.service, 'rag');
    assert.equal(decoded.parentSpanId, undefined);
    assert.equal(decoded.kind, 'INTERNAL');
    assert.equal(decoded.durationMs, 2.5);
    assert.deepEqual(decoded.attributes, { 'cache.hit': true, n: 3, tags: ['a'] });
    assert.deepEqual(decoded.status, { code: 'ERROR', message: 'boom' });
  });

  it('decodes histogram and sum points', () => {
    const points = decodeMetrics({
      resourceMetrics: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gateway' } }] },
        scopeMetrics: [{
          metrics: [
            { name: 'gateway.cost', unit: 'USD', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asDouble: 0.5, attributes: [{ key: 'tenant.id', value: { stringValue: 'acme' } }], timeUnixNano: '2' }] } },
            { name: 'http.server.request.duration', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: [{ count: '2', sum: 0.3, bucketCounts: ['1', '1', '0'], explicitBounds: [0.1, 0.25], timeUnixNano: '2' }] } },
          ],
        }],
      }],
    });
    assert.equal(points[0].value, 0.5);
    assert.equal(points[0].attributes['tenant.id'], 'acme');
    assert.deepEqual(points[1].bucketCounts, [1, 1, 0]);
    assert.equal(points[1].temporality, 'CUMULATIVE');
  });
});

describe('demo report: quantiles', () => {
  const histogram = { explicitBounds: [0.1, 0.2, 0.5], bucketCounts: [10, 80, 10, 0], count: 100 };

  it('interpolates inside the bucket the quantile falls in', () => {
    assert.ok(Math.abs(histogramQuantile(0.5, histogram) - 0.15) < 1e-9);
    assert.ok(Math.abs(histogramQuantile(0.95, histogram) - 0.35) < 1e-9);
  });

  it('bounds the estimate by the recorded min and max', () => {
    assert.equal(histogramQuantile(0.05, { ...histogram, min: 0.08 }) >= 0.08, true);
    assert.equal(histogramQuantile(1, { ...histogram, bucketCounts: [0, 0, 0, 4], count: 4, max: 0.9 }), 0.9);
    assert.equal(histogramQuantile(0.5, { ...histogram, count: 0 }), undefined);
  });

  it('reports time to first token per service and model from the gen_ai.server.time_to_first_token histograms', () => {
    const ttft = (service, model, bucketCounts, min, max) => ({
      service, name: 'gen_ai.server.time_to_first_token', type: 'histogram', temporality: 'CUMULATIVE', timeNs: 1n,
      explicitBounds: [0.01, 0.1, 1], bucketCounts, count: bucketCounts.reduce((a, b) => a + b, 0), sum: 0, min, max,
      attributes: { 'gen_ai.request.model': model, 'tenant.id': 'acme' },
    });
    const points = [ttft('gateway', 'local-small', [0, 20, 0, 0], 0.02, 0.09), ttft('gateway', 'local-large', [0, 0, 4, 0], 0.2, 0.8), ttft('agent', 'local-small', [0, 0, 20, 0], 0.15, 0.5)];
    const rows = summarize(points, []).timeToFirstToken;
    assert.deepEqual(rows.map((r) => [r.service, r.model, r.count]), [['agent', 'local-small', 20], ['gateway', 'local-large', 4], ['gateway', 'local-small', 20]]);
    const small = rows[2];
    assert.ok(small.p50 > 0.02 && small.p50 < small.p95 && small.p95 <= 0.09, JSON.stringify(small));
    assert.equal(summarize([], []).timeToFirstToken.length, 0);
  });

  it('takes the latest cumulative point of each series', () => {
    const base = { service: 'agent', name: 'http.server.request.duration', type: 'histogram', temporality: 'CUMULATIVE', explicitBounds: [0.1, 0.2], attributes: { 'http.route': '/v1/tasks', 'http.request.method': 'POST', 'http.response.status_code': 200 } };
    const points = [
      { ...base, timeNs: 1n, count: 1, sum: 0.05, bucketCounts: [1, 0, 0] },
      { ...base, timeNs: 2n, count: 3, sum: 0.35, bucketCounts: [2, 1, 0] },
    ];
    const [route] = summarize(points, []).routes;
    assert.equal(route.count, 3);
    assert.equal(quantile(0.95, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]), 19);
  });
});

describe('demo report: tokens and cost by tenant', () => {
  it('counts them as the gateway recorded them, not again as its callers did', () => {
    const point = (service, name, value, attributes) => ({ service, name, type: 'sum', temporality: 'CUMULATIVE', timeNs: 1n, value, attributes: { 'tenant.id': 'acme', ...attributes } });
    const points = ['gateway', 'agent', 'rag'].flatMap((service) => [
      point(service, 'gateway.tokens.used', 100, { 'gen_ai.token.type': 'input' }),
      point(service, 'gateway.tokens.used', 20, { 'gen_ai.token.type': 'output' }),
      point(service, 'gateway.cost', 0.5, {}),
    ]);
    assert.deepEqual(summarize(points, []).tenants, [{ tenant: 'acme', inputTokens: 100, outputTokens: 20, costUsd: 0.5 }]);
  });
});

describe('demo report: renderWaterfallHtml()', () => {
  it('escapes span data and needs no network', () => {
    const spans = threeServiceTrace();
    spans[0].attributes['user.input'] = '<script>alert(1)</script>';
    const html = renderWaterfallHtml([{ title: 'T <1>', traceId: TRACE, spans, ok: true, problems: [] }]);
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /T &lt;1&gt;/);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:|url\(\s*["']?https?:|@import/i);
    assert.equal((html.match(/class="row/g) ?? []).length, spans.length);
  });

  it('marks the first token of a streamed response on its bar, where it came', () => {
    const spans = threeServiceTrace();
    // The gateway's bar runs from 4 to 12 ms of a 30 ms trace; its first token came at 6 ms.
    spans[4] = { ...spans[4], events: span('gateway', 'x', undefined, { start: 4, firstTokenAt: 2 }).events };
    const html = renderWaterfallHtml([{ title: 'T', traceId: TRACE, spans, ok: true, problems: [] }]);
    const marks = [...html.matchAll(/<path class="first-token" d="M([\d.]+) /g)].map((m) => Number(m[1]));
    assert.equal(marks.length, 1);
    const bar = [...html.matchAll(/<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])])[4];
    assert.ok(Math.abs(marks[0] - (bar[0] + bar[1] * (2 / 8))) < 0.2, `${marks[0]} on the bar ${bar}`);
    assert.match(html, /event gen_ai\.first_token at 2\.00 ms/);
  });
});
