'use strict';
// The few statistics the tables need. Medians, not means: one noisy round (a GC storm, another
// process waking up) should not move the result.

function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** (max - min) / median: how far apart the rounds were; large values mean a noisy machine. */
function spread(values) {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length < 2) return NaN;
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

/**
 * Server time added per request, in µs, versus the baseline: 1/throughput − 1/baseline. With
 * the server pinned to one saturated core, 1/throughput is the CPU time one request costs.
 */
function addedMicros(rps, baselineRps) {
  return (1 / rps - 1 / baselineRps) * 1e6;
}

module.exports = { median, spread, addedMicros };
