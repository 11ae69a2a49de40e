'use strict';
// The kit's own Jaeger propagator (src/jaeger.ts), which must write and read exactly what the
// 2.x @opentelemetry/propagator-jaeger does. That package is not loaded here: the 3.x line has
// none, so the expected values are written out.
// See https://www.jaegertracing.io/docs/1.x/client-libraries/#propagation-format
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, isSpanContextValid, propagation, trace } = require('@opentelemetry/api');
const { suppressTracing } = require('@opentelemetry/core');
const { JaegerPropagator, UBER_BAGGAGE_HEADER_PREFIX, UBER_TRACE_ID_HEADER } = require('../dist/src/jaeger.js');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const HEADER = `${TRACE_ID}:${SPAN_ID}:0:01`;

const withSpan = (traceFlags, ctx = ROOT_CONTEXT) => trace.setSpanContext(ctx, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags });
const withBaggage = (entries, ctx = ROOT_CONTEXT) => propagation.setBaggage(ctx, propagation.createBaggage(entries));
function injected(ctx, propagator = new JaegerPropagator()) {
  const carrier = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}
const extract = (carrier, propagator = new JaegerPropagator(), ctx = ROOT_CONTEXT) => propagator.extract(ctx, carrier, defaultTextMapGetter);
const spanOf = (carrier, propagator) => trace.getSpanContext(extract(carrier, propagator));
function baggageOf(ctx) {
  const baggage = propagation.getBaggage(ctx);
  return baggage && Object.fromEntries(baggage.getAllEntries().map(([key, entry]) => [key, entry.value]));
}
/** What the SDK's tracer does with an extracted context: no valid span context means a new trace. */
function assertNoValidParent(carrier) {
  const spanContext = spanOf(carrier);
  assert.ok(spanContext === undefined || !isSpanContextValid(spanContext), JSON.stringify(spanContext));
}

describe('JaegerPropagator', () => {
  it('names the spec headers', () => {
    assert.equal(UBER_TRACE_ID_HEADER, 'uber-trace-id');
    assert.equal(UBER_BAGGAGE_HEADER_PREFIX, 'uberctx');
  });

  describe('inject()', () => {
    it('writes {trace-id}:{span-id}:0:01 for a sampled span', () => {
      assert.deepEqual(injected(withSpan(1)), { 'uber-trace-id': HEADER });
    });

    it('writes flags 00 for an unsampled span', () => {
      assert.deepEqual(injected(withSpan(0)), { 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:00` });
    });

    it('writes the sampled bit only: W3C\'s random-trace-id bit (0x02) would be Jaeger\'s debug flag', () => {
      assert.equal(injected(withSpan(3))['uber-trace-id'], `${TRACE_ID}:${SPAN_ID}:0:01`);
      assert.equal(injected(withSpan(0x12))['uber-trace-id'], `${TRACE_ID}:${SPAN_ID}:0:00`);
    });

    it('writes no trace header while tracing is suppressed (an exporter sending)', () => {
      assert.deepEqual(injected(suppressTracing(withSpan(1))), {});
    });

    it('writes nothing for a context without span or baggage', () => {
      assert.deepEqual(injected(ROOT_CONTEXT), {});
    });

    it('writes each baggage entry as uberctx-{key} with its value URL-encoded', () => {
      const ctx = withBaggage({
        plain: { value: 'v1' },
        space: { value: 'a b' },
        delims: { value: 'x=1;y,2:3' },
        percent: { value: '100%' },
        unicode: { value: 'café 中' },
        unreserved: { value: "A-z_0.9!~*'()" },
      });
      assert.deepEqual(injected(ctx), {
        'uberctx-plain': 'v1',
        'uberctx-space': 'a%20b',
        'uberctx-delims': 'x%3D1%3By%2C2%3A3',
        'uberctx-percent': '100%25',
        'uberctx-unicode': 'caf%C3%A9%20%E4%B8%AD',
        'uberctx-unreserved': "A-z_0.9!~*'()",
      });
    });

    it('writes baggage next to the trace header', () => {
      assert.deepEqual(injected(withBaggage({ k: { value: 'v' } }, withSpan(1))), { 'uber-trace-id': HEADER, 'uberctx-k': 'v' });
    });

    it('uses customTraceHeader and customBaggageHeaderPrefix', () => {
      const propagator = new JaegerPropagator({ customTraceHeader: 'x-trace', customBaggageHeaderPrefix: 'x-bag' });
      assert.deepEqual(injected(withBaggage({ k: { value: 'v' } }, withSpan(1)), propagator), { 'x-trace': HEADER, 'x-bag-k': 'v' });
    });

    it('takes a string as the trace header name, keeping the default baggage prefix', () => {
      const propagator = new JaegerPropagator('x-trace');
      assert.deepEqual(injected(withBaggage({ k: { value: 'v' } }, withSpan(1)), propagator), { 'x-trace': HEADER, 'uberctx-k': 'v' });
      // Unlike the options object, the string is used as given, empty or not.
      assert.deepEqual(new JaegerPropagator('').fields(), ['']);
    });

    it('falls back to the defaults for empty options', () => {
      const propagator = new JaegerPropagator({ customTraceHeader: '', customBaggageHeaderPrefix: '' });
      assert.deepEqual(injected(withBaggage({ k: { value: 'v' } }, withSpan(1)), propagator), { 'uber-trace-id': HEADER, 'uberctx-k': 'v' });
    });
  });

  describe('extract()', () => {
    it('reads a 128-bit trace id as a remote span context', () => {
      assert.deepEqual(spanOf({ 'uber-trace-id': HEADER }), { traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true, traceFlags: 1 });
    });

    it('reads flags 00 as not sampled', () => {
      assert.equal(spanOf({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:00` }).traceFlags, 0);
    });

    it('left-pads a 64-bit trace id to 32 hex digits and a short span id to 16', () => {
      const spanContext = spanOf({ 'uber-trace-id': '8448eb211c80319c:69203331:0:1' });
      assert.equal(spanContext.traceId, '00000000000000008448eb211c80319c');
      assert.equal(spanContext.spanId, '0000000069203331');
      assert.ok(isSpanContextValid(spanContext));
    });

    it('ignores the parent span id', () => {
      assert.deepEqual(spanOf({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:00f067aa0ba902b7:01` }), spanOf({ 'uber-trace-id': HEADER }));
    });

    it('keeps only the sampled bit: debug+sampled (03) is sampled, debug alone (02) is not', () => {
      assert.equal(spanOf({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:03` }).traceFlags, 1);
      assert.equal(spanOf({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:02` }).traceFlags, 0);
      assert.equal(spanOf({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:FF` }).traceFlags, 1);
    });

    it('reads flags that are not one or two hex digits as sampled', () => {
      for (const flags of ['', 'zz', '001', '0x1']) {
        assert.equal(spanOf({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:${flags}` }).traceFlags, 1, flags);
      }
    });

    it('URL-decodes the header first (%3A)', () => {
      assert.deepEqual(spanOf({ 'uber-trace-id': `${TRACE_ID}%3A${SPAN_ID}%3a0%3A00` }), { traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true, traceFlags: 0 });
    });

    it('reads the first of repeated headers', () => {
      assert.equal(spanOf({ 'uber-trace-id': [HEADER, `${'1'.repeat(32)}:${SPAN_ID}:0:01`] }).traceId, TRACE_ID);
      assert.equal(spanOf({ 'uber-trace-id': ['bad', HEADER] }), undefined);
      assert.equal(spanOf({ 'uber-trace-id': [] }), undefined);
    });

    it('returns the context unchanged for a wrong part count or bad percent-encoding', () => {
      for (const header of [`${TRACE_ID}:${SPAN_ID}:0`, `${HEADER}:01`, TRACE_ID, '', `${TRACE_ID}:${SPAN_ID}:0:%`, `${TRACE_ID}%E0%A4%A:${SPAN_ID}:0:1`]) {
        const parent = withSpan(1, ROOT_CONTEXT);
        assert.equal(extract({ 'uber-trace-id': header }, undefined, parent), parent, header);
      }
    });

    it('yields no valid parent for ids that are not hex, all zeros or too long', () => {
      // As in the 2.x propagator, such ids are set as they come (padded), replacing a span context
      // extracted before; the tracer then starts a new trace.
      const parent = withSpan(1);
      const ctx = extract({ 'uber-trace-id': `0:${SPAN_ID}:0:01` }, undefined, parent);
      assert.deepEqual(trace.getSpanContext(ctx), { traceId: '0'.repeat(32), spanId: SPAN_ID, isRemote: true, traceFlags: 1 });
      assertNoValidParent({ 'uber-trace-id': `${TRACE_ID.slice(0, 31)}g:${SPAN_ID}:0:01` });
      assertNoValidParent({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID.slice(0, 15)}z:0:01` });
      assertNoValidParent({ 'uber-trace-id': `0:${SPAN_ID}:0:01` });
      assertNoValidParent({ 'uber-trace-id': `${TRACE_ID}:0000000000000000:0:01` });
      assertNoValidParent({ 'uber-trace-id': `ab${TRACE_ID}:${SPAN_ID}:0:01` });
      assertNoValidParent({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}0:0:01` });
      assertNoValidParent({ 'uber-trace-id': `${'f'.repeat(4096)}:${SPAN_ID}:0:01` });
    });

    it('reads baggage alone, URL-decoded, without a trace header', () => {
      const ctx = extract({ 'uberctx-user': 'a%20b', 'uberctx-unicode': 'caf%C3%A9', 'uberctx-plus': 'a+b', other: 'x' });
      assert.equal(trace.getSpanContext(ctx), undefined);
      assert.deepEqual(baggageOf(ctx), { user: 'a b', unicode: 'café', plus: 'a+b' });
    });

    it('skips a baggage value that is not valid URL-encoding, and reads the first of repeated ones', () => {
      const ctx = extract({ 'uberctx-bad': '100%', 'uberctx-good': 'ok', 'uberctx-twice': ['1', '2'] });
      assert.deepEqual(baggageOf(ctx), { good: 'ok', twice: '1' });
    });

    it('adds to the baggage already in the context, replacing a key it carries', () => {
      const before = withBaggage({ kept: { value: 'k' }, k: { value: 'old' } });
      assert.deepEqual(baggageOf(extract({ 'uberctx-k': 'new' }, undefined, before)), { kept: 'k', k: 'new' });
    });

    it('reads trace and baggage together', () => {
      const ctx = extract({ 'uber-trace-id': HEADER, 'uberctx-k': 'v' });
      assert.equal(trace.getSpanContext(ctx).traceId, TRACE_ID);
      assert.deepEqual(baggageOf(ctx), { k: 'v' });
    });

    it('reads only the custom header and prefix when they are set', () => {
      const propagator = new JaegerPropagator({ customTraceHeader: 'x-trace', customBaggageHeaderPrefix: 'x-bag' });
      const ctx = extract({ 'x-trace': HEADER, 'x-bag-k': 'v', 'uber-trace-id': `${'1'.repeat(32)}:${SPAN_ID}:0:01`, 'uberctx-u': 'u' }, propagator);
      assert.equal(trace.getSpanContext(ctx).traceId, TRACE_ID);
      assert.deepEqual(baggageOf(ctx), { k: 'v' });
    });
  });

  it('extracts what it injects', () => {
    for (const traceFlags of [0, 1]) {
      const carrier = injected(withBaggage({ user: { value: 'a b=c;d' }, 'tenant.id': { value: 'café' } }, withSpan(traceFlags)));
      const ctx = extract(carrier);
      assert.deepEqual(trace.getSpanContext(ctx), { traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true, traceFlags });
      assert.deepEqual(baggageOf(ctx), { user: 'a b=c;d', 'tenant.id': 'café' });
    }
  });

  it('fields() names the trace header only (baggage headers have no fixed names)', () => {
    assert.deepEqual(new JaegerPropagator().fields(), ['uber-trace-id']);
    assert.deepEqual(new JaegerPropagator({ customTraceHeader: 'x-trace' }).fields(), ['x-trace']);
    assert.deepEqual(new JaegerPropagator('x-trace').fields(), ['x-trace']);
  });

  it('imports nothing but @opentelemetry/api (it must load on the 3.x line)', () => {
    const read = (file) => fs.readFileSync(path.join(__dirname, '..', file), 'utf8');
    const specifiers = (text, patterns) => patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]));
    const source = specifiers(read('src/jaeger.ts'), [
      /^\s*(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]/gm, // import ... from, export ... from
      /^\s*import\s+['"]([^'"]+)['"]/gm, // import 'side-effect'
      /\b(?:require|import)\(\s*['"]([^'"]+)['"]/g,
    ]);
    assert.ok(source.length > 0);
    assert.deepEqual([...new Set(source)], ['@opentelemetry/api']);
    // And what runs: the compiled file's require() calls.
    assert.deepEqual([...new Set(specifiers(read('dist/src/jaeger.js'), [/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g]))], ['@opentelemetry/api']);
  });
});
