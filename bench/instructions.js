'use strict';
// Instructions per request, counted by valgrind's callgrind: the kit's cost next to bare and the
// official route, repeatable to within about 1% on any machine, busy or not (wrk's req/s on a
// shared 2-core VM moved by 15-100% between rounds). Each variant serves N requests under
// callgrind after a warm-up; the counters are zeroed before and dumped after, so start-up and
// JIT warm-up are left out. Writes bench/instructions.md.
//
//   npm run bench -- --instructions [--requests 1500] [--warmup-requests 3000] [--framework express|koa|all]
//                                   [--only <substring of a variant's label>] [--route items|generate|proxy]
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { prepareLine } = require('./lib/lines');

// The issue's throughput targets, per framework: kit vs bare, and with sampleRatio 0.01.
const TARGETS = { express: { kit: 0.85, sampled: 0.95 }, koa: { kit: 0.6, sampled: 0.85 } };

const VARIANTS = {
  express: [
    ['bare Express 5', 'express-bare.js', {}],
    ['Express 5 + kit', 'express-kit.js', { SAMPLE_RATIO: '1' }],
    ['Express 5 + kit, sampleRatio 0.01', 'express-kit.js', { SAMPLE_RATIO: '0.01' }],
    ['Express 5 + official (http only)', 'express-official-http.js', {}],
    ['Express 5 + official (http + express)', 'express-official.js', {}],
    ['Express 5 + OTel context only (no SDK)', 'express-context.js', {}],
    ['Express 5 + one SDK span by hand (no kit)', 'express-span.js', {}],
  ],
  koa: [
    ['bare Koa 3', 'koa-bare.js', {}],
    ['Koa 3 + kit', 'koa-kit.js', { SAMPLE_RATIO: '1' }],
    ['Koa 3 + kit, sampleRatio 0.01', 'koa-kit.js', { SAMPLE_RATIO: '0.01' }],
    ['Koa 3 + official (http only)', 'koa-official-http.js', {}],
    ['Koa 3 + official (http + koa)', 'koa-official.js', {}],
    ['Koa 3 + OTel context only (no SDK)', 'koa-context.js', {}],
    ['Koa 3 + one SDK span by hand (no kit)', 'koa-span.js', {}],
  ],
};

// The proxy route's variants: the outgoing call's cost (bare calls global fetch untraced).
const PROXY_VARIANTS = {
  express: [
    ['bare Express 5 + fetch', 'express-bare.js', {}],
    ['Express 5 + kit, automatic propagation', 'express-kit.js', { SAMPLE_RATIO: '1' }],
    ['Express 5 + kit + tracedFetch', 'express-kit.js', { SAMPLE_RATIO: '1', PROXY_FETCH: 'tracedFetch' }],
    ['Express 5 + official (http + undici)', 'express-official-http.js', { OFFICIAL_UNDICI: '1' }],
    ['Express 5 + SERVER and CLIENT span by hand (floor)', 'express-span.js', {}],
  ],
  koa: [
    ['bare Koa 3 + fetch', 'koa-bare.js', {}],
    ['Koa 3 + kit, automatic propagation', 'koa-kit.js', { SAMPLE_RATIO: '1' }],
    ['Koa 3 + kit + tracedFetch', 'koa-kit.js', { SAMPLE_RATIO: '1', PROXY_FETCH: 'tracedFetch' }],
    ['Koa 3 + official (http + undici)', 'koa-official-http.js', { OFFICIAL_UNDICI: '1' }],
    ['Koa 3 + SERVER and CLIENT span by hand (floor)', 'koa-span.js', {}],
  ],
};

// Under callgrind a request takes ~50 times longer, so anything driven by the wall clock would
// run ~50 times more often per request than under real load and swamp the count (a metric
// export each second, span batches cut by the 5 s timer at 40 spans instead of by size at 512;
// a run on a busy machine counted 926k instructions per Koa request instead of 427k). These
// make every variant's export work per request what it is at full speed: spans leave in full
// batches, and metrics (one export per second against thousands of requests) not in the window.
const CLOCK_FREE = { OTEL_BSP_SCHEDULE_DELAY: '600000', METRIC_INTERVAL_MS: '600000' };
// V8's memory reducer also runs on the wall clock: under callgrind's slowdown it took the heap
// for idle and ran full collections, and one Koa variant counted 345k in one run and 553k in
// the next. Without it, two runs of one variant differ by up to ~8% (GC and JIT timing still
// vary). --predictable-gc-schedule held runs within 3% but fixes the heap's growth, which
// changed what it measured: bare Koa 243k instead of 288k, Express + kit 1,066k instead of ~910k.
const V8_FLAGS = ['--no-memory-reducer'];
// Why only the main thread is counted: Under wrk, V8's helper threads (concurrent marking and
// sweeping, background compilation) used ~3% of a Koa server's CPU (27 of 800 ticks in 8 s, from
// /proc/<pid>/task); under callgrind's slowdown they counted ~140k instructions per request in
// every variant, bare Koa included, as much as its main thread. Counted, that constant pulled
// every ratio toward 1 (Koa + kit, sampleRatio 0.01: 0.86× with it, 0.75× without, where wrk
// showed 0.75×) and was most of the run-to-run spread (two runs of one variant: 277k and 380k
// with it, 183k and 192k without). The report shows them per variant, uncounted.

function flag(args, name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
}

function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const GENERATE_BODY = JSON.stringify({ prompt: 'write a haiku about tail latency' });

/**
 * `count` requests, `concurrency` at a time, over keep-alive sockets: GET /v1/items/:id, or
 * POST /v1/generate (one recordCost in the kit) with `route` 'generate', or GET /v1/proxy/:id
 * (a fetch to the upstream service; tracedFetch in the kit) with `route` 'proxy'.
 */
function load(port, count, route = 'items', concurrency = 10) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const next = () => {
      if (sent >= count) return;
      const i = sent++;
      const generate = route === 'generate';
      const headers = { 'x-tenant-id': `tenant-${i % 10}` };
      if (generate) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(GENERATE_BODY) });
      const target = generate ? '/v1/generate' : route === 'proxy' ? `/v1/proxy/${i % 1000}` : `/v1/items/${i % 1000}`;
      const options = { host: '127.0.0.1', port, method: generate ? 'POST' : 'GET', path: target, agent, headers };
      const req = http.request(options, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.resume();
        res.on('end', () => (++done === count ? (agent.destroy(), resolve()) : next()));
      });
      req.on('error', reject);
      req.end(generate ? GENERATE_BODY : undefined);
    };
    for (let k = 0; k < concurrency; k++) next();
  });
}

async function measure(line, file, env, requests, sinkUrl, warmup, route, upstreamUrl) {
  const port = await freePort();
  const out = path.join(os.tmpdir(), `motadata-callgrind-${process.pid}-${port}.out`);
  const child = spawn('valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${out}`, line.nodePath, ...V8_FLAGS, path.join(line.servers, file)], {
    cwd: line.dir,
    env: { ...process.env, ...env, ...CLOCK_FREE, NODE_ENV: 'production', PORT: String(port), OTLP_ENDPOINT: sinkUrl, ...(upstreamUrl ? { UPSTREAM_URL: upstreamUrl } : {}) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file} did not start under callgrind in 300 s`)), 300_000);
      child.stdout.on('data', (d) => String(d).includes('ready') && (clearTimeout(timer), resolve()));
      child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
    });
    // Warm-up long enough for V8 to optimise the per-request functions (a few hundred requests
    // leave much of it in the interpreter and baseline tiers, which inflates every count).
    await load(port, warmup, route);
    execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
    await load(port, requests, route);
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
  } finally {
    child.kill('SIGKILL');
  }
  const dumps = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(path.basename(out) + '.')).map((f) => path.join(os.tmpdir(), f));
  // One dump per thread: `<out>.1-01` is the main thread (JavaScript, scavenges, the sockets'
  // user-space work), the others are V8's helper threads (why they are left out: above V8_FLAGS).
  let main = 0;
  let others = 0;
  for (const dump of dumps) {
    const count = Number(/^(?:summary|totals):\s+(\d+)/m.exec(fs.readFileSync(dump, 'utf8'))[1]);
    if (dump.endsWith('-01')) main += count;
    else others += count;
  }
  for (const f of [out, ...dumps]) fs.rmSync(f, { force: true });
  if (main === 0) throw new Error(`${file}: callgrind wrote no main-thread dump`);
  return { perRequest: main / requests, othersPerRequest: others / requests };
}

async function main(args) {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('valgrind is needed: apt-get install -y valgrind');
  }
  const requests = Number(flag(args, 'requests', 3000));
  const framework = flag(args, 'framework', 'all');
  const warmup = Number(flag(args, 'warmup-requests', 3000));
  const only = flag(args, 'only', undefined);
  const route = flag(args, 'route', 'items');
  if (!['items', 'generate', 'proxy'].includes(route)) throw new Error(`--route must be items, generate or proxy, got ${route}`);
  // One line per run: Node 20 + 2.x (the default, as instructions.md has been counted) or Node
  // 24 + 3.x from .lines/otel3 (written to instructions-otel3.md).
  const line = prepareLine(flag(args, 'line', 'otel2'));
  const report = line.id === 'otel2' ? 'instructions.md' : `instructions-${line.id}.md`;
  const sinkPort = await freePort();
  const sink = spawn(process.execPath, [path.join(__dirname, 'sink.js')], { env: { ...process.env, PORT: String(sinkPort) }, stdio: 'ignore' });
  // The proxy route's second service, outside callgrind: its work is not the server's.
  let upstream;
  let upstreamUrl;
  if (route === 'proxy') {
    const upstreamPort = await freePort();
    upstream = spawn(process.execPath, [path.join(__dirname, 'upstream.js')], { env: { ...process.env, PORT: String(upstreamPort) }, stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => upstream.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
    upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  }
  const lines = [
    '# Instructions per request (callgrind)',
    '',
    `Generated by \`npm run bench -- --instructions${line.id === 'otel2' ? '' : ` --line ${line.id}`}\` on ${new Date().toISOString()}: ${line.title} (Node ${line.nodeVersion}, @opentelemetry/api ${line.api}), ${requests} × \`GET /v1/items/:id\` per variant (10 at a time, keep-alive, after ${warmup} warm-up requests), every request with \`x-tenant-id\`.`,
    '',
    'Instructions of the server\'s main thread, where the requests are served. V8\'s helper threads',
    '(concurrent GC, background compilation) are shown but not counted: under wrk they used ~3% of',
    'the server\'s CPU, under callgrind\'s slowdown as much as the main thread, in every variant alike',
    '(see `bench/instructions.js`). With the export timers and V8\'s memory reducer taken off the',
    'wall clock, two runs of one variant differ by ~5%. The counts leave out the kernel\'s socket',
    'work and cache misses: *vs bare* is bare instructions ÷ variant instructions, the throughput',
    'ratio a saturated core would show if every instruction cost the same.',
    '',
  ];
  // Every variant is measured first, two at a time (one per core: the counts do not depend on
  // what else runs), then the tables are written in the variants' order.
  const jobs = [];
  for (const [name, variants] of Object.entries(route === 'proxy' ? PROXY_VARIANTS : VARIANTS)) {
    if (framework !== 'all' && framework !== name) continue;
    variants.forEach(([label, file, env], i) => {
      if (only !== undefined && !label.includes(only) && i > 0) return;
      jobs.push({ name, label, file, env });
    });
  }
  const counts = new Map();
  try {
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const counted = await measure(line, job.file, job.env, requests, `http://127.0.0.1:${sinkPort}`, warmup, route, upstreamUrl);
        counts.set(job.label, counted);
        console.log(`${job.label.padEnd(40)} ${Math.round(counted.perRequest).toLocaleString('en-US').padStart(12)} instructions/request (other threads ${Math.round(counted.othersPerRequest).toLocaleString('en-US')})`);
      }
    };
    await Promise.all([worker(), worker()]);
    for (const [name, variants] of Object.entries(VARIANTS)) {
      if (framework !== 'all' && framework !== name) continue;
      if (route !== 'items') continue; // other routes print their rows and write no report
      const rows = variants.filter(([label]) => counts.has(label)).map(([label]) => ({ label, ...counts.get(label) }));
      if (only !== undefined) continue; // a partial run prints its rows and writes no report
      const bare = rows[0].perRequest;
      const byLabel = Object.fromEntries(rows.map((r) => [r.label, r.perRequest]));
      const kit = rows[1].perRequest;
      lines.push(`## ${name === 'express' ? 'Express 5' : 'Koa 3'}`, '', '| variant | instructions / request (main thread) | vs bare | added / request | V8 helper threads (not counted) |', '|:--|--:|--:|--:|--:|');
      const format = (n) => Math.round(n).toLocaleString('en-US');
      for (const r of rows) {
        lines.push(`| ${r.label} | ${format(r.perRequest)} | ${(bare / r.perRequest).toFixed(2)}× | ${r === rows[0] ? '—' : `+${format(r.perRequest - bare)}`} | ${format(r.othersPerRequest)} |`);
      }
      lines.push('');
      for (const r of rows.slice(3, 5)) lines.push(`- kit / ${r.label.replace(/^(Express 5|Koa 3) \+ /, '')}: **${(r.perRequest / kit).toFixed(2)}×** (the official route runs ${(r.perRequest / kit).toFixed(2)} times the kit's instructions per request)`);
      lines.push(`- kit with sampleRatio 0.01: ${(bare / byLabel[rows[2].label]).toFixed(2)}× bare`);
      if (rows[5] !== undefined) {
        lines.push(`- OTel context alone (AsyncLocalStorage and one \`context.with\` per request, no SDK): ${(bare / rows[5].perRequest).toFixed(2)}× bare, +${format(rows[5].perRequest - bare)} per request. Any setup that runs handlers with an active span pays this on Node ${line.node} (${line.node < 24 ? "async_hooks' promise hooks on every promise" : 'AsyncLocalStorage on AsyncContextFrame'}); it is ${Math.round((100 * (rows[5].perRequest - bare)) / (byLabel[rows[2].label] - bare))}% of what the kit adds to an unsampled request.`);
      }
      if (rows[6] !== undefined) {
        lines.push(`- One SERVER span by hand on the plain SDK (the official variants' SDK set-up, no instrumentation; the kit's span attributes; \`bench/lib/span-only.js\`): ${(bare / rows[6].perRequest).toFixed(2)}× bare, +${format(rows[6].perRequest - bare)} per request. This is the floor for a request whose span is exported, context included; ${kit >= rows[6].perRequest ? `the kit adds +${format(kit - rows[6].perRequest)} to it (tenant validation and cap, the latency metric, Server-Timing, route templates, extraction checks)` : `the kit measured ${format(rows[6].perRequest - kit)} below it, within the ~5% two runs of one variant differ by: the kit's own work costs less than that spread here`}.`);
      }
      lines.push('');
      if (byLabel[rows[2].label] > kit) {
        lines.push(`⚠ The sampleRatio 0.01 variant counted more than the fully sampled one, which does strictly more work: in this run the run-to-run spread (GC and JIT timing) was larger than the difference, so read these ${name} rows as ±10%.`, '');
      }
      // The issue's targets are wall-clock throughput ratios; this is how the counts compare.
      const target = TARGETS[name];
      const checks = [
        ['kit vs bare', bare / kit, target.kit],
        ['kit sampleRatio 0.01 vs bare', bare / byLabel[rows[2].label], target.sampled],
        ['official (http only) / kit', byLabel[rows[3].label] / kit, 1.5],
        [`official (http + ${name}) / kit`, byLabel[rows[4].label] / kit, 2],
      ];
      lines.push('| target (as instruction ratios) | measured | target | |', '|:--|--:|--:|:--|');
      // Three decimals where two would round a miss up to the target (1.496 is not 1.50).
      const shown = (value, want) => value.toFixed(value < want && value.toFixed(2) === want.toFixed(2) ? 3 : 2);
      for (const [what, value, want] of checks) lines.push(`| ${what} | ${shown(value, want)}× | ≥ ${want.toFixed(2)}× | ${value >= want ? 'met' : 'missed'} |`);
      lines.push('');
    }
  } finally {
    sink.kill();
    upstream?.kill();
  }
  if (only !== undefined || route !== 'items') return; // the report is the items route's
  fs.writeFileSync(path.join(__dirname, report), lines.join('\n'));
  console.log(`wrote bench/${report}`);
}

module.exports = { main };
if (require.main === module) main(process.argv.slice(2)).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
