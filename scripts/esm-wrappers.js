'use strict';
// Writes dist/esm/*.mjs and their .d.mts: ES module entry points that re-export the CommonJS
// build. One build, two loaders: `import` and `require()` see the same module instance, so the
// kit's process-wide state (the active telemetry, cached instruments) is never duplicated (the
// "dual package hazard" of shipping two separate builds). The .d.mts files give `import` its own
// ESM types, so TypeScript and attw see an ES module there, not CommonJS types masquerading as one.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const entries = { index: 'src/index', express: 'middleware/express', koa: 'middleware/koa' };
fs.mkdirSync(path.join(dist, 'esm'), { recursive: true });
for (const [name, target] of Object.entries(entries)) {
  const names = Object.keys(require(path.join(dist, `${target}.js`))).filter((k) => k !== '__esModule');
  const code = `import cjs from '../${target}.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`;
  const types = `export * from '../${target}.js';\nimport * as cjs from '../${target}.js';\nexport default cjs;\n`;
  fs.writeFileSync(path.join(dist, 'esm', `${name}.mjs`), code);
  fs.writeFileSync(path.join(dist, 'esm', `${name}.d.mts`), types);
}
