'use strict';
// Child processes of the runner: starting them (pinned to a core when taskset works), waiting
// for their "ready", reading their memory from /proc, and killing every one of them on exit,
// Ctrl-C or failure. Nothing here kills a process the runner did not start.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

const children = new Set();

/** Ends every live child; called on exit and on signals. Synchronous, so it works in 'exit'. */
function killAll(signal = 'SIGTERM') {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }
}

let cleanupInstalled = false;
/** Makes sure no child outlives the runner, however it ends. */
function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => killAll('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping the benchmark and its child processes`);
      killAll('SIGTERM');
      // 'exit' then SIGKILLs whatever did not stop.
      process.exit(130);
    });
  }
}

/** The CPUs this process may run on, from /proc/self/status (e.g. "0-1" or "0,2-3"). */
function allowedCpus() {
  try {
    const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
    const cpus = [];
    for (const part of line.split(':')[1].trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let c = a; c <= (b === undefined ? a : b); c++) cpus.push(c);
    }
    return cpus;
  } catch {
    return [];
  }
}

/**
 * Decides the pinning: the server on one CPU, wrk + sink + upstream + this runner on another.
 * Returns { server, load, note }; server/load are undefined when pinning is not possible.
 */
function planPinning() {
  const cpus = allowedCpus();
  if (cpus.length < 2) return { note: `not pinned: only ${cpus.length || 'an unknown number of'} CPU(s) available to this process` };
  const [server, load] = cpus;
  for (const cpu of [server, load]) {
    const r = spawnSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' });
    if (r.error || r.status !== 0) {
      return { note: `not pinned: \`taskset -c ${cpu} true\` failed (${r.error ? r.error.code : `exit ${r.status}`}); server and load share the CPUs, so per-request costs include contention` };
    }
  }
  // Move the runner itself off the server's core, so its bookkeeping never steals from the server.
  spawnSync('taskset', ['-a', '-p', '-c', String(load), String(process.pid)], { stdio: 'ignore' });
  return { server, load, note: `server pinned to CPU ${server}; wrk, sink, upstream and runner pinned to CPU ${load}` };
}

/** The command line for `cmd args` on `cpu` (taskset execs, so the pid stays the program's). */
function pinned(cpu, cmd, args) {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/** A port nobody listens on right now (also used as the "stopped sink": connection refused). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node file` with env, pinned to cpu, and resolves when it prints "ready"; `node` is the
 * binary (this process's by default). What the child printed before "ready" is kept as
 * `child.startupOutput`. Rejects (and kills it) when it exits first or is not ready within
 * timeoutMs.
 */
function startNode(file, { env, cpu, node = process.execPath, name = file, timeoutMs = 20_000 }) {
  installCleanup();
  const [cmd, args] = pinned(cpu, node, [file]);
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 8192) stderr = stderr.slice(-8192);
  });
  child.name = name;
  child.stderrTail = () => stderr.trim();
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name}: ${why}${stderr ? `\n--- stderr ---\n${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, sig) => fail(`exited (${sig || code}) before it was ready`));
    child.stdout.on('data', (d) => {
      out += d;
      if (/^ready$/m.test(out)) {
        clearTimeout(timer);
        child.startupOutput = out;
        child.removeAllListeners('exit');
        child.on('exit', () => children.delete(child));
        child.stdout.resume();
        resolve(child);
      }
    });
  });
}

/** Stops a child and waits for it to be gone (SIGKILL after graceMs). */
function stop(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** VmHWM (peak RSS) and VmRSS of a live process, in bytes, from /proc/PID/status. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => {
    const m = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { peakRss: kib('VmHWM'), rss: kib('VmRSS') };
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout) > 0 ? Number(r.stdout) : 100;
})();

/**
 * CPU seconds (user + system) a live process has used so far, from /proc/PID/stat. Read around
 * a wrk run it gives the server's own CPU per request, which other load on the machine does
 * not inflate the way it deflates throughput.
 */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)", which may itself hold spaces: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/**
 * Busy and total time of one CPU so far, in clock ticks, from its line in /proc/stat (busy:
 * everything but idle and iowait). Read around a measurement together with the server's own
 * CPU time, it tells how much of the server's core other processes took.
 */
function cpuTicks(cpu) {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

/** Share of all CPUs busy over `ms`, from /proc/stat: something else running skews a benchmark. */
async function machineBusy(ms = 1000) {
  const read = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] || 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    await new Promise((r) => setTimeout(r, ms));
    const b = read();
    return 1 - (b.idle - a.idle) / (b.total - a.total || 1);
  } catch {
    return NaN;
  }
}

/** Runs a short-lived command to completion (tracked, so Ctrl-C kills it too). */
function run(cmd, args) {
  installCleanup();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

module.exports = { installCleanup, killAll, planPinning, pinned, freePort, startNode, stop, memory, cpuSeconds, cpuTicks, CLK_TCK, machineBusy, run };
