'use strict';
// The demo's metrics summary, computed from the OTLP metric points the services pushed (the same
// data a collector would turn into Prometheus series): per-route latency quantiles estimated
// from the http.server.request.duration histograms, time to first token of streamed answers per
// service and model, per-tenant tokens and cost, cache hit rate, errors, and the P95
// targets with a pass/fail mark.
const { painter } = require('./trace-tree');

/**
 * The P95 latency targets (the ones the alert rules in examples/observability fire on), in
 * seconds: from the HTTP duration histogram of a route, or from a component's duration histogram
 * (the span durations when that metric is absent).
 */
const P95_TARGETS = [
  { name: 'agent task', service: 'agent', route: '/v1/tasks', seconds: 5 },
  { name: 'gateway LLM call', service: 'gateway', route: '/v1/chat/completions', seconds: 5 },
  { name: 'RAG query', service: 'rag', route: '/v1/query', seconds: 10 },
  { name: 'vector search', metric: 'vectorSearchDuration', span: 'vectorSearch', seconds: 0.1 },
  { name: 'memory retrieval', metric: 'memoryRetrievalDuration', span: 'memoryRetrieve', seconds: 0.05 },
];

const seriesKey = (p) => JSON.stringify([p.service, p.scope, p.name, Object.entries(p.attributes).sort(([a], [b]) => (a < b ? -1 : 1))]);

/**
 * One point per series with the series' total: the latest point of a cumulative series (each
 * export repeats the running total), or the sum of a delta series' points.
 */
function currentSeries(points) {
  const series = new Map();
  for (const point of points) {
    const key = seriesKey(point);
    const previous = series.get(key);
    if (previous === undefined) series.set(key, point);
    else if (point.temporality === 'DELTA') series.set(key, mergeDelta(previous, point));
    else if (point.timeNs >= previous.timeNs) series.set(key, point);
  }
  return [...series.values()];
}

function mergeDelta(a, b) {
  if (a.type !== 'histogram') return { ...b, value: a.value + b.value };
  return mergeHistograms([a, b]);
}

/** Adds histograms with the same bucket bounds (series of one metric split by attributes). */
function mergeHistograms(points) {
  const [first] = points;
  const merged = { ...first, count: 0, sum: 0, min: undefined, max: undefined, bucketCounts: first.bucketCounts.map(() => 0) };
  for (const p of points) {
    if (p.explicitBounds.join() !== first.explicitBounds.join()) throw new Error(`cannot merge ${p.name}: bucket bounds differ`);
    merged.count += p.count;
    merged.sum += p.sum;
    p.bucketCounts.forEach((c, i) => (merged.bucketCounts[i] += c));
    if (p.min !== undefined) merged.min = merged.min === undefined ? p.min : Math.min(merged.min, p.min);
    if (p.max !== undefined) merged.max = merged.max === undefined ? p.max : Math.max(merged.max, p.max);
  }
  return merged;
}

/**
 * The q-quantile of a histogram, interpolating linearly inside the bucket it falls in (as
 * Prometheus' histogram_quantile does), with the recorded min and max bounding the first and the
 * overflow bucket. An estimate: its error is at most the width of that bucket.
 */
function histogramQuantile(q, { bucketCounts, explicitBounds, count, min, max }) {
  if (!count) return undefined;
  const rank = q * count;
  let seen = 0;
  for (let i = 0; i < bucketCounts.length; i++) {
    const inBucket = bucketCounts[i];
    if (inBucket === 0 || seen + inBucket < rank) {
      seen += inBucket;
      continue;
    }
    let lower = i === 0 ? Math.min(0, min ?? 0) : explicitBounds[i - 1];
    let upper = i < explicitBounds.length ? explicitBounds[i] : (max ?? explicitBounds[explicitBounds.length - 1]);
    if (min !== undefined) lower = Math.max(lower, Math.min(min, upper));
    if (max !== undefined) upper = Math.min(upper, Math.max(max, lower));
    return lower + (upper - lower) * ((rank - seen) / inBucket);
  }
  return max ?? explicitBounds[explicitBounds.length - 1];
}

/** Exact nearest-rank quantile of raw values. */
function quantile(q, values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const sum = (values) => values.reduce((a, b) => a + b, 0);

/**
 * @param {object[]} points metric points from the receiver
 * @param {object[]} spans spans from the receiver (for what no metric covers)
 * @param {{ spanNames?: object, metricNames?: object }} [names] from ./names
 */
function summarize(points, spans, { spanNames = {}, metricNames = {} } = {}) {
  const M = { requestDuration: 'http.server.request.duration', tokensUsed: 'gateway.tokens.used', cost: 'gateway.cost', timeToFirstToken: 'gen_ai.server.time_to_first_token', ...metricNames };
  const current = currentSeries(points);
  const named = (name, type) => current.filter((p) => p.name === name && (type === undefined || p.type === type));

  const byRoute = new Map();
  for (const p of named(M.requestDuration, 'histogram')) {
    const key = `${p.service} ${p.attributes['http.request.method'] ?? ''} ${p.attributes['http.route'] ?? '(no route)'}`;
    if (!byRoute.has(key)) byRoute.set(key, []);
    byRoute.get(key).push(p);
  }
  const order = ['agent', 'rag', 'gateway'];
  const routes = [...byRoute.entries()]
    .map(([key, series]) => {
      const merged = mergeHistograms(series);
      const [service, method, route] = key.split(' ');
      const errors = sum(series.filter((p) => Number(p.attributes['http.response.status_code']) >= 500).map((p) => p.count));
      return { service, method, route, count: merged.count, errors, p50: histogramQuantile(0.5, merged), p95: histogramQuantile(0.95, merged) };
    })
    .sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service) || a.route.localeCompare(b.route));

  // Every service that streams records it: the gateway from its request to the model's first
  // token, the agent from the task's request to the first token it relays (rag's research first).
  const byModel = new Map();
  for (const p of named(M.timeToFirstToken, 'histogram')) {
    const key = JSON.stringify([p.service, p.attributes['gen_ai.request.model'] ?? '(none)']);
    if (!byModel.has(key)) byModel.set(key, []);
    byModel.get(key).push(p);
  }
  const timeToFirstToken = [...byModel.entries()]
    .map(([key, series]) => {
      const [service, model] = JSON.parse(key);
      const merged = mergeHistograms(series);
      return { service, model, count: merged.count, p50: histogramQuantile(0.5, merged), p95: histogramQuantile(0.95, merged) };
    })
    .sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service) || a.model.localeCompare(b.model));

  const tenants = new Map();
  const tenant = (id) => {
    if (!tenants.has(id)) tenants.set(id, { tenant: id, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    return tenants.get(id);
  };
  // As the gateway recorded them: agent and rag record the usage of their calls to it too
  // (genAiCall), so counting every service would count each token twice.
  const atGateway = (p) => p.service === 'gateway';
  for (const p of named(M.tokensUsed).filter(atGateway)) {
    const t = tenant(p.attributes['tenant.id'] ?? '(none)');
    if (p.attributes['gen_ai.token.type'] === 'input') t.inputTokens += p.value;
    else if (p.attributes['gen_ai.token.type'] === 'output') t.outputTokens += p.value;
  }
  for (const p of named(M.cost).filter(atGateway)) tenant(p.attributes['tenant.id'] ?? '(none)').costUsd += p.value;

  // The cache hit rate: the gateway's hit and miss counters, else the cache-check spans.
  let cache;
  if (M.cacheHits !== undefined && named(M.cacheHits).length + named(M.cacheMisses).length > 0) {
    const hits = sum(named(M.cacheHits).map((p) => p.value));
    const checks = hits + sum(named(M.cacheMisses).map((p) => p.value));
    cache = { hits, checks, source: `${M.cacheHits} / ${M.cacheMisses}` };
  } else {
    const checks = spans.filter((s) => s.name === (spanNames.cacheCheck ?? 'gateway.cache.check') && typeof s.attributes['cache.hit'] === 'boolean');
    cache = { hits: checks.filter((s) => s.attributes['cache.hit']).length, checks: checks.length, source: 'cache-check spans' };
  }
  cache.rate = cache.checks === 0 ? undefined : cache.hits / cache.checks;

  const targets = P95_TARGETS.map((target) => {
    if (target.route !== undefined) {
      const route = routes.find((r) => r.service === target.service && r.route === target.route);
      return { ...target, p95: route?.p95, samples: route?.count ?? 0, source: `${M.requestDuration} histogram` };
    }
    const metric = M[target.metric];
    const series = metric === undefined ? [] : named(metric, 'histogram');
    if (series.length > 0) {
      const merged = mergeHistograms(series);
      return { ...target, p95: histogramQuantile(0.95, merged), samples: merged.count, source: `${metric} histogram` };
    }
    const name = spanNames[target.span];
    const values = spans.filter((s) => s.name === name).map((s) => s.durationMs / 1000);
    return { ...target, p95: quantile(0.95, values), samples: values.length, source: `${name} spans` };
  }).map((t) => ({ ...t, pass: t.p95 !== undefined && t.p95 < t.seconds }));

  return {
    routes,
    timeToFirstToken,
    tenants: [...tenants.values()].sort((a, b) => a.tenant.localeCompare(b.tenant)),
    cache,
    errors: sum(routes.map((r) => r.errors)),
    targets,
  };
}

const ms = (seconds) => (seconds === undefined ? '—' : seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(1)} ms`);

/** The summary as aligned text lines. */
function renderSummary(summary, { color = false } = {}) {
  const paint = painter(color);
  const lines = [];
  lines.push(paint('bold', 'Latency by route (http.server.request.duration, quantiles estimated from histogram buckets)'));
  lines.push(`  ${'service'.padEnd(8)} ${'route'.padEnd(26)} ${'requests'.padStart(8)} ${'errors'.padStart(6)} ${'p50'.padStart(10)} ${'p95'.padStart(10)}`);
  for (const r of summary.routes) {
    lines.push(`  ${r.service.padEnd(8)} ${`${r.method} ${r.route}`.padEnd(26)} ${String(r.count).padStart(8)} ${String(r.errors).padStart(6)} ${ms(r.p50).padStart(10)} ${ms(r.p95).padStart(10)}`);
  }
  lines.push('');
  lines.push(paint('bold', 'Time to first token of streamed answers (gen_ai.server.time_to_first_token, by service and model)'));
  if (summary.timeToFirstToken.length === 0) lines.push(paint('dim', '  no streamed answer was recorded'));
  else lines.push(`  ${'service'.padEnd(8)} ${'model'.padEnd(26)} ${'streams'.padStart(8)} ${'p50'.padStart(10)} ${'p95'.padStart(10)}`);
  for (const t of summary.timeToFirstToken) {
    lines.push(`  ${t.service.padEnd(8)} ${t.model.padEnd(26)} ${String(t.count).padStart(8)} ${ms(t.p50).padStart(10)} ${ms(t.p95).padStart(10)}`);
  }
  lines.push('');
  lines.push(paint('bold', 'Tokens and cost by tenant (gateway.tokens.used, gateway.cost, as the gateway recorded them)'));
  lines.push(`  ${'tenant'.padEnd(10)} ${'input'.padStart(8)} ${'output'.padStart(8)} ${'cost (USD)'.padStart(12)}`);
  for (const t of summary.tenants) {
    lines.push(`  ${t.tenant.padEnd(10)} ${String(t.inputTokens).padStart(8)} ${String(t.outputTokens).padStart(8)} ${t.costUsd.toFixed(6).padStart(12)}`);
  }
  lines.push('');
  const rate = summary.cache.rate === undefined ? 'n/a' : `${(summary.cache.rate * 100).toFixed(0)}%`;
  lines.push(`${paint('bold', 'Gateway cache:')} ${summary.cache.hits} hits of ${summary.cache.checks} checks (hit rate ${rate}) ${paint('dim', `(${summary.cache.source})`)}`);
  lines.push(`${paint('bold', 'Server errors (5xx):')} ${summary.errors}`);
  lines.push('');
  lines.push(paint('bold', 'P95 targets'));
  for (const t of summary.targets) {
    const mark = t.pass ? paint('green', 'PASS') : paint('red', 'FAIL');
    lines.push(`  ${mark}  ${t.name.padEnd(17)} p95 ${ms(t.p95).padStart(9)}  < ${ms(t.seconds).padStart(8)}   ${paint('dim', `(${t.samples} samples, ${t.source})`)}`);
  }
  return lines;
}

module.exports = { summarize, renderSummary, histogramQuantile, quantile, currentSeries, mergeHistograms, P95_TARGETS };
