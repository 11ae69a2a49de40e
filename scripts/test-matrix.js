'use strict';
// `npm test`: builds once, then runs the mocha suite in each cell of the matrix (a Node version
// and an OpenTelemetry line), in order, and closes with "N passed, N failed" summed over cells.
//
//   node scripts/test-matrix.js [--cell NAME]... [--without prometheus] [-- MOCHA-ARGS...]
//
//   --cell NAME         run only this cell (repeatable; also TEST_MATRIX_CELLS="a,b")
//   --without NAME      this machine cannot have NAME (prometheus, registry): leave out the test
//                       files and cells that need it (said loudly); without the flag, those tests
//                       fail when NAME is missing
//   -- MOCHA-ARGS       passed to mocha; spec files among them replace .mocharc.json's spec
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureNode } = require('./node-binary');
const { ensureLine, resolvePackage } = require('./line-workspace');

const root = path.join(__dirname, '..');
const CELLS = [
  { name: 'node24-otel3', node: 24, line: 'otel3' },
  { name: 'node22-otel3', node: 22, line: 'otel3' },
  { name: 'node20-otel2', node: 20, line: 'otel2' },
  // The packed kit installed into fresh apps of each line from the npm registry (test/install/).
  { name: 'install', node: 20, line: 'otel2', config: 'test/install/.mocharc.json', needs: 'registry' },
];
// Test files that need a program outside npm, by program.
const NEEDS = { prometheus: ['test/prometheus-scrape.test.js', 'test/e2e/observability-rules.test.js', 'test/e2e/observability-prometheus.test.js'], registry: [] };

function parseArgs(argv) {
  const opts = { cells: [], without: [], mocha: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (argv[i] === '--') {
      opts.mocha = argv.slice(i + 1);
      break;
    }
    if (flag === '--cell') opts.cells.push(value());
    else if (flag === '--without') opts.without.push(value());
    else usage(`unknown argument ${argv[i]}`);
  }
  if (opts.cells.length === 0 && process.env.TEST_MATRIX_CELLS) opts.cells = process.env.TEST_MATRIX_CELLS.split(/[\s,]+/).filter(Boolean);
  for (const c of opts.cells) if (!CELLS.some((cell) => cell.name === c)) usage(`unknown cell ${c}`);
  for (const w of opts.without) if (!NEEDS[w]) usage(`unknown --without ${w}`);
  return opts;
}

function usage(message) {
  console.error(`${message}\nusage: node scripts/test-matrix.js [--cell NAME]... [--without ${Object.keys(NEEDS).join('|')}] [-- MOCHA-ARGS...]`);
  console.error(`cells: ${CELLS.map((c) => c.name).join(', ')}`);
  process.exit(2);
}

// Mocha combines positional spec files with .mocharc.json's spec; to run only the named ones,
// the cell uses a copy of the config without its spec (in .lines/, which git ignores).
function mochaArgs(opts) {
  const args = [...opts.mocha];
  const isSpec = (a) => !a.startsWith('-') && (/[*?{]/.test(a) || fs.existsSync(path.resolve(root, a)));
  if (args.some(isSpec)) {
    const config = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.json'), 'utf8'));
    delete config.spec;
    const file = path.join(root, '.lines', 'mocharc-without-spec.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(config));
    args.unshift('--config', file);
  }
  for (const w of opts.without) for (const file of NEEDS[w]) args.push('--ignore', file);
  return args;
}

// Mocha's closing counts; a run that ends without them (a crash) counts as one failure.
function counts(output, code, signal) {
  const last = (word) => [...output.matchAll(new RegExp(`^ *(\\d+) ${word}\\b`, 'gm'))].map((m) => Number(m[1])).pop();
  const passing = last('passing');
  const result = { passed: passing ?? 0, failed: last('failing') ?? 0, pending: last('pending') ?? 0 };
  if (passing === undefined) result.note = `no mocha summary (exit ${signal ?? code})`;
  if ((passing === undefined || code !== 0) && result.failed === 0) result.failed = 1;
  return result;
}

function runCell(cell, args) {
  const started = Date.now();
  const done = (result) => ({ cell: cell.name, seconds: Math.round((Date.now() - started) / 1000), ...result });
  let node;
  let cwd;
  try {
    node = ensureNode(cell.node);
    cwd = ensureLine(cell.line, node);
  } catch (err) {
    console.log(`\n=== ${cell.name}: could not be set up: ${err.message}`);
    return Promise.resolve(done({ passed: 0, failed: 1, pending: 0, note: 'setup failed' }));
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const api = resolvePackage(cwd, '@opentelemetry/api').version;
  console.log(`\n=== ${cell.name}: Node ${version}, @opentelemetry/api ${api}, in ${path.relative(root, cwd) || '.'} ===`);
  const env = { ...process.env, NODE_ENV: 'test' };
  if (node !== process.execPath) env.PATH = `${path.dirname(node)}${path.delimiter}${process.env.PATH}`; // `node` is the cell's
  if (cwd !== root) {
    env.MOTADATA_LINE_FORBID = path.join(root, 'node_modules');
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --require "${path.join(__dirname, 'line-guard.js')}"`.trim();
  }
  const child = spawn(node, [path.join('node_modules', 'mocha', 'bin', 'mocha.js'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output = (output + chunk).slice(-20000);
  });
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(done(counts(output, code, signal)))));
}

function build() {
  console.log('=== build (npm run build) ===');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cells = CELLS.filter((c) => (opts.cells.length === 0 ? !opts.without.includes(c.needs) : opts.cells.includes(c.name)));
  const started = Date.now();
  const results = [];
  if (!build()) {
    results.push({ cell: 'build', passed: 0, failed: 1, pending: 0, seconds: 0, note: 'npm run build failed; no cell ran' });
  } else {
    const args = mochaArgs(opts);
    for (const cell of cells) results.push(await runCell(cell, cell.config === undefined ? args : ['--config', cell.config, ...opts.mocha]));
  }

  console.log(`\n=== summary (${Math.round((Date.now() - started) / 1000)}s) ===`);
  for (const w of opts.without) {
    const files = NEEDS[w].length > 0 ? `${NEEDS[w].length} test file(s) left out of every cell (${NEEDS[w].join(', ')})` : '';
    const skippedCells = CELLS.filter((c) => c.needs === w).map((c) => c.name);
    const what = [files, skippedCells.length > 0 ? `cell ${skippedCells.join(', ')} not run` : ''].filter(Boolean).join('; ');
    console.log(`!!! --without ${w}: ${what}, because this machine was declared unable to reach ${w}`);
  }
  for (const r of results) {
    console.log(`${r.cell}: ${r.passed} passing, ${r.failed} failing, ${r.pending} pending (${r.seconds}s)${r.note ? ` - ${r.note}` : ''}`);
  }
  const sum = (key) => results.reduce((n, r) => n + r[key], 0);
  const pending = sum('pending');
  console.log(`${sum('passed')} passed, ${sum('failed')} failed${pending ? `, ${pending} skipped` : ''}`);
  process.exitCode = sum('failed') > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
