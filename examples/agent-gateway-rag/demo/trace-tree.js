'use strict';
// Traces as trees: built from the spans the receiver decoded, checked for being one connected
// tree, and drawn as text ("Trace Structure" style: service, span, duration, key attributes).

/** The spans of each trace, by trace id. */
function groupByTrace(spans) {
  const traces = new Map();
  for (const span of spans) {
    let list = traces.get(span.traceId);
    if (list === undefined) traces.set(span.traceId, (list = []));
    list.push(span);
  }
  return traces;
}

/**
 * Links spans to their parents. Roots are spans without a parent id; orphans are spans whose
 * parent never arrived (a broken propagation, or a span that was not exported).
 */
function buildTree(spans) {
  const nodes = new Map();
  const duplicates = [];
  spans.forEach((span, order) => {
    if (nodes.has(span.spanId)) duplicates.push(span);
    else nodes.set(span.spanId, { span, children: [], order });
  });
  const roots = [];
  const orphans = [];
  for (const node of nodes.values()) {
    const parentId = node.span.parentSpanId;
    if (parentId === undefined) roots.push(node);
    else if (nodes.has(parentId)) nodes.get(parentId).children.push(node);
    else orphans.push(node);
  }
  // The SDK takes a span's start from Date.now() (millisecond resolution) and its duration from
  // the monotonic clock, so siblings often share a start time. Then the order they arrived in
  // decides: a process exports its spans in the order they end, and in sequential code the
  // sibling that ended first started first.
  const compare = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
  const byStart = (a, b) => compare(a.span.startNs, b.span.startNs) || a.order - b.order;
  for (const node of nodes.values()) node.children.sort(byStart);
  roots.sort(byStart);
  return { roots, orphans, duplicates, size: nodes.size };
}

const label = (span) => `${span.service} "${span.name}"`;

/**
 * Whether a trace is one connected tree: exactly one root, every other span's parent present,
 * no duplicate span ids, and every expected service present.
 * @returns {{ ok: boolean, problems: string[] }}
 */
function checkTrace(spans, { services = [] } = {}) {
  const problems = [];
  if (spans.length === 0) return { ok: false, problems: ['no spans were received for this trace'] };
  const { roots, orphans, duplicates } = buildTree(spans);
  if (roots.length !== 1) problems.push(`${roots.length} root spans (want 1): ${roots.map((r) => label(r.span)).join(', ') || 'none'}`);
  for (const orphan of orphans) problems.push(`${label(orphan.span)} has parent ${orphan.span.parentSpanId}, which is not in the trace`);
  for (const duplicate of duplicates) problems.push(`span id ${duplicate.spanId} appears twice (${label(duplicate)})`);
  const present = new Set(spans.map((s) => s.service));
  for (const service of services) if (!present.has(service)) problems.push(`no span from service "${service}"`);
  return { ok: problems.length === 0, problems };
}

/** Depth-first, children by start time: the order the tree and the waterfall draw spans in. */
function flatten(spans) {
  const { roots, orphans } = buildTree(spans);
  const rows = [];
  const visit = (node, depth, prefix, last, isRoot) => {
    rows.push({ span: node.span, depth, prefix: isRoot ? '' : `${prefix}${last ? '└─ ' : '├─ '}`, children: node.children });
    const childPrefix = isRoot ? '' : `${prefix}${last ? '   ' : '│  '}`;
    node.children.forEach((child, i) => visit(child, depth + 1, childPrefix, i === node.children.length - 1, false));
  };
  for (const root of [...roots, ...orphans]) visit(root, 0, '', true, true);
  return rows;
}

const money = (usd) => `$${Number(usd).toFixed(6)}`;

/** The event the kit adds to a streamed response's SERVER span at its first output token. */
const FIRST_TOKEN_EVENT = 'gen_ai.first_token';

/** Milliseconds from the span's start to its first-token event, or undefined for a span that streamed none. */
function firstTokenMs(span) {
  const event = span.events.find((e) => e.name === FIRST_TOKEN_EVENT);
  return event === undefined ? undefined : Number(event.timeNs - span.startNs) / 1e6;
}
const ATTRIBUTE_LABELS = [
  ['task.id', 'task'],
  ['memory.count', 'memories'],
  ['tools.count', 'tools'],
  ['embeddings.count', 'embeddings'],
  ['results.count', 'results'],
  ['chunks.count', 'chunks'],
];

/** The attributes worth a glance: tenant, model, tokens, cost, cache hit, status, error. */
function keyAttributes(span, parent, { maxErrorLength = Infinity } = {}) {
  const a = span.attributes;
  const out = [];
  const tenant = a['tenant.id'];
  if (tenant !== undefined && (span.kind === 'SERVER' || parent?.attributes['tenant.id'] !== tenant)) out.push(`tenant=${tenant}`);
  for (const [key, name] of ATTRIBUTE_LABELS) if (a[key] !== undefined) out.push(`${name}=${a[key]}`);
  const model = a['gen_ai.request.model'] ?? a['gateway.model'];
  if (model !== undefined && span.kind !== 'CLIENT') out.push(`model=${model}`);
  const input = a['gen_ai.usage.input_tokens'];
  const output = a['gen_ai.usage.output_tokens'];
  if (input !== undefined || output !== undefined) out.push(`tokens=${input ?? 0}+${output ?? 0}`);
  else if (a['llm.tokens'] !== undefined) out.push(`tokens=${a['llm.tokens']}`);
  const cost = a['motadata.llm.cost.usd'] ?? a['cost.usd'] ?? a['llm.cost'];
  if (cost !== undefined) out.push(`cost=${money(cost)}`);
  if (a['cache.hit'] !== undefined) out.push(`cache.hit=${a['cache.hit']}`);
  const firstToken = firstTokenMs(span);
  if (firstToken !== undefined) out.push(`streamed, first token at ${duration(firstToken)}`);
  const status = a['http.response.status_code'];
  if (status !== undefined && (span.kind === 'SERVER' || status >= 400)) out.push(`status=${status}`);
  if (span.status.code === 'ERROR') {
    const message = errorMessage(span);
    out.push(`ERROR: ${message.length > maxErrorLength ? `${message.slice(0, maxErrorLength - 1)}…` : message}`);
  }
  return out;
}

/** The most telling error text of a span: its exception, its status message, or error.type. */
function errorMessage(span) {
  const exception = span.events.find((e) => e.name === 'exception');
  if (exception !== undefined) return `${exception.attributes['exception.type'] ?? 'Error'}: ${exception.attributes['exception.message'] ?? ''}`.trim();
  if (span.status.message) return span.status.message;
  return String(span.attributes['error.type'] ?? 'error');
}

const ANSI = { reset: '\x1b[0m', dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', magenta: '\x1b[35m', cyan: '\x1b[36m', blue: '\x1b[34m' };
const SERVICE_COLORS = { agent: 'cyan', rag: 'magenta', gateway: 'yellow' };

function painter(color) {
  return (name, text) => (color && ANSI[name] ? `${ANSI[name]}${text}${ANSI.reset}` : text);
}

const duration = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/** Draws a trace as text, one line per span: service, tree and span name, duration, key attributes. */
function renderTree(spans, { color = false, maxErrorLength = 90 } = {}) {
  const paint = painter(color);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const serviceWidth = Math.max(7, ...spans.map((s) => s.service.length));
  const rows = flatten(spans).map((row) => {
    let name = row.span.name;
    // A CLIENT span says where it went: the service of the SERVER span it caused.
    if (row.span.kind === 'CLIENT') {
      const callee = row.children.find((c) => c.span.kind === 'SERVER')?.span.service;
      name = `${name} → ${callee ?? `${row.span.attributes['server.address']}:${row.span.attributes['server.port']}`}`;
    }
    return { ...row, tree: `${row.prefix}${name}` };
  });
  const nameWidth = Math.max(...rows.map((r) => r.tree.length)) + 2;
  return rows.map(({ span, tree }) => {
    const padded = tree.padEnd(nameWidth);
    const attrs = keyAttributes(span, byId.get(span.parentSpanId), { maxErrorLength }).join('  ');
    const service = paint(SERVICE_COLORS[span.service] ?? 'blue', span.service.padEnd(serviceWidth));
    const text = span.status.code === 'ERROR' ? paint('red', padded) : padded;
    return `  ${service} ${text}${paint('dim', duration(span.durationMs).padStart(10))}  ${attrs}`.trimEnd();
  });
}

module.exports = { groupByTrace, buildTree, checkTrace, flatten, renderTree, keyAttributes, errorMessage, firstTokenMs, painter, duration, FIRST_TOKEN_EVENT, SERVICE_COLORS };
