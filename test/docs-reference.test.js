'use strict';
// docs/reference.md lists every metric the kit records with the unit and instrument the
// catalogue (src/metric-catalogue.ts) gives it, and no metric the catalogue does not have.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { METRIC_CATALOGUE } = require('@motadata/otel');

/** The docs folder: next to test/ in the repository, one level up in a line workspace's copy. */
function docsFile(name) {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'docs', name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`docs/${name} not found above ${__dirname}`);
}

/** Rows of the reference's metric tables: name → { instrument, unit }. */
function documentedMetrics() {
  const rows = new Map();
  for (const line of fs.readFileSync(docsFile('reference.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !/^(histogram|counter|gauge)/.test(cells[2])) continue;
    const unit = cells[3].replace(/`/g, '');
    for (const name of cells[1].match(/`[a-z_.]+`/g) ?? []) rows.set(name.slice(1, -1), { instrument: cells[2].split(/[ ,]/)[0], unit });
  }
  return rows;
}

describe('docs/reference.md', () => {
  it('documents every metric of the catalogue with its instrument and unit, and no other', () => {
    const documented = documentedMetrics();
    for (const [name, definition] of Object.entries(METRIC_CATALOGUE)) {
      const row = documented.get(name);
      assert.ok(row, `${name} is documented`);
      assert.equal(row.instrument, definition.kind, `${name}: instrument`);
      if (row.unit !== '') assert.equal(row.unit, definition.unit, `${name}: unit`);
    }
    for (const name of documented.keys()) assert.ok(METRIC_CATALOGUE[name], `${name} is in the catalogue`);
  });
});
