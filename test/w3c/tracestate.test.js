'use strict';
// TraceContextTest of the W3C Trace Context test suite (w3c/trace-context, test/test.py): its
// tracestate cases, each an `it` named after the official case and making its assertions. The
// header lists are the suite's; the caller is unsampled (flags 00) in most of them, and the
// tracestate must be passed on all the same. See https://www.w3.org/TR/trace-context-2/#tracestate-header
const assert = require('node:assert/strict');
const { describeW3cSuite, serialize, valuesOf } = require('../fixtures/w3c/harness');

const TRACE_ID = '12345678901234567890123456789012';
const TRACEPARENT = ['traceparent', `00-${TRACE_ID}-1234567890123456-00`];
/** The case's headers: the traceparent, then one tracestate header per value. */
const withTracestate = (...values) => [TRACEPARENT, ...values.map((value) => ['tracestate', value])];

describeW3cSuite('TraceContextTest, tracestate', ({ single }) => {
  /** The trace continues and the tracestate passed on holds exactly `expected` ({ key: value }) among its members. */
  const inherits = async (headers, expected) => {
    const { traceparent, tracestate } = await single(headers);
    assert.equal(traceparent.traceId, TRACE_ID);
    for (const [key, value] of Object.entries(expected)) assert.equal(tracestate.get(key), value, `${key} in ${serialize(tracestate)}`);
    return tracestate;
  };
  /** The trace continues without the caller's tracestate (none of `keys` passed on). */
  const discards = async (headers, keys) => {
    const { traceparent, tracestate } = await single(headers);
    assert.equal(traceparent.traceId, TRACE_ID, 'an invalid tracestate does not affect the traceparent');
    for (const key of keys) assert.equal(tracestate.has(key), false, `${key} in ${serialize(tracestate)}`);
  };

  it('test_tracestate_included_traceparent_missing', async () => {
    const first = await single([['tracestate', 'foo=1']]);
    const second = await single([['tracestate', 'foo=1,bar=2']]);
    assert.equal(first.tracestate.size, second.tracestate.size);
    // Beyond the suite: without a traceparent the tracestate is not parsed at all.
    // See https://www.w3.org/TR/trace-context-2/#tracestate-header
    assert.equal(second.tracestate.size, 0);
  });

  it('test_tracestate_included_traceparent_included', async () => {
    await inherits(withTracestate('foo=1,bar=2'), { foo: '1', bar: '2' });
  });

  it('test_tracestate_header_name', async () => {
    await discards([TRACEPARENT, ['trace-state', 'foo=1']], ['foo']);
    await discards([TRACEPARENT, ['trace.state', 'foo=1']], ['foo']);
  });

  it('test_tracestate_header_name_valid_casing', async () => {
    for (const name of ['TraceState', 'TrAcEsTaTe', 'TRACESTATE']) await inherits([TRACEPARENT, [name, 'foo=1']], { foo: '1' });
  });

  it('test_tracestate_empty_header', async () => {
    const { traceparent, headers } = await single(withTracestate(''));
    assert.equal(traceparent.traceId, TRACE_ID);
    // Beyond the suite: an empty tracestate is accepted, but not sent on (SHOULD avoid sending).
    assert.deepEqual(valuesOf(headers, 'tracestate'), []);
    await inherits(withTracestate('foo=1', ''), { foo: '1' });
    await inherits(withTracestate('', 'foo=1'), { foo: '1' });
  });

  it('test_tracestate_multiple_headers_different_keys', async () => {
    const tracestate = serialize(await inherits(withTracestate('foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'), {}));
    const order = ['foo=1', 'bar=2', 'rojo=1', 'congo=2', 'baz=3'].map((member) => tracestate.indexOf(member));
    assert.ok(!order.includes(-1), tracestate);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `the headers combined in order: ${tracestate}`);
  });

  // A key may appear once (https://www.w3.org/TR/trace-context-2/#combined-header-value): the
  // suite expects a repeated key not to be passed on, whether its two members come in one header
  // or two. Keeping the first would fail it. The kit discards the whole tracestate, so `foo` is
  // gone, and the trace continues.
  it('test_tracestate_duplicated_keys', async () => {
    await discards(withTracestate('foo=1,foo=1'), ['foo']);
    await discards(withTracestate('foo=1,foo=2'), ['foo']);
    await discards(withTracestate('foo=1', 'foo=1'), ['foo']);
    await discards(withTracestate('foo=1', 'foo=2'), ['foo']);
  });

  it('test_tracestate_all_allowed_characters', async () => {
    const keyWithoutVendor = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
    const keyWithVendor = `${keyWithoutVendor}@a-z0-9_-*/`;
    const ranges = [
      [0x20, 0x2b],
      [0x2d, 0x3c],
      [0x3e, 0x7e],
    ];
    const value = ranges.map(([from, to]) => String.fromCharCode(...Array.from({ length: to - from + 1 }, (_, i) => from + i))).join('');
    await inherits(withTracestate(`${keyWithoutVendor}=${value}`), { [keyWithoutVendor]: value });
    await inherits(withTracestate(`${keyWithVendor}=${value}`), { [keyWithVendor]: value });
  });

  it('test_tracestate_ows_handling', async () => {
    await inherits(withTracestate('foo=1 \t , \t bar=2, \t baz=3'), { foo: '1', bar: '2', baz: '3' });
    await inherits(withTracestate('foo=1\t \t,\t \tbar=2,\t \tbaz=3'), { foo: '1', bar: '2', baz: '3' });
    for (const value of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) await inherits(withTracestate(value), { foo: '1' });
  });

  it('test_tracestate_key_illegal_characters', async () => {
    await discards(withTracestate('foo =1'), ['foo ', 'foo']);
    await discards(withTracestate('FOO=1'), ['FOO']);
    await discards(withTracestate('foo.bar=1'), ['foo.bar']);
  });

  // By the Level 2 grammar, which the suite's key cases follow since June 2026: `@` is a key
  // character like any other (https://www.w3.org/TR/trace-context-2/#key), so only a key that
  // starts with one is illegal. Before, the case tested Level 1's tenant@system form and expected
  // all four headers discarded.
  it('test_tracestate_key_illegal_vendor_format', async () => {
    await inherits(withTracestate('foo@=1,bar=2'), { 'foo@': '1', bar: '2' });
    await discards(withTracestate('@foo=1,bar=2'), ['@foo', 'bar']);
    await inherits(withTracestate('foo@@bar=1,bar=2'), { 'foo@@bar': '1', bar: '2' });
    await inherits(withTracestate('foo@bar@baz=1,bar=2'), { 'foo@bar@baz': '1', bar: '2' });
  });

  it('test_tracestate_member_count_limit', async () => {
    const members = Array.from({ length: 33 }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${String(i + 1).padStart(2, '0')}`);
    const headers = (count) => withTracestate(...[0, 10, 20, 30].map((from) => members.slice(from, Math.min(from + 10, count)).join(',')));
    const tracestate = await inherits(headers(32), { bar01: '01' });
    assert.equal(tracestate.size, 32);
    await discards(headers(33), ['bar01']);
  });

  // Level 2 limits a key to 256 characters, `@` or not (https://www.w3.org/TR/trace-context-2/#key).
  // Before June 2026 the suite still held `@` keys to Level 1's tenant (241) and system (14)
  // parts, and expected the 242-character tenant and the 15-character system discarded.
  it('test_tracestate_key_length_limit', async () => {
    await inherits(withTracestate('foo=1', `${'z'.repeat(256)}=1`), { foo: '1', ['z'.repeat(256)]: '1' });
    await discards(withTracestate('foo=1', `${'z'.repeat(257)}=1`), ['foo']);
    await inherits(withTracestate('foo=1', `${'t'.repeat(241)}@${'v'.repeat(14)}=1`), { foo: '1' });
    await inherits(withTracestate('foo=1', `${'t'.repeat(242)}@v=1`), { foo: '1' });
    await inherits(withTracestate('foo=1', `t@${'v'.repeat(15)}=1`), { foo: '1' });
    // Beyond the suite: the same 257-character limit with an `@` in the key.
    await discards(withTracestate('foo=1', `${'t'.repeat(242)}@${'v'.repeat(14)}=1`), ['foo']);
  });

  it('test_tracestate_value_illegal_characters', async () => {
    await discards(withTracestate('foo=bar=baz'), ['foo']);
    await discards(withTracestate('foo=,bar=3'), ['foo', 'bar']);
  });
});
