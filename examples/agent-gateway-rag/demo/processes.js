'use strict';
// Starts the three services as real Node processes on 127.0.0.1 (free ports), wires their URLs,
// and stops them: gracefully (SIGTERM: they flush their telemetry), then SIGKILL after a bound.
const { spawn } = require('node:child_process');
const path = require('node:path');

const SERVICES_DIR = path.join(__dirname, '..');
const READY_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 7000; // a service bounds its own stop to 5 s
const KEEP_LINES = 200;

/**
 * Starts one service process. Resolves with its handle (URL, recent output, a bounded stop())
 * once it prints its "listening on" line; rejects if it exits or is not ready in time.
 */
function startService(name, env) {
  const child = spawn(process.execPath, [path.join(SERVICES_DIR, `${name}.js`)], {
    cwd: SERVICES_DIR,
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  const keep = (stream) => (chunk) => {
    for (const line of String(chunk).split('\n')) if (line !== '') lines.push(`${stream === 'stderr' ? '!' : ' '} ${line}`);
    if (lines.length > KEEP_LINES) lines.splice(0, lines.length - KEEP_LINES);
  };
  child.stdout.on('data', keep('stdout'));
  child.stderr.on('data', keep('stderr'));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const service = {
    name,
    child,
    url: undefined,
    exited,
    output: () => lines.join('\n'),
    isRunning: () => child.exitCode === null && child.signalCode === null,
    /** SIGTERM, then SIGKILL if it has not exited within the bound. Resolves with the exit. */
    async stop() {
      if (service.isRunning()) child.kill('SIGTERM');
      const timer = setTimeout(() => service.isRunning() && child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const ready = new Promise((resolve, reject) => {
    const pattern = new RegExp(`^${name} listening on (http://127\\.0\\.0\\.1:\\d+)$`, 'm');
    let seen = '';
    const onData = (chunk) => {
      seen += String(chunk);
      const match = pattern.exec(seen);
      if (match) {
        cleanup();
        service.url = match[1];
        resolve(service);
      } else if (seen.length > 65536) seen = seen.slice(-4096);
    };
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    const onExit = ({ code, signal }) => fail(new Error(`${name} exited before listening (code ${code}, signal ${signal})`));
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
    }
    function fail(err) {
      cleanup();
      if (service.isRunning()) child.kill('SIGKILL');
      err.output = service.output();
      reject(err);
    }
    child.stdout.on('data', onData);
    exited.then(onExit);
    child.once('error', fail);
  });
  // The handle is there before the service is ready, so it can be stopped during start-up.
  ready.service = service;
  return ready;
}

/**
 * The three services, started in dependency order (gateway, rag, agent), each given the URLs of
 * the ones it calls. `env` goes to all three (the OTLP endpoint, export intervals).
 */
class ServiceGroup {
  constructor(env = {}) {
    this.env = env;
    this.services = [];
  }

  async start() {
    const gateway = await this.add('gateway', {});
    const rag = await this.add('rag', { GATEWAY_URL: gateway.url });
    await this.add('agent', { GATEWAY_URL: gateway.url, RAG_URL: rag.url });
    return this.urls();
  }

  async add(name, env) {
    const pending = startService(name, { ...this.env, ...env });
    // Registered before it is ready, so a stop() during start-up reaches it too.
    this.services.push(pending.service);
    return pending;
  }

  urls() {
    return Object.fromEntries(this.services.map((s) => [s.name, s.url]));
  }

  /** Stops every service (the callers first, so no request is cut off) and waits for each. */
  async stop() {
    const exits = {};
    for (const service of [...this.services].reverse()) exits[service.name] = await service.stop();
    return exits;
  }

  /** Last resort on process exit: SIGKILL whatever still runs (synchronous). */
  killNow() {
    for (const service of this.services) if (service.isRunning()) service.child.kill('SIGKILL');
  }

  output() {
    return this.services.map((s) => `--- ${s.name} ---\n${s.output()}`).join('\n');
  }
}

module.exports = { ServiceGroup, startService };
