'use strict';
// Runs wrk and reads its text output (`--latency` adds the percentile block we need).
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { pinned, run } = require('./proc');

const SCRIPTS = path.join(__dirname, '..', 'wrk');

// wrk prints durations with these units (see its units.c); everything is turned into ms.
const TIME_UNITS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: cannot read the duration "${text}"`);
  return Number(m[1]) * TIME_UNITS[m[2]];
}

/**
 * Parses wrk's output into { rps, p50, p99 (ms), requests, non2xx, socketErrors }.
 * Throws when the lines it needs are missing, so a wrk failure never becomes a zero in a table.
 */
function parseWrk(output) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output);
  const p99 = /^\s+99%\s+(\S+)/m.exec(output);
  const total = /^\s+(\d+) requests in /m.exec(output);
  if (!rps || !p50 || !p99 || !total) throw new Error(`wrk: unexpected output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    rps: Number(rps[1]),
    p50: toMs(p50[1]),
    p99: toMs(p99[1]),
    requests: Number(total[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** Runs wrk against url with one of the wrk/*.lua scripts, pinned to cpu; resolves the parsed result. */
async function runWrk({ url, script, seconds, connections, cpu }) {
  // One thread: the load core is a single CPU, and one wrk thread outruns one Node core.
  const wrkArgs = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', path.join(SCRIPTS, `${script}.lua`), url];
  const [cmd, args] = pinned(cpu, 'wrk', wrkArgs);
  const { code, signal, stdout, stderr } = await run(cmd, args);
  if (code !== 0) throw new Error(`wrk exited (${signal || code}): ${stderr || stdout}`);
  return parseWrk(stdout);
}

function hasWrk() {
  const r = spawnSync('wrk', ['-v'], { stdio: 'ignore' });
  return !r.error;
}

module.exports = { parseWrk, runWrk, hasWrk, toMs };
