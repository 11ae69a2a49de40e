'use strict';
// The README and docs/: every code block meant to run is compiled here, or is the verbatim content
// of a file the tests run (a `<!-- file: path -->` line before the block says which), and the
// install line is the one the install tests use.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const ts = require('typescript');
const YAML = require('yaml');

const ROOT = path.join(__dirname, '..');
const DOCS = ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Fenced code blocks of a markdown file: language, code, the file a marker names, line number. */
function codeBlocks(file) {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (open === null) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    const marker = /^<!-- file: (\S+) -->$/.exec(lines[start - 1] ?? '');
    blocks.push({ lang: open[1], code: body.join('\n'), file: marker?.[1], line: start + 1 });
  }
  return blocks;
}

function compileJs(code, where) {
  if (/^\s*(import|export)\s/m.test(code)) {
    const tmp = path.join(os.tmpdir(), `motadata-docs-${process.pid}.mjs`);
    fs.writeFileSync(tmp, code);
    try {
      execFileSync(process.execPath, ['--check', tmp], { stdio: 'pipe' });
    } catch (err) {
      assert.fail(`${where}: ${err.stderr}`);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return;
  }
  // Snippets may await at their top level: compiled as the body of an async function.
  assert.doesNotThrow(() => new vm.Script(`(async () => {\n${code}\n})`, { filename: where }), where);
}

function compileTs(code, where) {
  const { diagnostics } = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.CommonJS } });
  assert.deepEqual(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [], where);
}

describe('README.md and docs/: code blocks', () => {
  for (const doc of DOCS) {
    describe(doc, () => {
      const blocks = codeBlocks(doc);
      for (const block of blocks) {
        const where = `${doc}:${block.line}`;
        if (block.file !== undefined) {
          it(`line ${block.line} is ${block.file}, verbatim`, () => {
            assert.equal(block.code, fs.readFileSync(path.join(ROOT, block.file), 'utf8').replace(/\n$/, ''));
          });
        } else if (block.lang === 'js') {
          it(`line ${block.line} (js) compiles`, () => compileJs(block.code, where));
        } else if (block.lang === 'ts') {
          it(`line ${block.line} (ts) compiles`, () => compileTs(block.code, where));
        } else if (block.lang === 'json') {
          it(`line ${block.line} (json) parses`, () => assert.doesNotThrow(() => JSON.parse(block.code), where));
        } else if (block.lang === 'yaml' || block.lang === 'yml') {
          it(`line ${block.line} (yaml) parses`, () => assert.doesNotThrow(() => YAML.parse(block.code), where));
        } else if (block.lang === 'sh' || block.lang === 'bash') {
          it(`line ${block.line} (sh) is valid shell`, () => execFileSync('bash', ['-n', '-c', block.code], { stdio: 'pipe' }));
        }
      }
    });
  }

  it('README.md shows the install line the install tests run', () => {
    const { README_INSTALL_LINE } = require('./install/support');
    const installBlocks = codeBlocks('README.md').filter((b) => /^npm install /m.test(b.code));
    assert.deepEqual(installBlocks.map((b) => b.code), [README_INSTALL_LINE]);
  });
});
