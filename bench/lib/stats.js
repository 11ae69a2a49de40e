'use strict';
// The one statistic the tables need. Medians, not means: one noisy round (a GC storm, another
// process waking up) should not move the result.

function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

module.exports = { median };
