'use strict';
// Writes dist/esm/*.mjs: ES module entry points that re-export the CommonJS build.
// One build, two loaders: `import` and `require()` see the same module instance, so the
// kit's process-wide state (the active telemetry, cached instruments) is never duplicated
// (the "dual package hazard" of shipping two separate builds).
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const entries = { index: 'src/index.js', express: 'middleware/express.js', koa: 'middleware/koa.js' };
fs.mkdirSync(path.join(dist, 'esm'), { recursive: true });
for (const [name, target] of Object.entries(entries)) {
  const names = Object.keys(require(path.join(dist, target))).filter((k) => k !== '__esModule');
  const source =
    `import cjs from '../${target}';\n` +
    `export const { ${names.join(', ')} } = cjs;\n` +
    `export default cjs;\n`;
  fs.writeFileSync(path.join(dist, 'esm', `${name}.mjs`), source);
}
