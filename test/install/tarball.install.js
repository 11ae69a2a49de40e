'use strict';
// What `npm pack` puts in the tarball, and what attw and publint say of it.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, kit, report, run } = require('./support');

const TOP_LEVEL = ['LICENSE', 'README.md', 'package.json'];
const SHIPPED = /\.(js|js\.map|d\.ts|mjs|d\.mts)$/;

/** Every file under dir, relative to it, with / separators. */
function filesUnder(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

describe('the packed kit', function () {
  this.timeout(300_000);
  let packed;
  let listed;

  before(async () => {
    packed = await kit(); // builds dist/ (the prepare script) and packs
    const dryRun = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    assert.equal(dryRun.code, 0, report(dryRun));
    listed = JSON.parse(dryRun.stdout)[0].files.map((f) => f.path).sort();
  });

  describe('npm pack --dry-run --json', () => {
    it('lists the same files as the tarball', () => {
      assert.deepEqual(listed, filesUnder(packed.dir).sort());
    });

    it(`ships ${TOP_LEVEL.join(', ')} at the top`, () => {
      assert.deepEqual(listed.filter((f) => !f.includes('/')), TOP_LEVEL);
    });

    it('ships exactly the built files of dist/, source maps with their sources inlined', () => {
      const built = filesUnder(path.join(ROOT, 'dist')).map((f) => `dist/${f}`);
      assert.deepEqual(listed.filter((f) => f.includes('/')), built.filter((f) => SHIPPED.test(f)).sort());
      const maps = listed.filter((f) => f.endsWith('.js.map'));
      assert.ok(maps.length > 0, 'source maps are shipped');
      for (const map of maps) {
        const { sources, sourcesContent } = JSON.parse(fs.readFileSync(path.join(packed.dir, map), 'utf8'));
        assert.equal(sourcesContent?.length, sources.length, `${map} carries its sources`);
      }
    });

    it('ships no tests, examples, benchmarks, scripts, docs or TypeScript sources', () => {
      const unwanted = listed.filter((f) => /^(test|examples|bench|scripts|docs|lines|src|middleware)\//.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)));
      assert.deepEqual(unwanted, []);
    });

    it('ships every file that main, types, typesVersions and exports name', () => {
      const pkg = packed.pkg;
      const targets = (value) => (typeof value === 'string' ? [value] : Object.values(value).flatMap(targets));
      const named = [pkg.main, pkg.types, ...Object.values(pkg.typesVersions['*']).flat(), ...targets(pkg.exports)];
      const missing = named.map((f) => f.replace(/^\.\//, '')).filter((f) => !listed.includes(f));
      assert.deepEqual(missing, []);
    });

    it('ships no .js whose //# sourceMappingURL names a file not in the tarball', () => {
      const dangling = listed.filter((f) => /\.m?js$/.test(f)).filter((f) => {
        const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(packed.dir, f), 'utf8'))?.[1];
        return url !== undefined && !url.startsWith('data:') && !listed.includes(path.posix.join(path.posix.dirname(f), url));
      });
      assert.deepEqual(dangling, [], `${dangling.length} of ${listed.filter((f) => /\.m?js$/.test(f)).length} .js files point at a map that is not shipped`);
    });
  });

  describe('linters, on the tarball', () => {
    it('@arethetypeswrong/cli 0.18.5 finds no problem for any entry point and resolution', async () => {
      const attw = await run('npx', ['--yes', '@arethetypeswrong/cli@0.18.5', packed.tarball, '--format', 'json'], { cwd: path.dirname(packed.tarball) });
      assert.equal(attw.code, 0, report(attw));
      const { analysis, problems } = JSON.parse(attw.stdout);
      assert.deepEqual(Object.keys(analysis.entrypoints).sort(), ['.', './express', './koa', './package.json']);
      assert.deepEqual(analysis.problems, [], attw.stdout);
      assert.deepEqual(problems, {}, attw.stdout);
    });

    describe('publint 0.3.25', () => {
      let publint;
      before(async () => {
        publint = await run('npx', ['--yes', 'publint@0.3.25', 'run', packed.tarball], { cwd: path.dirname(packed.tarball) });
      });

      it('reports no error and no warning', () => {
        assert.equal(publint.code, 0, report(publint));
        assert.doesNotMatch(publint.output, /^(Errors|Warnings):/m, report(publint));
      });

      it('makes no suggestion', () => {
        assert.doesNotMatch(publint.output, /^Suggestions:/m, report(publint));
      });
    });
  });
});
