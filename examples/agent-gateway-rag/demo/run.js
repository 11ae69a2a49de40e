#!/usr/bin/env node
'use strict';
// `npm run demo`: starts agent, rag and gateway as three processes exporting OTLP/HTTP to a local
// receiver, sends a handful of tasks for two tenants (one streamed), and prints each task's trace
// as a tree across the three services, a metrics summary against the P95 latency targets, and
// the path of an HTML waterfall. Exits non-zero if a trace is not one connected tree.
//
//   npm run demo [-- --out <file.html>] [-- --here]
//
// It runs on Node 24 with OpenTelemetry JS 3.x, what new services start on: from a tree on another
// line (the repository's own is 2.x, for Node 20) it runs itself again in the 3.x workspace with
// Node 24 from the npm registry (scripts/node-binary.js). `--here` runs it on the current line.
//
// With OTEL_EXPORTER_OTLP_ENDPOINT set, the services export there instead (a collector, Jaeger)
// and the demo cannot print trees; it prints the trace ids to look up.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureBuilt, stopBuild } = require('./build');

const DEADLINE_MS = 120000;
const SERVICES = ['agent', 'rag', 'gateway'];

function parseArgs(argv) {
  const args = { out: path.join(os.tmpdir(), 'motadata-otel-demo', 'waterfall.html') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1] !== undefined) args.out = path.resolve(argv[++i]);
    else if (argv[i].startsWith('--out=')) args.out = path.resolve(argv[i].slice(6));
    else if (argv[i] === '--here') args.here = true;
    else if (argv[i] === '--help' || argv[i] === '-h') args.help = true;
    else throw new Error(`unknown argument ${argv[i]}; usage: npm run demo [-- --out <file.html>]`);
  }
  return args;
}

const state = { group: undefined, receiver: undefined, stopping: undefined, aborted: false };

/** Stops everything this process started; safe to call more than once. */
function cleanup() {
  state.stopping ??= (async () => {
    stopBuild();
    await state.group?.stop().catch(() => state.group.killNow());
    await state.receiver?.close();
  })();
  return state.stopping;
}

function abort(message, code) {
  state.aborted = true;
  console.error(`\n${message}: stopping every process the demo started...`);
  cleanup().finally(() => process.exit(code));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log('usage: npm run demo [-- --out <file.html>]\nEnvironment: OTEL_EXPORTER_OTLP_ENDPOINT exports to a collector instead of the local receiver; NO_COLOR.');
    return 0;
  }
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  await ensureBuilt();
  if (!args.here && !onCurrentLine()) return runOnCurrentLine(process.argv.slice(2));

  // Loaded after the build: they require the built package.
  const { ServiceGroup } = require('./processes');
  const { startOtlpReceiver } = require('./otlp-receiver');
  const { ingestDocuments, runTasks } = require('./scenario');
  const { groupByTrace, checkTrace, renderTree, painter } = require('./trace-tree');
  const { summarize, renderSummary } = require('./metrics-summary');
  const { renderWaterfallHtml } = require('./waterfall-html');
  const { spanNames, metricNames } = require('./names');
  const paint = painter(color);

  const external = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  console.log(paint('bold', '@motadata/otel demo: agent → rag → gateway, three processes, one trace per task'));
  console.log('');
  const env = { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_BSP_SCHEDULE_DELAY: '200' };
  if (external) {
    console.log(`OTEL_EXPORTER_OTLP_ENDPOINT is set: the services export to ${external} (your collector or Jaeger),`);
    console.log('not to the demo receiver, so this run cannot print the trees, the metrics summary or the waterfall.');
  } else {
    state.receiver = await startOtlpReceiver();
    Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: state.receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    console.log(`OTLP receiver on ${state.receiver.url} (OTLP/HTTP, JSON): the services export to it as they would to a collector.`);
  }

  state.group = new ServiceGroup(env);
  const urls = await state.group.start();
  console.log(`Started ${SERVICES.map((s) => `${s} ${urls[s]}`).join(', ')}`);
  console.log('');

  const ingested = await ingestDocuments(urls.rag);
  const badIngest = ingested.filter((d) => d.status !== 201);
  const perTenant = Object.entries(ingested.reduce((acc, d) => ({ ...acc, [d.tenant]: (acc[d.tenant] ?? 0) + 1 }), {}));
  console.log(`Ingested ${ingested.length - badIngest.length} of ${ingested.length} documents into rag (${perTenant.map(([t, n]) => `${t} ${n}`).join(', ')}).`);

  const results = await runTasks(urls.agent);
  console.log(paint('bold', '\nTasks (POST agent /v1/tasks, tenant in x-tenant-id)'));
  results.forEach((r, i) => {
    const outcome = r.status === r.expect ? paint('green', String(r.status)) : paint('red', `${r.status} (expected ${r.expect})`);
    const streamed = r.stream === undefined ? '' : `streamed ${r.stream.tokens} tokens, the first after ${r.stream.firstTokenMs?.toFixed(0) ?? '—'} ms; `;
    const detail =
      r.status === 200 && r.json.tokens !== undefined
        ? `${streamed}${r.json.tokens.total} tokens, $${r.json.costUsd.toFixed(6)}, cache hits ${r.json.cache.hits}/${r.json.cache.calls}: "${truncate(r.json.result, 60)}"`
        : `${streamed}error: ${truncate(r.json.error, 100)}`;
    console.log(`  ${i + 1}. ${r.tenant.padEnd(7)} "${truncate(r.body.prompt, 52)}" (${r.body.model}${r.body.useTools ? ', tools' : ''}${r.body.stream ? ', stream' : ''})`);
    console.log(`     → ${outcome} in ${r.ms.toFixed(0)} ms, ${detail}`);
  });

  console.log('\nStopping the services (SIGTERM; each flushes its telemetry first)...');
  const exits = await state.group.stop();
  const badExits = Object.entries(exits).filter(([, e]) => e.code !== 0);
  for (const [name, e] of badExits) console.log(paint('red', `  ${name} exited with code ${e.code}${e.signal ? ` (${e.signal})` : ''}`));

  let failed = badIngest.length > 0 || badExits.length > 0 || results.some((r) => r.status !== r.expect || r.traceId === undefined || (r.expect === 200 && r.json.error !== undefined));

  if (external) {
    console.log(paint('bold', '\nTrace ids to look up in your backend (Jaeger UI: http://localhost:16686/trace/<id>):'));
    results.forEach((r, i) => console.log(`  ${i + 1}. ${r.traceId ?? '(none)'}  ${r.title}`));
    console.log('\nTrees and the metrics summary need the local receiver: unset OTEL_EXPORTER_OTLP_ENDPOINT to see them here.');
    return failed ? 1 : 0;
  }

  const { spans, metricPoints } = state.receiver;
  const traces = groupByTrace(spans);
  console.log(`Received ${spans.length} spans in ${traces.size} traces and ${metricPoints.length} metric points.`);

  const checked = results.map((r, i) => {
    const traceSpans = traces.get(r.traceId) ?? [];
    return { ...r, index: i + 1, spans: traceSpans, ...checkTrace(traceSpans, { services: SERVICES }) };
  });
  for (const t of checked) {
    const verdict = t.ok ? paint('green', 'one connected tree across agent, rag, gateway') : paint('red', 'NOT one connected tree');
    console.log(`\n${paint('bold', `Trace ${t.index}: ${t.title}`)}  ${paint('dim', t.traceId ?? '(no trace id)')}  ${t.spans.length} spans, ${verdict}`);
    for (const line of renderTree(t.spans, { color })) console.log(line);
    for (const problem of t.problems) console.log(paint('red', `  ✗ ${problem}`));
  }
  const ingestChecks = ingested.map((d) => checkTrace(traces.get(d.traceId) ?? [], { services: ['rag', 'gateway'] }));
  const brokenIngests = ingestChecks.filter((c) => !c.ok).length;
  console.log(`\nIngestion traces (rag → gateway): ${ingested.length - brokenIngests} of ${ingested.length} are one connected tree.`);

  console.log(paint('bold', '\nMetrics summary (from the OTLP metrics the services pushed)'));
  for (const line of renderSummary(summarize(metricPoints, spans, { spanNames, metricNames }), { color })) console.log(line);

  const html = renderWaterfallHtml(
    checked.map((t) => ({ title: `Trace ${t.index}: ${t.title}`, subtitle: `tenant ${t.tenant} · HTTP ${t.status}`, traceId: t.traceId ?? '', spans: t.spans, ok: t.ok, problems: t.problems })),
  );
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, html);
  console.log(`\nWaterfall of every task trace: ${args.out}`);
  console.log(paint('dim', '(one self-contained HTML file: open it in any browser, no network needed)'));

  const broken = checked.filter((t) => !t.ok).length + brokenIngests;
  failed ||= broken > 0;
  console.log('');
  if (broken > 0) console.log(paint('red', `✗ ${broken} trace(s) did not come out as one connected tree.`));
  else console.log(paint('green', `✓ All ${checked.length} task traces are one connected tree across agent, rag and gateway.`));
  if (failed && broken === 0) console.log(paint('red', '✗ Something else went wrong: see the lines marked above.'));
  return failed ? 1 : 0;
}

/** Whether this process runs OpenTelemetry JS 3.x (its API has the Logs API, from 1.10). */
function onCurrentLine() {
  return require('@opentelemetry/api').logs !== undefined;
}

/** Runs the demo again with Node 24 in the 3.x workspace, passing signals on; resolves to its exit code. */
function runOnCurrentLine(argv) {
  const { ensureNode } = require('../../../scripts/node-binary');
  const { ensureLine } = require('../../../scripts/line-workspace');
  const node = ensureNode(24);
  const workspace = ensureLine('otel3', node);
  console.log(`Running the demo on Node 24 with OpenTelemetry JS 3.x (${path.relative(process.cwd(), workspace) || '.'}); --here runs it on ${process.version} instead.\n`);
  const child = require('node:child_process').spawn(node, [path.join(workspace, 'examples', 'agent-gateway-rag', 'demo', 'run.js'), ...argv, '--here'], { stdio: 'inherit' });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1))));
  // Stopping it is asking it to stop (it stops its own services), then waiting for it.
  state.group = { stop: () => (child.kill('SIGINT'), exited), killNow: () => child.kill('SIGKILL'), output: () => '' };
  return exited;
}

function truncate(text, max) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

process.once('SIGINT', () => abort('Interrupted', 130));
process.once('SIGTERM', () => abort('Terminated', 143));
process.on('exit', () => state.group?.killNow());
const watchdog = setTimeout(() => abort(`The demo did not finish within ${DEADLINE_MS / 1000} s`, 1), DEADLINE_MS);

main()
  .then(
    (code) => cleanup().then(() => code),
    async (err) => {
      if (state.aborted) return undefined;
      console.error(`\nThe demo failed: ${err.message}`);
      if (err.output) console.error(err.output);
      if (state.group) console.error(`\nService output:\n${state.group.output()}`);
      await cleanup();
      return 1;
    },
  )
  .then((code) => {
    clearTimeout(watchdog);
    // After Ctrl-C, abort() exits (130) once everything is stopped.
    if (!state.aborted) process.exit(code);
  });
