'use strict';
// TypeScript apps compile against the packed kit's types with strict checks and skipLibCheck
// off, under TypeScript 5.9 and 7, as CommonJS and as ES modules, with no OpenTelemetry SDK
// installed: the published declarations need only the API and the frameworks' types.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { copyFixtures, kit, makeApp, report, run } = require('./support');

// Both compilers are the apps' devDependencies (TypeScript 7 under an alias), run by path.
const COMPILERS = [
  { version: '5.9.3', bin: 'node_modules/typescript/bin/tsc' },
  { version: '7.0.2', bin: 'node_modules/typescript7/bin/tsc' },
];
const STRICT = { target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] };
const CONFIGS = {
  'express-cjs': { app: 'express', compilerOptions: { ...STRICT, module: 'commonjs', esModuleInterop: true }, files: ['express-app.ts'] },
  'express-node16': { app: 'express', compilerOptions: { ...STRICT, module: 'node16' }, files: ['express-esm.mts'] },
  'express-nodenext': { app: 'express', compilerOptions: { ...STRICT, module: 'nodenext' }, files: ['express-esm.mts'] },
  'koa-cjs': { app: 'koa', compilerOptions: { ...STRICT, module: 'commonjs', esModuleInterop: true }, files: ['koa-app.ts'] },
  'koa-state': { app: 'koa', compilerOptions: { ...STRICT, module: 'commonjs', esModuleInterop: true }, files: ['koa-state-typed.ts'] },
};
// Express and Koa in separate apps: Express 5.3 hoists content-disposition 2, whose own types
// @types/koa then picks up instead of @types/content-disposition (TS2694, with or without the kit).
const APPS = {
  express: {
    dependencies: { '@opentelemetry/api': '1.10.0', express: '5.3.0' },
    devDependencies: { '@types/node': '20.19.43', '@types/express': '5.0.6', typescript: '5.9.3', typescript7: 'npm:typescript@7.0.2' },
  },
  koa: {
    dependencies: { '@opentelemetry/api': '1.9.0', koa: '3.3.0', '@koa/router': '15.7.0' },
    devDependencies: { '@types/node': '20.19.43', '@types/koa': '3.0.3', typescript: '5.9.3', typescript7: 'npm:typescript@7.0.2' },
  },
};
// What a published declaration file may import: the API peer, the frameworks' types, Node's.
const ALLOWED = /^(\.|@opentelemetry\/api$|express$|express-serve-static-core$|koa$|node:)/;

/** The module specifiers a declaration file imports, references or augments (comments left out). */
function specifiersIn(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/(?!\/\s*<reference).*$/gm, '');
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+|\bdeclare\s+module\s+|<reference\s+(?:types|path)\s*=\s*)['"]([^'"]+)['"]/g;
  return [...code.matchAll(re)].map((m) => m[1]);
}

/** The declaration file a relative specifier in `from` names. */
function resolveDts(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.d.ts'), base.replace(/\.mjs$/, '.d.mts'), `${base}.d.ts`, path.join(base, 'index.d.ts')];
  return candidates.find((file) => fs.existsSync(file) && fs.statSync(file).isFile());
}

describe('TypeScript apps on the packed kit, with no OpenTelemetry SDK installed', function () {
  this.timeout(300_000);
  const apps = {};
  let packed;

  before(async () => {
    packed = await kit();
    await Promise.all(Object.entries(APPS).map(async ([name, pkg]) => {
      const dir = makeApp(`ts-${name}`, { ...pkg, dependencies: { ...pkg.dependencies, '@motadata/otel': packed.pkg.version } }, packed.registry);
      const install = await run('npm', ['install'], { cwd: dir, node: 24 });
      assert.equal(install.code, 0, report(install));
      apps[name] = dir;
    }));
    for (const [name, { app, ...config }] of Object.entries(CONFIGS)) {
      copyFixtures(apps[app], config.files.map((file) => path.join('ts', file)));
      const tsconfig = { ...config, files: config.files.map((file) => `ts/${file}`) };
      fs.writeFileSync(path.join(apps[app], `tsconfig.${name}.json`), JSON.stringify(tsconfig, null, 2));
    }
  });

  const tsc = (compiler, name) => run('node', [compiler.bin, '-p', `tsconfig.${name}.json`], { cwd: apps[CONFIGS[name].app], node: 24 });

  it('the apps have @opentelemetry/api and the kit\'s semantic-conventions, no other OpenTelemetry package', () => {
    for (const dir of Object.values(apps)) {
      assert.deepEqual(fs.readdirSync(path.join(dir, 'node_modules', '@opentelemetry')).sort(), ['api', 'semantic-conventions']);
    }
  });

  const CASES = [
    ['express-cjs', 'Express, module commonjs: otelMiddleware, req.otel typed (tenantId, traceId, recordCost), initTelemetry, tracedFetch'],
    ['express-node16', 'Express as an ES module, module node16: import from @motadata/otel/express, req.otel typed'],
    ['express-nodenext', 'Express as an ES module, module nodenext: the same'],
    ['koa-cjs', 'Koa 3 and @koa/router, module commonjs: otelMiddleware, ctx.state.otel, initTelemetry'],
  ];
  for (const compiler of COMPILERS) {
    describe(`TypeScript ${compiler.version} (strict, skipLibCheck false)`, () => {
      const results = {};
      before(async () => {
        // Independent compilations, run side by side.
        const names = ['version', ...CASES.map(([name]) => name)];
        const runs = await Promise.all(names.map((name) => (name === 'version'
          ? run('node', [compiler.bin, '--version'], { cwd: apps.express, node: 24 })
          : tsc(compiler, name))));
        names.forEach((name, i) => (results[name] = runs[i]));
      });

      it('is the compiler run (tsc --version)', () => {
        assert.equal(results.version.stdout.trim(), `Version ${compiler.version}`, report(results.version));
      });

      for (const [name, title] of CASES) {
        it(`compiles ${title}`, () => {
          assert.equal(results[name].code, 0, report(results[name]));
        });
      }
    });
  }

  it('Koa: ctx.state.otel has the kit\'s type, not Koa\'s default any (TypeScript 5.9.3)', async () => {
    const result = await tsc(COMPILERS[0], 'koa-state');
    assert.equal(result.code, 0, report(result));
  });

  describe('the published declaration files (.d.ts, .d.mts)', () => {
    const declarations = () => fs.readdirSync(path.join(packed.dir, 'dist'), { recursive: true })
      .filter((file) => /\.d\.m?ts$/.test(file))
      .map((file) => path.join(packed.dir, 'dist', file));
    const outside = (files) => files.flatMap((file) => specifiersIn(fs.readFileSync(file, 'utf8'))
      .filter((spec) => !ALLOWED.test(spec))
      .map((spec) => `${path.relative(packed.dir, file)}: ${spec}`));

    it('that the entry points reach import only @opentelemetry/api, express, express-serve-static-core, koa and node:*', () => {
      const pkg = packed.pkg;
      const targets = (value) => (typeof value === 'string' ? [value] : Object.values(value).flatMap(targets));
      const entries = [pkg.types, ...Object.values(pkg.typesVersions['*']).flat(), ...targets(pkg.exports).filter((f) => /\.d\.m?ts$/.test(f))];
      const reached = new Set(entries.map((f) => path.join(packed.dir, f)));
      for (const file of reached) {
        for (const spec of specifiersIn(fs.readFileSync(file, 'utf8')).filter((s) => s.startsWith('.'))) {
          const target = resolveDts(file, spec);
          assert.ok(target, `${path.relative(packed.dir, file)} imports ${spec}, which is not in the tarball`);
          reached.add(target);
        }
      }
      assert.ok(reached.size > 10, `only ${reached.size} declaration files reached`);
      assert.deepEqual(outside([...reached]), []);
    });

    it('every one imports only @opentelemetry/api, express, express-serve-static-core, koa and node:*', () => {
      const files = declarations();
      assert.ok(files.length > 30, `only ${files.length} declaration files`);
      assert.deepEqual(outside(files), []);
    });
  });
});
