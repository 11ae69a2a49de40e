'use strict';
// TraceContextTest of the W3C Trace Context test suite (w3c/trace-context, test/test.py): its
// traceparent cases, each an `it` named after the official case and making its assertions.
// The header lists are the suite's. See https://www.w3.org/TR/trace-context-2/#traceparent-header
const assert = require('node:assert/strict');
const { describeW3cSuite } = require('../fixtures/w3c/harness');

const TRACE_ID = '12345678901234567890123456789012';
const PARENT_ID = '1234567890123456';
const tp = (value) => [['traceparent', value]];

describeW3cSuite('TraceContextTest, traceparent', ({ single }) => {
  // Beyond the suite, the flags: every header here is sampled (01) without the random-trace-id
  // bit, and a trace the kit starts goes out sampled only, so both come out as 01.
  /** The service continued the caller's trace. */
  const continues = async (headers) => {
    const { traceId, flags } = (await single(headers)).traceparent;
    assert.equal(traceId, TRACE_ID);
    assert.equal(flags, 0x01);
  };
  /** The service started a trace of its own: the trace id is none of `ids`. */
  const restarts = async (headers, ...ids) => {
    const { traceId, flags } = (await single(headers)).traceparent;
    for (const id of ids.length === 0 ? [TRACE_ID] : ids) assert.notEqual(traceId, id);
    assert.equal(flags, 0x01);
  };

  it('test_both_traceparent_and_tracestate_missing', async () => {
    await single([]); // a valid traceparent on the callback
  });

  it('test_traceparent_included_tracestate_missing', async () => {
    const { traceparent } = await single(tp(`00-${TRACE_ID}-${PARENT_ID}-01`));
    assert.equal(traceparent.traceId, TRACE_ID);
    assert.notEqual(traceparent.parentId, PARENT_ID);
  });

  it('test_traceparent_duplicated', async () => {
    const first = '12345678901234567890123456789011';
    await restarts([...tp(`00-${first}-${PARENT_ID}-01`), ...tp(`00-${TRACE_ID}-${PARENT_ID}-01`)], first, TRACE_ID);
  });

  it('test_traceparent_header_name', async () => {
    await restarts([['trace-parent', `00-${TRACE_ID}-${PARENT_ID}-01`]]);
    await restarts([['trace.parent', `00-${TRACE_ID}-${PARENT_ID}-01`]]);
  });

  it('test_traceparent_header_name_valid_casing', async () => {
    for (const name of ['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT']) await continues([[name, `00-${TRACE_ID}-${PARENT_ID}-01`]]);
  });

  it('test_traceparent_version_0x00', async () => {
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID}-01.`));
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`));
  });

  it('test_traceparent_version_0xcc', async () => {
    await continues(tp(`cc-${TRACE_ID}-${PARENT_ID}-01`));
    await continues(tp(`cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`));
    await restarts(tp(`cc-${TRACE_ID}-${PARENT_ID}-01.what-the-future-will-be-like`));
  });

  it('test_traceparent_version_0xff', async () => {
    await restarts(tp(`ff-${TRACE_ID}-${PARENT_ID}-01`));
  });

  it('test_traceparent_version_illegal_characters', async () => {
    await restarts(tp(`.0-${TRACE_ID}-${PARENT_ID}-01`));
    await restarts(tp(`0.-${TRACE_ID}-${PARENT_ID}-01`));
  });

  it('test_traceparent_version_too_long', async () => {
    await restarts(tp(`000-${TRACE_ID}-${PARENT_ID}-01`));
    await restarts(tp(`0000-${TRACE_ID}-${PARENT_ID}-01`));
  });

  it('test_traceparent_version_too_short', async () => {
    await restarts(tp(`0-${TRACE_ID}-${PARENT_ID}-01`));
  });

  it('test_traceparent_trace_id_all_zero', async () => {
    await restarts(tp(`00-${'0'.repeat(32)}-${PARENT_ID}-01`), '0'.repeat(32));
  });

  it('test_traceparent_trace_id_illegal_characters', async () => {
    await restarts(tp(`00-.2345678901234567890123456789012-${PARENT_ID}-01`), '.2345678901234567890123456789012');
    await restarts(tp(`00-1234567890123456789012345678901.-${PARENT_ID}-01`), '1234567890123456789012345678901.');
  });

  it('test_traceparent_trace_id_too_long', async () => {
    await restarts(tp(`00-${TRACE_ID}3-${PARENT_ID}-01`), `${TRACE_ID}3`, TRACE_ID, `${TRACE_ID.slice(1)}3`);
  });

  it('test_traceparent_trace_id_too_short', async () => {
    await restarts(tp(`00-${TRACE_ID.slice(0, 31)}-${PARENT_ID}-01`), TRACE_ID.slice(0, 31));
  });

  it('test_traceparent_parent_id_all_zero', async () => {
    await restarts(tp(`00-${TRACE_ID}-${'0'.repeat(16)}-01`));
  });

  it('test_traceparent_parent_id_illegal_characters', async () => {
    await restarts(tp(`00-${TRACE_ID}-.234567890123456-01`));
    await restarts(tp(`00-${TRACE_ID}-123456789012345.-01`));
  });

  it('test_traceparent_parent_id_too_long', async () => {
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID}7-01`));
  });

  it('test_traceparent_parent_id_too_short', async () => {
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID.slice(0, 15)}-01`));
  });

  it('test_traceparent_trace_flags_illegal_characters', async () => {
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID}-.0`));
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID}-0.`));
  });

  it('test_traceparent_trace_flags_too_long', async () => {
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID}-001`));
  });

  it('test_traceparent_trace_flags_too_short', async () => {
    await restarts(tp(`00-${TRACE_ID}-${PARENT_ID}-1`));
  });

  it('test_traceparent_ows_handling', async () => {
    for (const value of [' %s', '\t%s', '%s ', '%s\t', '\t %s \t']) await continues(tp(value.replace('%s', `00-${TRACE_ID}-${PARENT_ID}-01`)));
  });
});
