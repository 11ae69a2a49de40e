'use strict';
// Reusable supertest `.expect(fn)` checks.
const assert = require('node:assert/strict');

const TRACE_METRIC = /(?:^|,\s*)trace;desc=(00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2}))(?:\s*,|$)/;

/** Parses the trace metric of a response's Server-Timing header. */
function traceFromServerTiming(res) {
  const header = res.headers['server-timing'];
  assert.ok(header, 'response has a Server-Timing header');
  const match = TRACE_METRIC.exec(header);
  assert.ok(match, `Server-Timing has a trace metric: ${header}`);
  return { traceparent: match[1], traceId: match[2], spanId: match[3], flags: parseInt(match[4], 16) };
}

/** `.expect(shouldHaveServerTiming(traceId))`: the caller gets this trace id back. */
function shouldHaveServerTiming(traceId) {
  return (res) => assert.equal(traceFromServerTiming(res).traceId, traceId);
}

module.exports = { traceFromServerTiming, shouldHaveServerTiming };
