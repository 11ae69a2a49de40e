'use strict';
// AdvancedTest of the W3C Trace Context test suite (w3c/trace-context, test/test.py): the service
// calls the harness back three times for one request, and each call has a parent id of its own.
// See https://www.w3.org/TR/trace-context-2/#parent-id
const assert = require('node:assert/strict');
const { describeW3cSuite, traceparentOf } = require('../fixtures/w3c/harness');

const TRACE_ID = '12345678901234567890123456789012';

describeW3cSuite('AdvancedTest', ({ request }) => {
  /** The trace ids and parent ids of three callbacks made for one request with `headers`. */
  const threeCallbacks = async (headers) => {
    const traceparents = (await request(headers, 3)).map(traceparentOf);
    return { traceIds: new Set(traceparents.map((t) => t.traceId)), parentIds: new Set(traceparents.map((t) => t.parentId)) };
  };

  it('test_multiple_requests_with_valid_traceparent', async () => {
    const { traceIds, parentIds } = await threeCallbacks([['traceparent', `00-${TRACE_ID}-1234567890123456-01`]]);
    assert.deepEqual([...traceIds], [TRACE_ID]);
    assert.equal(parentIds.size, 3);
  });

  it('test_multiple_requests_without_traceparent', async () => {
    const { traceIds, parentIds } = await threeCallbacks([]);
    assert.equal(parentIds.size, 3);
    // Beyond the suite: the three calls belong to the one trace the request started.
    assert.equal(traceIds.size, 1);
  });

  it('test_multiple_requests_with_illegal_traceparent', async () => {
    const { traceIds, parentIds } = await threeCallbacks([['traceparent', `00-${'0'.repeat(32)}-1234567890123456-01`]]);
    assert.equal(traceIds.has('0'.repeat(32)), false);
    assert.equal(parentIds.size, 3);
    assert.equal(traceIds.size, 1, 'one new trace for the request');
  });
});
