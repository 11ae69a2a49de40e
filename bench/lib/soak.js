'use strict';
// Soak mode (`npm run bench -- --soak`): does a dead collector hurt the app? Express + kit is
// loaded for --soak-seconds with the OTLP endpoint pointing at a port where nothing listens
// (connection refused on every export). The kit batches spans in a bounded queue, so memory
// should level off and throughput should stay close to a twin server's with the sink up, measured
// in windows alternating with the soak's. It runs on each line of the run in turn (its Node,
// its tree), one section per line in bench/soak-results.md.
const fs = require('node:fs');
const path = require('node:path');
const proc = require('./proc');
const { verifyServer } = require('./lines');
const { runWrk } = require('./wrk');
const { median } = require('./stats');
const { fmt, markdownTable } = require('./table');

const SERVER = 'express-kit.js';
const RSS_TOLERANCE = 0.1; // the second half's highest RSS at most 10% over the first half's
const RPS_TOLERANCE = 0.1; // sink down at most 10% slower than sink up

async function startKitServer(ctx, line, otlpEndpoint) {
  const port = await proc.freePort();
  const env = ctx.childEnv({ PORT: String(port), OTLP_ENDPOINT: otlpEndpoint, OTLP_PROTOCOL: ctx.opts.protocol });
  const server = await proc.startNode(path.join(line.servers, SERVER), { env, node: line.nodePath, cpu: ctx.pin.server, name: `${line.id}/express/kit (soak)` });
  verifyServer(line, server, { name: `${line.id}/express/kit (soak)`, otel: true, kit: true });
  return { server, load: { url: `http://127.0.0.1:${port}`, connections: ctx.opts.connections, cpu: ctx.pin.load, script: 'items' } };
}

function alive(server) {
  if (server.exitCode !== null || server.signalCode !== null) throw new Error(`the soak server died:\n${server.stderrTail()}`);
}

/**
 * Whether RSS levels off, from the samples taken under load: the highest of the second half
 * against the highest of the first. Comparing the last two samples (the first version) failed
 * on the GC's sawtooth (149 MB then 177 MB, in a run whose samples stayed within 149-177 MB)
 * and passed a steady climb of 7% per sample; a leak raises the later peak, a sawtooth does not.
 */
function rssLevel(loadedRss) {
  const half = Math.floor(loadedRss.length / 2);
  const firstHalfPeak = Math.max(...loadedRss.slice(0, half));
  const secondHalfPeak = Math.max(...loadedRss.slice(half));
  return { firstHalfPeak, secondHalfPeak, growth: (secondHalfPeak - firstHalfPeak) / firstHalfPeak };
}

/** The soak on one line; returns { markdown, ok }. */
async function soakLine(ctx, line) {
  const { opts } = ctx;
  const log = (text) => console.log(text);

  // Two servers of the same app, both pinned to the server core and loaded one at a time: one
  // exporting to a port nobody listens on (connection refused on every export), one to the live
  // sink. Their windows alternate (down, up, down, up, ...), as the main benchmark interleaves
  // its variants, so a drift of this VM's speed hits both alike: the first version of this soak
  // ran the sink-up reference once, before the soak, and its ratio moved from 1.11x to 0.78x
  // between two runs of the same code.
  log(`Soak on ${line.title} (${line.nodeVersion}): Express + kit, GET /v1/items/:id, ${opts.connections} connections`);
  const sink = await ctx.startSink(ctx.pin);
  const deadPort = await proc.freePort();
  const down = await startKitServer(ctx, line, `http://127.0.0.1:${deadPort}`);
  const up = await startKitServer(ctx, line, sink.url);
  const samples = [{ label: 'start (idle)', rss: proc.memory(down.server.pid).rss }];
  if (opts.warmup > 0) {
    await runWrk({ ...down.load, seconds: opts.warmup });
    await runWrk({ ...up.load, seconds: opts.warmup });
  }
  samples.push({ label: 'after warm-up', rss: proc.memory(down.server.pid).rss });
  log(`sink down (connection refused on 127.0.0.1:${deadPort}) for ${opts.soakSeconds} s of load, each window followed by one of the sink-up server:`);
  for (const s of samples) log(`  ${s.label.padEnd(16)} RSS ${fmt.mb(s.rss)}`);
  const upWindows = [];
  let elapsed = 0;
  while (elapsed < opts.soakSeconds) {
    const seconds = Math.min(opts.soakInterval, opts.soakSeconds - elapsed);
    const w = await runWrk({ ...down.load, seconds });
    elapsed += seconds;
    alive(down.server);
    const sample = { label: `${elapsed} s`, rss: proc.memory(down.server.pid).rss, wrk: w };
    samples.push(sample);
    const u = await runWrk({ ...up.load, seconds: Math.min(seconds, opts.soakCompareSeconds) });
    alive(up.server);
    upWindows.push(u);
    sample.up = u;
    log(`  ${sample.label.padEnd(16)} RSS ${fmt.mb(sample.rss)}   ${fmt.int(w.rps)} req/s, p99 ${fmt.ms(w.p99)}${w.non2xx || w.socketErrors ? `, ⚠ ${w.non2xx} non-2xx, ${w.socketErrors} socket errors` : ''}   | sink up: ${fmt.int(u.rps)} req/s`);
  }
  const peakRss = proc.memory(down.server.pid).peakRss;
  const upRss = proc.memory(up.server.pid).rss;
  await proc.stop(down.server);
  await proc.stop(up.server);
  await sink.stop();
  const upRps = median(upWindows.map((w) => w.rps));
  const upP99 = median(upWindows.map((w) => w.p99));

  // 3. Verdicts.
  const loaded = samples.filter((s) => s.wrk);
  const downRps = median(loaded.map((s) => s.wrk.rps));
  const ratio = downRps / upRps;
  const last = samples[samples.length - 1];
  const rss = rssLevel(loaded.map((s) => s.rss));
  const rssOk = rss.growth <= RSS_TOLERANCE;
  const rpsOk = ratio >= 1 - RPS_TOLERANCE;
  const verdicts = [
    `RSS levels off: ${rssOk ? 'PASS' : 'FAIL'} (highest sample of the first half ${fmt.mb(rss.firstHalfPeak)}, of the second half ${fmt.mb(rss.secondHalfPeak)}, ${rss.growth >= 0 ? '+' : ''}${(rss.growth * 100).toFixed(1)}%, limit +${RSS_TOLERANCE * 100}%; peak ${fmt.mb(peakRss)})`,
    `throughput with the sink down: ${rpsOk ? 'PASS' : 'FAIL'} (${fmt.int(downRps)} req/s median of the soak windows vs ${fmt.int(upRps)} median of the interleaved sink-up windows = ${fmt.ratio(ratio)}, limit ≥ ${fmt.ratio(1 - RPS_TOLERANCE)})`,
  ];
  const warm = samples[1];
  verdicts.push(`RSS trend (information): ${fmt.mb(warm.rss)} after warm-up → ${fmt.mb(last.rss)} after ${elapsed} s of load (${fmt.mb(Math.max(...samples.map((x) => x.rss)))} highest sample)`);
  log('');
  for (const v of verdicts) log(v);

  const markdown = [
    `## ${line.title}`,
    '',
    `Node ${line.nodeVersion}, @opentelemetry/api ${line.api}, the server from \`${path.relative(path.join(__dirname, '..', '..'), line.servers)}\`. Two servers of the same app, loaded one at a time in alternating windows: one exporting to a dead port, one to the live sink (median ${fmt.int(upRps)} req/s, p99 ${fmt.ms(upP99)}, RSS ${fmt.mb(upRss)} at the end).`,
    '',
    markdownTable(
      ['sample (sink down)', 'RSS', 'req/s in window', 'p99', 'sink-up window after it'],
      samples.map((s) => [s.label, fmt.mb(s.rss), s.wrk ? fmt.int(s.wrk.rps) : '', s.wrk ? fmt.ms(s.wrk.p99) : '', s.up ? `${fmt.int(s.up.rps)} req/s` : '']),
    ),
    '',
    ...verdicts.map((v) => `- ${v}`),
    '',
  ].join('\n');
  return { markdown, ok: rssOk && rpsOk };
}

async function runSoak(ctx) {
  const { opts } = ctx;
  const sections = [];
  for (const line of ctx.lines) sections.push(await soakLine(ctx, line));
  const meta = ctx.machineInfo(opts, ctx.pin);
  const report = [
    '# @motadata/otel soak: Express + kit with the OTLP sink down',
    '',
    `Generated by \`npm run bench -- ${meta.argv}\` on ${meta.date}; ${meta.cpuCount} × ${meta.cpuModel}, runner on Node ${meta.node}, ${meta.wrk}; ${meta.pinning}; OTLP ${opts.protocol}.`,
    '',
    ...sections.map((s) => s.markdown),
    'Absolute numbers depend on the machine; the ratio and the RSS trend are what to compare.',
    '',
  ].join('\n');
  const out = path.join(__dirname, '..', 'soak-results.md');
  fs.writeFileSync(out, report);
  console.log(`\nWritten to ${path.relative(process.cwd(), out)}`);
  if (sections.some((s) => !s.ok)) process.exitCode = 1;
}

module.exports = { runSoak, rssLevel };
