'use strict';
// Turns the collected rounds into bench/results.md (also printed): what each line ran on, the
// targets with PASS/FAIL per line and framework, then one table per line, framework and route,
// and how to read them.
const path = require('node:path');
const { median } = require('./stats');
const { markdownTable, fmt } = require('./table');
const { ROUTES } = require('./variants');

const ROOT = path.join(__dirname, '..', '..');
/** A path as the report shows it: relative to the repository when inside it. */
const shown = (p) => {
  const rel = path.relative(ROOT, p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
};

// The targets, on the server CPU each variant adds to a request over bare in the same round.
// `value(added)` takes one round's added µs by variant id and gives the measured quantity.
const TARGETS = [
  {
    id: 'floor',
    what: 'kit added ÷ one-span-by-hand added',
    limit: '≤ 1.10×',
    ok: (x) => x <= 1.1,
    value: (a) => ratio(a.kit, a.span),
    parts: ['kit', 'span'],
    format: fmt.ratio,
  },
  {
    id: 'http',
    what: 'official (http only) added ÷ kit added',
    limit: '≥ 1.50×',
    ok: (x) => x >= 1.5,
    value: (a) => ratio(a['official-http'], a.kit),
    parts: ['official-http', 'kit'],
    format: fmt.ratio,
  },
  {
    id: 'full',
    what: 'official (http + framework) added ÷ kit added',
    limit: '≥ 3.00×',
    ok: (x) => x >= 3,
    value: (a) => ratio(a.official, a.kit),
    parts: ['official', 'kit'],
    format: fmt.ratio,
  },
  {
    id: 'sampled',
    what: 'kit at sampleRatio 0.01, added',
    limit: '≤ 5.0 µs',
    ok: (x) => x <= 5,
    value: (a) => a['kit-sampled'],
    parts: [],
    format: fmt.micros,
    node: 24,
  },
];

/**
 * a ÷ b of two added costs, or NaN where that means nothing: a variant that measured at or
 * below bare in a round (noise, not a cost) gives that round no ratio.
 */
function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && a > 0 && b > 0 ? a / b : NaN;
}

const range = (xs, format) => {
  const ok = xs.filter(Number.isFinite);
  return ok.length < 2 ? '' : ` (${format(Math.min(...ok))} – ${format(Math.max(...ok))})`;
};
const plain = (v) => fmt.num(v);

const HOW_TO_READ = `## How to read this

- Two OpenTelemetry JS lines, each on its own Node: **Node 24 + 3.x** (the servers run from
  \`.lines/otel3/\`, a copy of the repository whose \`node_modules\` is the 3.x tree) and **Node 20 +
  2.x** (the repository itself). Every variant is its own Node process of that line serving the
  same app; what each one loaded is in the table above, read from the process itself.
- wrk loads each variant from another process with \`CONNECTIONS\` connections. Variants are
  interleaved in rounds (every variant of every line once per round, in the same order), after
  a warm-up, so slow drift of the machine hits all of them alike. Each figure is the **median
  over the rounds**; the bracket after it is the lowest and highest round. When that range is
  wider than the gap between two variants, the gap is noise.
- **Server CPU µs/req** is the CPU time (user + system, from \`/proc/PID/stat\`, all of the
  server's threads) the server process used while wrk measured, divided by the requests wrk
  completed. Unlike req/s it barely moves when another process competes for the server's core.
- *Core taken by others* is the share of the server's core that other processes (and the
  kernel's network work, a few per cent) used during the measured window, from \`/proc/stat\`.
  Before each window the runner waits (up to 10 s) for the core to be quiet; a window where
  others passed 20% though it was quiet just before was measured again, up to twice, and the
  least disturbed one kept (chosen on the disturbance, not the result). Other load on the core slows the server's
  own code too (caches, and on a VM the sibling hyperthread), so CPU µs/req from a disturbed
  window runs high.
- **Added CPU µs/req** is a variant's CPU µs/req minus bare's *in the same round* (they ran
  minutes apart, not hours), the median of those per-round differences. It is what the
  telemetry costs each request; the targets are stated in it.
- The two reference rows are floors, not setups: *OTel context alone* is AsyncLocalStorage and
  one \`context.with\` per request with no SDK, which any setup giving handlers an active span
  pays (on Node 20 through async_hooks' promise hooks, on Node 24 through AsyncContextFrame).
  *One SDK span by hand* adds the one SERVER span every exporting setup pays: the SDK's span
  with the kit's attributes, the BatchSpanProcessor and OTLP export (the official variants'
  NodeSDK set-up, no instrumentation; on \`POST /v1/generate\` also the official variants'
  hand-written cost record). The kit's own work is what it costs above that floor.
- The targets' ratios are taken per round and their median is judged; *rounds* says in how
  many rounds the target held on its own. The sampleRatio 0.01 target is stated for Node 24;
  on the Node 20 line it is shown for comparison.
- **Ratios measured in one run hold; absolute numbers depend on the machine.** Compare added
  µs and ratios across machines, not req/s or latency.
- *vs bare* is throughput divided by bare's. p50/p99 come from wrk \`--latency\` at full load,
  so they are mostly queueing time and scale with 1/throughput; they are not the latency of an
  idle server.
- *peak RSS* is VmHWM of the server process at the end of its run (all its routes, warm-up
  included), median over rounds.
- Telemetry variants export everything to a local sink that answers 200 and discards, so
  serialisation and HTTP export are inside the measured cost, a collector's work is not.
- Propagation: *bare + fetch* calls the upstream with the global fetch, the kit with
  tracedFetch (a CLIENT span plus traceparent/tracestate/baggage headers).`;

/** Per-round added CPU µs/req over bare for one route: { variantId: [{ round, added }] }. */
function addedByRound(fwResults, route) {
  const bare = new Map((fwResults.bare?.routes[route] || []).map((r) => [r.round, r.cpuMicros]));
  const out = {};
  for (const [id, v] of Object.entries(fwResults)) {
    out[id] = (v.routes[route] || []).filter((r) => bare.has(r.round)).map((r) => ({ round: r.round, added: r.cpuMicros - bare.get(r.round) }));
  }
  return out;
}

function routeTable(fw, route, fwResults) {
  const variants = fw.variants.filter((v) => v.routes.includes(route) && fwResults[v.id]?.routes[route]);
  const added = addedByRound(fwResults, route);
  const bareRps = median((fwResults.bare?.routes[route] || []).map((r) => r.rps));
  const rows = variants.map((v) => {
    const runs = fwResults[v.id].routes[route];
    const rps = median(runs.map((r) => r.rps));
    const cpu = runs.map((r) => r.cpuMicros);
    const adds = (added[v.id] || []).map((a) => a.added);
    const flagged = runs.some((r) => r.non2xx > 0 || r.socketErrors > 0);
    return [
      `${route === 'proxy' ? v.proxyLabel || v.label : v.label}${flagged ? ' ⚠' : ''}`,
      `${fmt.int(rps)}${range(runs.map((r) => r.rps), fmt.int)}`,
      fmt.ms(median(runs.map((r) => r.p50))),
      fmt.ms(median(runs.map((r) => r.p99))),
      fmt.mb(median(fwResults[v.id].peakRss)),
      v.id === 'bare' ? '1.00×' : fmt.ratio(rps / bareRps),
      `${fmt.num(median(cpu))}${range(cpu, plain)}`,
      v.id === 'bare' ? '—' : `**${fmt.micros(median(adds))}**${range(adds, fmt.micros)}`,
      `${fmt.pct(median(runs.map((r) => r.others)))}${runs.length > 1 ? ` (max ${fmt.pct(Math.max(...runs.map((r) => r.others)))})` : ''}`,
    ];
  });
  return [`#### ${ROUTES[route].title}`, '', markdownTable(['variant', 'req/s', 'p50', 'p99', 'peak RSS', 'vs bare', 'server CPU µs/req', 'added CPU µs/req over bare', 'core taken by others'], rows)].join('\n');
}

/** One target on one route: { text, verdict, ok } from the per-round added µs. */
function judge(target, line, added) {
  const rounds = new Set(Object.values(added).flatMap((xs) => xs.map((x) => x.round)));
  const perRound = [];
  for (const round of rounds) {
    const a = {};
    for (const [id, xs] of Object.entries(added)) {
      const hit = xs.find((x) => x.round === round);
      if (hit) a[id] = hit.added;
    }
    perRound.push(target.value(a));
  }
  const value = median(perRound);
  if (!Number.isFinite(value)) return { text: 'n/a (a variant measured at or below bare)', verdict: 'n/a' };
  const held = perRound.filter((x) => Number.isFinite(x) && target.ok(x)).length;
  const ok = target.ok(value);
  const parts = target.parts.map((id) => fmt.num(median((added[id] || []).map((x) => x.added))));
  const text = `**${target.format(value)}**${range(perRound, target.format)}${parts.length ? `; ${parts.join(' ÷ ')} µs` : ''}`;
  const scope = target.node !== undefined && target.node !== line.node ? ` (stated for Node ${target.node})` : '';
  return { text, verdict: `${ok ? 'PASS' : 'FAIL'}${scope}, ${held}/${perRound.length} rounds`, ok, counted: scope === '' };
}

const TARGET_ROUTES = ['items', 'generate'];

function targetsSection(lines, frameworks, results) {
  const out = ['## Targets', ''];
  const verdicts = [];
  for (const line of lines) {
    const rows = [];
    for (const fw of frameworks) {
      const addeds = Object.fromEntries(TARGET_ROUTES.map((route) => [route, addedByRound(results[line.id][fw.id], route)]));
      for (const target of TARGETS) {
        const cells = TARGET_ROUTES.map((route) => judge(target, line, addeds[route]));
        rows.push([fw.title, `${target.what} ${target.limit}`, ...cells.flatMap((c) => [c.text, c.verdict])]);
        cells.forEach((c, i) => c.ok !== undefined && verdicts.push({ line, fw, target, route: TARGET_ROUTES[i], ...c }));
      }
      const ctx = TARGET_ROUTES.map((route) => addeds[route].context?.map((x) => x.added) || []);
      rows.push([fw.title, 'OTel context alone, added (reference)', ...ctx.flatMap((xs) => [`${fmt.micros(median(xs))}${range(xs, fmt.micros)}`, ''])]);
    }
    const counted = verdicts.filter((v) => v.line === line && v.counted);
    out.push(`### ${line.title}: ${counted.filter((v) => v.ok).length} of ${counted.length} met`, '');
    out.push(markdownTable(['framework', 'target', 'GET /v1/items/:id', 'verdict', 'POST /v1/generate', 'verdict'], rows, ['l', 'l', 'r', 'l', 'r', 'l']), '');
  }
  return { text: out.join('\n'), verdicts };
}

function runtimeSection(lines, frameworks, results) {
  const out = [
    '## What each variant ran on',
    '',
    'Read by each server process from what it had loaded (`require.cache`) when it was ready, and checked by the runner against its line (its Node, every package from the line\'s own tree, the kit from the line\'s `dist/`): a variant that fails the check stops the run.',
    '',
  ];
  const versions = (rt, name) => (rt?.packages[name] || []).join(' + ') || '—';
  for (const line of lines) {
    out.push(`### ${line.title}`, '', `Node binary \`${shown(line.nodePath)}\` (${line.nodeVersion}); servers from \`${shown(line.servers)}\`; packages from \`${shown(line.tree)}\`; the kit from \`${shown(line.dist)}\`.`, '');
    const rows = [];
    for (const fw of frameworks) {
      for (const v of fw.variants) {
        const rt = results[line.id][fw.id][v.id].runtime;
        const instr = ['instrumentation-http', 'instrumentation-express', 'instrumentation-koa', 'instrumentation-undici'].filter((n) => rt?.packages[`@opentelemetry/${n}`]).map((n) => `${n.replace('instrumentation-', '')} ${versions(rt, `@opentelemetry/${n}`)}`);
        rows.push([
          `${fw.id}/${v.id}${v.env?.SAMPLE_RATIO ? ` (SAMPLE_RATIO ${v.env.SAMPLE_RATIO})` : ''}`,
          rt?.node || 'n/a',
          versions(rt, '@opentelemetry/api'),
          versions(rt, '@opentelemetry/sdk-trace'),
          versions(rt, '@opentelemetry/sdk-node'),
          instr.join(', ') || '—',
          fw.id === 'express' ? versions(rt, 'express') : `${versions(rt, 'koa')}, router ${versions(rt, '@koa/router')}`,
          rt?.kit.length ? rt.kit.map((d) => `\`${shown(d)}\``).join(', ') : '—',
        ]);
      }
    }
    out.push(markdownTable(['variant', 'Node', '@opentelemetry/api', 'sdk-trace', 'sdk-node', 'instrumentations', 'framework', 'kit loaded from'], rows, ['l', 'l', 'l', 'l', 'l', 'l', 'l', 'l']), '');
  }
  return out.join('\n');
}

function buildReport({ meta, lines, frameworks, results, problems }) {
  const targets = targetsSection(lines, frameworks, results);
  const out = [
    '# @motadata/otel benchmark',
    '',
    `Generated by \`npm run bench${meta.argv ? ` -- ${meta.argv}` : ''}\` on ${meta.date}.`,
    '',
    '| | |',
    '|:--|:--|',
    `| CPUs | ${meta.cpuCount} × ${meta.cpuModel} |`,
    `| lines | ${lines.map((l) => `${l.title} (${l.nodeVersion}, @opentelemetry/api ${l.api})`).join('; ')} |`,
    `| runner | Node ${meta.node} (wrk, the sink and the upstream service are the same for every line) |`,
    `| wrk | ${meta.wrk} |`,
    `| kit | ${meta.kit} |`,
    `| pinning | ${meta.pinning} |`,
    `| load | ${meta.connections} connections, ${meta.rounds} round(s) × ${meta.duration} s per route, ${meta.warmup} s warm-up per route (longer, up to 30 s, until it has served ${meta.warmupRequests} requests); a window re-measured up to ${meta.retries} time(s) when other processes took over 20% of the server's core in a burst |`,
    `| OTLP | ${meta.protocol}, every request sampled (except the 0.01 rows), metrics every 1 s |`,
    '',
    runtimeSection(lines, frameworks, results),
    targets.text,
    HOW_TO_READ.replace('`CONNECTIONS`', String(meta.connections)),
  ];
  for (const line of lines) {
    out.push('', `## ${line.title}`);
    for (const fw of frameworks) {
      out.push('', `### ${fw.title}`);
      for (const route of Object.keys(ROUTES)) {
        if (fw.variants.some((v) => v.routes.includes(route) && results[line.id][fw.id][v.id]?.routes[route])) out.push('', routeTable(fw, route, results[line.id][fw.id]));
      }
    }
  }
  if (problems.length > 0) {
    out.push('', '## Warnings', '', ...problems.map((p) => `- ⚠ ${p}`));
  }
  return `${out.join('\n')}\n`;
}

module.exports = { buildReport, TARGETS };
