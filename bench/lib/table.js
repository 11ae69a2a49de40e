'use strict';
// Markdown tables that also read well on a terminal (columns padded to equal width), and the
// number formats used in them.

/** rows: arrays of strings; align: 'l' or 'r' per column. */
function markdownTable(header, rows, align = header.map((_, i) => (i === 0 ? 'l' : 'r'))) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length), 3));
  const cell = (text, i) => (align[i] === 'r' ? String(text).padStart(widths[i]) : String(text).padEnd(widths[i]));
  const line = (cells) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

const fmt = {
  int: (v) => (isNum(v) ? Math.round(v).toLocaleString('en-US') : 'n/a'),
  num: (v) => (isNum(v) ? v.toFixed(1) : 'n/a'),
  ms: (v) => (isNum(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : 'n/a'),
  mb: (bytes) => (isNum(bytes) ? `${(bytes / 1048576).toFixed(1)} MB` : 'n/a'),
  ratio: (v) => (isNum(v) ? `${v.toFixed(2)}×` : 'n/a'),
  pct: (v) => (isNum(v) ? `${(v * 100).toFixed(1)}%` : 'n/a'),
  micros: (v) => (isNum(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)} µs` : 'n/a'),
};

module.exports = { markdownTable, fmt };
