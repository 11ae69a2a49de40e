'use strict';
// OTEL_PROPAGATORS / the `propagators` option: which trace-context formats the middleware reads
// and tracedFetch writes. Headers are read off the wire (an echo server), spans off the SDK.
const assert = require('node:assert/strict');
const request = require('supertest');
const { propagation } = require('@opentelemetry/api');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');
const { traceFromServerTiming } = require('../support/expect');
const { startMemoryTelemetry, waitForServerSpans, waitForSpans, parentSpanId } = require('../support/telemetry');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
/** The request's SERVER span, checked to continue the caller's trace as the child of its span. */
async function callerChild(telemetry) {
  const [span] = await waitForServerSpans(telemetry);
  assert.equal(span.spanContext().traceId, TRACE_ID);
  assert.equal(parentSpanId(span), SPAN_ID);
  return span;
}
/** Server-Timing's trace of a request with a b3 header of `b3TraceId` and a random-flagged traceparent of TRACE_ID. */
async function timingOfBoth(env, b3TraceId) {
  const res = await request(env.app.url).get('/v1/items/1').set('b3', `${b3TraceId}-${SPAN_ID}-1`).set('traceparent', `00-${TRACE_ID}-${SPAN_ID}-03`).expect(200);
  return traceFromServerTiming(res);
}
const b3Multi = (traceId = TRACE_ID) => ({ 'x-b3-traceid': traceId, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' });

describe('propagators (OTEL_PROPAGATORS)', () => {
  let echo; // a downstream that answers with the headers it received
  before(async () => {
    echo = await listen((req, res) => res.end(JSON.stringify({ headers: req.headers })));
  });
  after(() => echo.close());

  /** Starts telemetry with `propagators` and one app per framework for the suite. */
  function suite(propagators, body) {
    describe(JSON.stringify(propagators), () => {
      let telemetry;
      before(async () => (telemetry = await startMemoryTelemetry({ propagators })));
      after(() => telemetry.shutdown());
      for (const framework of FRAMEWORKS) {
        describe(framework.name, () => {
          const env = {};
          before(async () => (env.app = await listen(framework.create())));
          after(() => env.app.close());
          beforeEach(() => {
            env.telemetry = telemetry;
            telemetry.reset();
          });
          body(env);
        });
      }
    });
  }

  suite(['b3multi'], (env) => {
    it('continues a caller\'s X-B3-* trace as the child of its span', async () => {
      const res = await request(env.app.url).get('/v1/items/1').set(b3Multi()).expect(200);
      const span = await callerChild(env.telemetry);
      assert.equal(span.parentSpanContext.isRemote, true);
      assert.equal(res.body.traceId, TRACE_ID);
    });

    it('also reads the single b3 header, as the SDK\'s B3 propagator does', async () => {
      await request(env.app.url).get('/v1/items/1').set('b3', `${TRACE_ID}-${SPAN_ID}-1`).expect(200);
      await callerChild(env.telemetry);
    });

    it('ignores a traceparent: W3C is not configured', async () => {
      await request(env.app.url).get('/v1/items/1').set('traceparent', TRACEPARENT).expect(200);
      const [span] = await waitForServerSpans(env.telemetry);
      assert.notEqual(span.spanContext().traceId, TRACE_ID);
      assert.equal(parentSpanId(span), undefined);
    });

    it('sends X-B3-* downstream from the CLIENT span, and no traceparent or baggage', async () => {
      const res = await request(env.app.url).get('/v1/call').query({ to: echo.url }).set(b3Multi()).set('x-tenant-id', 'acme').expect(200);
      const headers = res.body.downstream.headers;
      const spans = await waitForSpans(env.telemetry, (all) => all.some((s) => s.name.startsWith('GET') && s.kind === 2));
      const client = spans.find((s) => s.kind === 2);
      assert.equal(headers['x-b3-traceid'], TRACE_ID);
      assert.equal(headers['x-b3-spanid'], client.spanContext().spanId);
      assert.equal(headers['x-b3-sampled'], '1');
      assert.equal(headers.traceparent, undefined);
      assert.equal(headers.baggage, undefined);
    });

    it('does not mark a caller\'s 64-bit B3 trace id as random in Server-Timing', async () => {
      const res = await request(env.app.url).get('/v1/items/1').set(b3Multi('a3ce929d0e0e4736')).expect(200);
      const timing = traceFromServerTiming(res);
      assert.equal(timing.traceId, '0000000000000000a3ce929d0e0e4736');
      assert.equal(timing.flags, 0x01);
    });

    it('sends a trace it starts with the sampled bit only', async () => {
      const res = await request(env.app.url).get('/v1/items/1').expect(200);
      assert.equal(traceFromServerTiming(res).flags, 0x01);
    });
  });

  suite(['tracecontext', 'baggage', 'b3'], (env) => {
    it('writes every configured format for the same span', async () => {
      const res = await request(env.app.url).get('/v1/call').query({ to: echo.url }).set('x-tenant-id', 'acme').expect(200);
      const headers = res.body.downstream.headers;
      const [, traceId, spanId] = headers.traceparent.split('-');
      assert.equal(headers.b3, `${traceId}-${spanId}-1`);
      assert.equal(traceId, res.body.traceId);
      assert.match(headers.baggage, /tenant\.id=acme/);
    });

    it('continues a b3-only caller', async () => {
      await request(env.app.url).get('/v1/items/1').set('b3', `${TRACE_ID}-${SPAN_ID}-1`).expect(200);
      await callerChild(env.telemetry);
    });

    it('keeps a traceparent\'s random flag when a b3 header carries the same trace', async () => {
      assert.equal((await timingOfBoth(env, TRACE_ID)).flags, 0x03);
    });

    it('does not take a traceparent\'s random flag for a different b3 trace read after it', async () => {
      const timing = await timingOfBoth(env, 'a3ce929d0e0e4736');
      assert.equal(timing.traceId, '0000000000000000a3ce929d0e0e4736', 'the propagator listed last wins');
      assert.equal(timing.flags, 0x01);
    });
  });

  suite(['b3', 'tracecontext'], (env) => {
    it('keeps a traceparent\'s random flag when it is read after a b3 header of the same trace', async () => {
      assert.equal((await timingOfBoth(env, TRACE_ID)).flags, 0x03);
    });
  });

  suite(['jaeger'], (env) => {
    it('continues an uber-trace-id caller and sends uber-trace-id downstream', async () => {
      const res = await request(env.app.url).get('/v1/call').query({ to: echo.url }).set('uber-trace-id', `${TRACE_ID}:${SPAN_ID}:0:1`).expect(200);
      await callerChild(env.telemetry);
      const [traceId, , , flags] = decodeURIComponent(res.body.downstream.headers['uber-trace-id']).split(':');
      assert.equal(traceId, TRACE_ID);
      assert.equal(Number(flags) & 1, 1, 'sampled');
      assert.equal(res.body.downstream.headers.traceparent, undefined);
    });
  });

  suite(['xray'], (env) => {
    // X-Ray's id is the W3C one with a dash after its 8-digit timestamp: 1-5759e988-bd862e3fe1be46a994272793.
    const XRAY_TRACE = `1-${TRACE_ID.slice(0, 8)}-${TRACE_ID.slice(8)}`;

    it('continues an X-Amzn-Trace-Id caller, not marked random, and sends X-Amzn-Trace-Id downstream', async () => {
      const res = await request(env.app.url)
        .get('/v1/call')
        .query({ to: echo.url })
        .set('x-amzn-trace-id', `Root=${XRAY_TRACE};Parent=${SPAN_ID};Sampled=1`)
        .expect(200);
      await callerChild(env.telemetry);
      assert.equal(traceFromServerTiming(res).flags, 0x01);
      assert.match(res.body.downstream.headers['x-amzn-trace-id'], new RegExp(`^Root=${XRAY_TRACE};Parent=[0-9a-f]{16};Sampled=1$`));
      assert.equal(res.body.downstream.headers.traceparent, undefined);
    });
  });

  suite(['ottrace'], (env) => {
    it('continues an ot-tracer-* caller and sends ot-tracer-* downstream', async () => {
      const res = await request(env.app.url)
        .get('/v1/call')
        .query({ to: echo.url })
        .set({ 'ot-tracer-traceid': TRACE_ID, 'ot-tracer-spanid': SPAN_ID, 'ot-tracer-sampled': 'true' })
        .expect(200);
      await callerChild(env.telemetry);
      const headers = res.body.downstream.headers;
      assert.equal(headers['ot-tracer-traceid'], TRACE_ID.slice(16), 'OT sends the low 64 bits');
      assert.equal(headers['ot-tracer-sampled'], 'true');
      assert.equal(traceFromServerTiming(res).flags, 0x01);
    });
  });

  suite(['none'], (env) => {
    it('ignores incoming trace headers and sends none downstream', async () => {
      const res = await request(env.app.url).get('/v1/call').query({ to: echo.url }).set('traceparent', TRACEPARENT).set(b3Multi()).set('x-tenant-id', 'acme').expect(200);
      const headers = res.body.downstream.headers;
      for (const name of ['traceparent', 'tracestate', 'baggage', 'b3', 'x-b3-traceid']) assert.equal(headers[name], undefined, name);
      const [span] = await waitForServerSpans(env.telemetry);
      assert.notEqual(span.spanContext().traceId, TRACE_ID);
      assert.equal(parentSpanId(span), undefined);
      assert.equal(res.body.traceId, span.spanContext().traceId, 'the trace id still comes back');
    });
  });

  describe('from the environment', () => {
    let saved;
    beforeEach(() => (saved = process.env.OTEL_PROPAGATORS));
    afterEach(() => {
      if (saved === undefined) delete process.env.OTEL_PROPAGATORS;
      else process.env.OTEL_PROPAGATORS = saved;
    });

    it('installs the listed propagators', async () => {
      process.env.OTEL_PROPAGATORS = 'b3multi,tracecontext';
      const telemetry = await startMemoryTelemetry();
      try {
        const fields = propagation.fields();
        assert.ok(fields.includes('x-b3-traceid') && fields.includes('traceparent'), fields.join());
        assert.ok(!fields.includes('baggage'), 'baggage was not listed');
      } finally {
        await telemetry.shutdown();
      }
    });

    it('lets the option win over the variable', async () => {
      process.env.OTEL_PROPAGATORS = 'b3';
      const telemetry = await startMemoryTelemetry({ propagators: ['tracecontext'] });
      try {
        assert.deepEqual(propagation.fields(), ['traceparent', 'tracestate']);
      } finally {
        await telemetry.shutdown();
      }
    });
  });
});
