'use strict';
// A new app with nothing installed runs the README's one install line. On Node 24 npm picks the
// OpenTelemetry JS 3.x line, on Node 20 the 2.x line; either way the install is clean once the app
// has recorded its protobufjs decision, and initTelemetry() with the Express middleware works.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { README_INSTALL_LINE, assertCleanInstall, assertTraced, copyFixtures, kit, npmWarnLines, report, run, runFixture, tempDir } = require('./support');

const [NPM, ...INSTALL_ARGS] = README_INSTALL_LINE.split(' ');

/** What `npm init -y` writes (npm 11), with the app's decision on protobufjs's install script. */
function newApp(name, registry, { allowScripts = true } = {}) {
  const dir = tempDir(name);
  const pkg = {
    name,
    version: '1.0.0',
    description: '',
    main: 'index.js',
    scripts: { test: 'echo "Error: no test specified" && exit 1' },
    keywords: [],
    author: '',
    license: 'ISC',
    type: 'commonjs',
    ...(allowScripts ? { allowScripts: { protobufjs: false } } : {}),
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, '.npmrc'), `@motadata:registry=${registry}\n`);
  return dir;
}

describe(`a new app: ${README_INSTALL_LINE}`, function () {
  this.timeout(300_000);
  const apps = {};

  before(async () => {
    const { registry, tarball } = await kit();
    const install = async (name, node, options, args = INSTALL_ARGS) => {
      const dir = newApp(name, registry, options);
      apps[name] = { dir, node, install: await run(NPM, args, { cwd: dir, node }) };
      copyFixtures(dir, ['serve.js', 'init-telemetry.js']);
    };
    // Independent apps: installed side by side (npm's cache is safe to share).
    await Promise.all([
      install('node24', 24, {}),
      install('node20', 20, {}),
      install('node24-no-allowscripts', 24, { allowScripts: false }),
      install('node24-tarball-file', 24, {}, INSTALL_ARGS.map((a) => (a === '@motadata/otel' ? tarball : a))),
    ]);
  });

  const LINES = [
    { name: 'node24', node: 24, sdkNode: /^0\.3\d\d\./, line: 'sdk-node 0.3xx, the 3.x line' },
    { name: 'node20', node: 20, sdkNode: /^0\.2\d\d\./, line: 'sdk-node 0.2xx, the 2.x line' },
  ];
  for (const { name, node, sdkNode, line } of LINES) {
    describe(`on Node ${node}`, () => {
      it('exits 0 with no npm warn line', () => {
        assertCleanInstall(apps[name].install);
      });

      it(`gets ${line}; initTelemetry() and the Express middleware trace and measure`, async () => {
        const seen = await runFixture(apps[name].dir, node, 'init-telemetry.js', ['express']);
        assert.match(seen.versions.sdkNode, sdkNode, JSON.stringify(seen.versions));
        assertTraced(seen, ['express']);
      });
    });
  }

  it('without allowScripts, npm warns about protobufjs\'s postinstall (from sdk-node) and nothing else', () => {
    const { install } = apps['node24-no-allowscripts'];
    assert.equal(install.code, 0, report(install));
    const warned = npmWarnLines(install.output).filter((l) => /^npm warn install-scripts {3}\S/.test(l));
    assert.deepEqual(warned.map((l) => l.replace(/@[\d.]+ .*/, '')), ['npm warn install-scripts   protobufjs'], report(install));
  });

  it('with the packed tarball file in place of @motadata/otel: exits 0; npm only notes the kit\'s prepare script (a git or file source), no ERESOLVE or peer warning', () => {
    // npm 11 lists `prepare` (which builds a git checkout) for non-registry sources only; it does
    // not run it for a packed tarball, whose dist/ is already built.
    const { install } = apps['node24-tarball-file'];
    assert.equal(install.code, 0, report(install));
    assert.doesNotMatch(install.output, /ERESOLVE|peer|EBADENGINE|deprecated/i, report(install));
    const warned = npmWarnLines(install.output).filter((l) => /^npm warn install-scripts {3}\S/.test(l));
    assert.deepEqual(warned.map((l) => l.replace(/@[\d.]+ .*/, '')), ['npm warn install-scripts   @motadata/otel'], report(install));
  });
});
