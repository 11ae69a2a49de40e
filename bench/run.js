#!/usr/bin/env node
'use strict';
// The benchmark runner: `npm run bench` (see --help). It builds the kit when dist/ is missing or
// older than the sources, readies each OpenTelemetry line (Node 24 + 3.x in .lines/otel3, Node
// 20 + 2.x in the repository), starts the sink and the upstream service, then runs every server
// variant of every line in interleaved rounds under wrk and writes bench/results.md. `--soak`
// runs the dead-collector soak instead.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { spawnSync } = require('node:child_process');
const proc = require('./lib/proc');
const { runWrk, hasWrk } = require('./lib/wrk');
const { FRAMEWORKS, ROUTES } = require('./lib/variants');
const { LINES, prepareLine, verifyServer } = require('./lib/lines');
const { buildReport } = require('./lib/report');
const { fmt } = require('./lib/table');
const { runSoak } = require('./lib/soak');

const ROOT = path.join(__dirname, '..');
const HELP = `Usage: npm run bench -- [options]

  --rounds N                rounds of interleaved variants (default 3)
  --duration S              seconds measured per route and round (default 5)
  --warmup S                seconds of warm-up per route before measuring (default 2)
  --warmup-requests N       warm up longer (up to 30 s) until the route has served N requests
                            (default 3000; with --instructions: callgrind's warm-up)
  --retries N               measure a window again, up to N times, when other processes took more
                            than 20% of the server's core during it (default 2)
  --connections N           wrk connections (default 50)
  --protocol P              OTLP encoding for kit and official: http/protobuf (default) or http/json
  --line L                  otel3 (Node 24 + OpenTelemetry JS 3.x, in .lines/otel3), otel2 (Node 20
                            + 2.x, the repository itself) or all (default all: both, interleaved)
  --framework F             express, koa or all (default all)
  --out FILE                where the report goes (default bench/results.md)
  --build                   run npm run build first (it always does when dist/ is missing or older
                            than src/, middleware/ or tsconfig.json)
  --soak                    soak mode: Express + kit with the OTLP sink stopped, on each --line in turn
  --soak-seconds S          soak length (default 120)
  --soak-interval S         RSS sample interval during the soak (default 20)
  --soak-compare-seconds S  longest sink-up window after each sink-down one, for the ratio (default 20)
  --instructions            instructions per request under valgrind's callgrind instead of wrk
                            (repeatable on a busy machine; writes bench/instructions.md;
                            takes --requests N and --warmup-requests N (default 3000 each), --framework,
                            --only <part of a variant's label> and --route items|generate|proxy; a
                            partial count is printed, not written; --line otel2 (default) or otel3)`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      'warmup-requests': { type: 'string', default: '3000' },
      retries: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      protocol: { type: 'string', default: 'http/protobuf' },
      framework: { type: 'string', default: 'all' },
      line: { type: 'string', default: 'all' },
      build: { type: 'boolean', default: false },
      out: { type: 'string', default: path.join(__dirname, 'results.md') },
      soak: { type: 'boolean', default: false },
      'soak-seconds': { type: 'string', default: '120' },
      'soak-interval': { type: 'string', default: '20' },
      'soak-compare-seconds': { type: 'string', default: '20' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const num = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${values[name]}`);
    return n;
  };
  if (!['http/protobuf', 'http/json'].includes(values.protocol)) throw new Error(`--protocol must be http/protobuf or http/json, got ${values.protocol}`);
  if (!['all', ...FRAMEWORKS.map((f) => f.id)].includes(values.framework)) throw new Error(`--framework must be all, express or koa, got ${values.framework}`);
  if (!['all', ...LINES.map((l) => l.id)].includes(values.line)) throw new Error(`--line must be all, ${LINES.map((l) => l.id).join(' or ')}, got ${values.line}`);
  return {
    help: values.help,
    build: values.build,
    rounds: num('rounds', 1),
    duration: num('duration', 1),
    warmup: num('warmup', 0),
    warmupRequests: num('warmup-requests', 0),
    retries: num('retries', 0),
    connections: num('connections', 1),
    protocol: values.protocol,
    frameworks: FRAMEWORKS.filter((f) => values.framework === 'all' || f.id === values.framework),
    lines: LINES.filter((l) => values.line === 'all' || l.id === values.line).map((l) => l.id),
    out: path.resolve(values.out),
    soak: values.soak,
    soakSeconds: num('soak-seconds', 1),
    soakInterval: num('soak-interval', 1),
    soakCompareSeconds: num('soak-compare-seconds', 1),
  };
}

/** wrk from Debian via bench/setup.sh when it is missing. */
function ensureWrk() {
  if (hasWrk()) return;
  console.log('wrk not found: running bench/setup.sh (apt-get install wrk)');
  const r = spawnSync('bash', [path.join(__dirname, 'setup.sh')], { stdio: 'inherit' });
  if (r.status !== 0 || !hasWrk()) throw new Error('wrk is required: install the Debian package "wrk" (bash bench/setup.sh)');
}

/** The newest modification time of a file under `entry` (a file or a folder). */
function newestMtime(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(entry).reduce((newest, name) => Math.max(newest, newestMtime(path.join(entry, name))), 0);
}

/**
 * The kit is benchmarked as users get it: the built dist/, through the package's exports map.
 * Built when forced, when dist/ is missing, or when a source is newer than it, so a run never
 * measures a kit older than the tree it reports.
 */
function ensureBuilt(force) {
  const needed = ['dist/src/index.js', 'dist/middleware/express.js', 'dist/middleware/koa.js'].map((f) => path.join(ROOT, f));
  let why = force ? '--build' : undefined;
  if (!why && !needed.every((f) => fs.existsSync(f))) why = 'dist/ is missing';
  if (!why) {
    const built = Math.min(...needed.map((f) => fs.statSync(f).mtimeMs));
    if (['src', 'middleware', 'tsconfig.json'].some((e) => newestMtime(path.join(ROOT, e)) > built)) why = 'dist/ is older than the sources';
  }
  if (!why) return;
  console.log(`running npm run build (${why})`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; the kit variants need dist/');
}

/** The children's environment: ours without OTEL_* (so a stray variable cannot change a variant). */
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_')) env[k] = v;
  return { ...env, NODE_ENV: 'production', ...extra };
}

/** Starts the OTLP sink on the load core; returns { url, stats(), stop() }. */
async function startSink(pin) {
  const port = await proc.freePort();
  const child = await proc.startNode(path.join(__dirname, 'sink.js'), { env: childEnv({ PORT: String(port) }), cpu: pin.load, name: 'sink' });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stats: async () => (await fetch(`${url}/stats`, { signal: AbortSignal.timeout(10_000) })).json(),
    stop: () => proc.stop(child),
  };
}

async function startUpstream(pin) {
  const port = await proc.freePort();
  const child = await proc.startNode(path.join(__dirname, 'upstream.js'), { env: childEnv({ PORT: String(port) }), cpu: pin.load, name: 'upstream' });
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.stop(child) };
}

/** One request per route before loading it: a variant that answers 500 must not be benchmarked. */
async function probe(base, route) {
  const init = route === 'generate' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"probe"}' } : {};
  const res = await fetch(base + ROUTES[route].path, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${base}${ROUTES[route].path} answered ${res.status}: ${text.slice(0, 300)}`);
}

// Share of the server's core other processes may take in a measured window before it is
// measured again (--retries).
const OTHERS_LIMIT = 0.2;

/**
 * Warms one route up for --warmup seconds and, when that served fewer than --warmup-requests
 * (a server starved by other processes), for more seconds until it has, at most 30 s: V8
 * optimises by the number of calls, not by time, and a window measured before it did counts
 * compilation in the server's CPU per request (seen: 8 times the usual on a busy machine).
 */
async function warmUp(ctx, load) {
  const { warmup, warmupRequests } = ctx.opts;
  let served = 0;
  let seconds = 0;
  if (warmup === 0 && warmupRequests === 0) return;
  do {
    const step = Math.max(1, warmup);
    served += (await runWrk({ ...load, seconds: step })).requests;
    seconds += step;
  } while (served < warmupRequests && seconds < 30);
}

/**
 * Before a window: while the server is idle, its core's busy time is other processes'. Waits,
 * half a second at a time and at most 10 s, until they use under 20% of it, so fewer windows
 * are measured in a burst of someone else's work. Returns whether the core was quiet.
 */
async function waitForQuietCore(ctx) {
  if (ctx.pin.server === undefined || ctx.opts.retries === 0) return true;
  for (let tries = 0; tries < 20; tries++) {
    const a = proc.cpuTicks(ctx.pin.server);
    await new Promise((r) => setTimeout(r, 500));
    const b = proc.cpuTicks(ctx.pin.server);
    if ((b.busy - a.busy) / (b.total - a.total || 1) < OTHERS_LIMIT) return true;
  }
  return false;
}

/**
 * One measured window: wrk for --duration seconds, the server's CPU time around it, and how much
 * of the server's core other processes used meanwhile (`others`, a share of the window; the
 * kernel's network work for the server's own sockets is part of it, a few per cent).
 */
async function measureWindow(ctx, server, load) {
  const quietBefore = await waitForQuietCore(ctx);
  const cpu0 = proc.cpuSeconds(server.pid);
  const core0 = ctx.pin.server === undefined ? undefined : proc.cpuTicks(ctx.pin.server);
  const t0 = process.hrtime.bigint();
  const w = await runWrk({ ...load, seconds: ctx.opts.duration });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = proc.cpuSeconds(server.pid) - cpu0;
  const core1 = core0 === undefined ? undefined : proc.cpuTicks(ctx.pin.server);
  const others = core0 && core1 ? Math.max(0, (core1.busy - core0.busy) / proc.CLK_TCK - cpu) / ((core1.total - core0.total) / proc.CLK_TCK || 1) : NaN;
  // The server's own CPU per request, and how busy its core was: below ~90% the server was not
  // saturated (starved by another process on its core, or wrk could not keep up).
  return { ...w, cpuMicros: (cpu / w.requests) * 1e6, cpuBusy: cpu / wall, others, quietBefore };
}

/**
 * Starts one server variant with its line's Node from its line's tree, checks what it loaded,
 * warms up and measures each of its routes, reads its peak RSS, stops it. Returns
 * { routes: { route: wrk result + server CPU }, peakRss, runtime, before: sink counts }.
 */
async function runVariant(ctx, line, fw, variant) {
  const port = await proc.freePort();
  const name = `${line.id}/${fw.id}/${variant.id}`;
  const env = childEnv({ PORT: String(port), OTLP_ENDPOINT: ctx.sink.url, OTLP_PROTOCOL: ctx.opts.protocol, UPSTREAM_URL: ctx.upstream.url, ...variant.env });
  const before = await ctx.sink.stats();
  const server = await proc.startNode(path.join(line.servers, variant.file), { env, node: line.nodePath, cpu: ctx.pin.server, name });
  try {
    const runtime = verifyServer(line, server, { name, otel: variant.otel, kit: variant.kit });
    const url = `http://127.0.0.1:${port}`;
    for (const route of variant.routes) await probe(url, route);
    const load = { url, connections: ctx.opts.connections, cpu: ctx.pin.load };
    for (const route of variant.routes) await warmUp(ctx, { ...load, script: ROUTES[route].script });
    const routes = {};
    for (const route of variant.routes) {
      // A window in which other processes took much of the server's core is measured again (up
      // to --retries times) and the least disturbed one kept: the choice is made on the
      // disturbance, never on the result. Not when the core was already busy before the window
      // (the gate above timed out): the machine is loaded throughout, and another window would
      // only take longer.
      let best;
      let attempts = 0;
      while (attempts <= ctx.opts.retries) {
        const m = await measureWindow(ctx, server, { ...load, script: ROUTES[route].script });
        attempts++;
        if (best === undefined || m.others < best.others) best = m;
        if (!(m.others > OTHERS_LIMIT) || !m.quietBefore) break;
      }
      routes[route] = { ...best, attempts };
    }
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`${name} died during the run:\n${server.stderrTail()}`);
    const { peakRss } = proc.memory(server.pid);
    return { routes, peakRss, runtime, before };
  } finally {
    await proc.stop(server);
  }
}

function machineInfo(opts, pin) {
  const cpus = os.cpus();
  const wrk = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' });
  const pkg = require('../package.json');
  return {
    date: new Date().toISOString(),
    cpuCount: cpus.length,
    cpuModel: cpus[0] ? cpus[0].model.trim() : 'unknown',
    node: process.version,
    wrk: ((wrk.stdout || '') + (wrk.stderr || '')).split('\n')[0].split(' Copyright')[0] || 'unknown',
    kit: `${pkg.name} ${pkg.version}${git.status === 0 ? ` (${git.stdout.trim()})` : ''}, from dist/`,
    pinning: pin.note,
    connections: opts.connections,
    rounds: opts.rounds,
    duration: opts.duration,
    warmup: opts.warmup,
    warmupRequests: opts.warmupRequests,
    retries: opts.retries,
    protocol: opts.protocol,
    argv: process.argv.slice(2).join(' '),
  };
}

async function runBenchmark(ctx) {
  const { opts, lines } = ctx;
  const { frameworks } = opts;
  // results[line][framework][variant] = { routes: { route: [one entry per round] }, peakRss: [], runtime }
  const results = {};
  const problems = [];
  for (const line of lines) {
    results[line.id] = {};
    for (const fw of frameworks) {
      results[line.id][fw.id] = {};
      for (const v of fw.variants) results[line.id][fw.id][v.id] = { routes: {}, peakRss: [] };
    }
  }
  if (ctx.busy > 0.1) problems.push(`before the run, ${fmt.pct(ctx.busy)} of the machine's CPU was busy with other processes: throughput figures are noisy, CPU µs/req less so`);
  const perRound = lines.length * frameworks.flatMap((f) => f.variants).reduce((s, v) => s + v.routes.length * (opts.warmup + opts.duration) + 1, 0);
  console.log(`${opts.rounds} round(s) of ${lines.map((l) => l.title).join(' and ')}, about ${Math.ceil((perRound * opts.rounds) / 60)} min in all\n`);

  for (let round = 1; round <= opts.rounds; round++) {
    // Interleaved: every variant of every line once per round, in the same order, so drift of
    // the machine's speed hits all alike, and a variant's cost over bare is taken within a round.
    for (const line of lines) {
      for (const fw of frameworks) {
        for (const v of fw.variants) {
          const r = await runVariant(ctx, line, fw, v);
          const slot = results[line.id][fw.id][v.id];
          slot.peakRss.push(r.peakRss);
          slot.runtime ||= r.runtime;
          const where = `round ${round}, ${line.title}, ${fw.title} / ${v.label}`;
          const parts = [];
          for (const [route, w] of Object.entries(r.routes)) {
            (slot.routes[route] ||= []).push({ ...w, round });
            parts.push(`${route} ${fmt.int(w.rps)} req/s p99 ${fmt.ms(w.p99)} ${fmt.num(w.cpuMicros)} µs CPU/req (others ${fmt.pct(w.others)}${w.attempts > 1 ? `, ${w.attempts} windows` : ''})`);
            if (w.others > OTHERS_LIMIT) problems.push(`${where}, ${route}: other processes took ${fmt.pct(w.others)} of the server's core in the least disturbed of ${w.attempts} windows`);
            if (w.cpuBusy < 0.85) problems.push(`${where}, ${route}: the server used only ${fmt.pct(w.cpuBusy)} of its core (starved by other processes, or not saturated): its req/s understates it; its CPU µs/req still holds`);
            if (w.non2xx > 0 || w.socketErrors > 0) problems.push(`${where}, ${route}: ${w.non2xx} non-2xx responses, ${w.socketErrors} socket errors`);
          }
          const after = await ctx.sink.stats();
          const spans = after.traces - r.before.traces;
          // Spans leave in batches of 512 or every 5 s, so the 1%-sampled variant may send none
          // in a short run; metrics go every second from every telemetry variant.
          if (v.telemetry && !v.sampled && spans === 0) problems.push(`${where}: no trace export reached the sink`);
          if (v.telemetry && after.metrics === r.before.metrics) problems.push(`${where}: no metric export reached the sink`);
          console.log(`[round ${round}/${opts.rounds}] ${`${line.id}/${fw.id}/${v.id}`.padEnd(27)} ${parts.join(' | ')} | peak RSS ${fmt.mb(r.peakRss)}${v.telemetry ? ` | ${spans} trace / ${after.metrics - r.before.metrics} metric exports` : ''}`);
        }
      }
    }
  }

  if (opts.rounds < 3 || opts.duration < 5) problems.push(`a smoke run (${opts.rounds} round(s) of ${opts.duration} s): use at least 3 rounds of 5 s for numbers to quote`);
  const report = buildReport({ meta: machineInfo(opts, ctx.pin), lines, frameworks, results, problems });
  // The record of hot-path changes (kept by hand, measured with --instructions) goes with every report.
  const hotPath = path.join(__dirname, 'hot-path.md');
  fs.writeFileSync(opts.out, fs.existsSync(hotPath) ? report + fs.readFileSync(hotPath, 'utf8') : report);
  console.log(`\n${report}\nWritten to ${path.relative(process.cwd(), opts.out)}`);
}

/** Builds what each line needs (Node binary, workspace) and says what it runs on. */
function prepareLines(ids) {
  return ids.map((id) => {
    const line = prepareLine(id);
    console.log(`${line.title}: ${line.nodeVersion} (${line.nodePath}), @opentelemetry/api ${line.api}, servers in ${line.servers}`);
    return line;
  });
}

async function main() {
  if (process.argv.includes('--instructions')) {
    // Deterministic companion to the wrk run: instructions per request under callgrind.
    ensureBuilt(false);
    await require('./instructions').main(process.argv.slice(2).filter((a) => a !== '--instructions'));
    return;
  }
  const opts = parseOptions(process.argv.slice(2));
  if (opts.help) {
    console.log(HELP);
    return;
  }
  proc.installCleanup();
  ensureWrk();
  ensureBuilt(opts.build);
  const lines = prepareLines(opts.lines);
  const pin = proc.planPinning();
  console.log(`Pinning: ${pin.note}`);
  // Anything else running on the machine moves throughput; measured before we start anything,
  // and reported where the numbers are read.
  const busy = await proc.machineBusy();
  const ctx = { opts, lines, pin, busy, childEnv, startSink, machineInfo };
  try {
    if (opts.soak) {
      await runSoak(ctx);
    } else {
      ctx.upstream = await startUpstream(pin);
      ctx.sink = await startSink(pin);
      await runBenchmark(ctx);
    }
  } finally {
    proc.killAll();
  }
}

main().catch((err) => {
  console.error(`\nbench failed: ${err && err.stack ? err.stack : err}`);
  proc.killAll('SIGKILL');
  process.exitCode = 1;
});
