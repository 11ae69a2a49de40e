'use strict';
const assert = require('node:assert/strict');
const request = require('supertest');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');
const { traceFromServerTiming, shouldHaveServerTiming } = require('../support/expect');
const { startMemoryTelemetry, waitForServerSpans, parentSpanId } = require('../support/telemetry');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const traceparent = (flags = '01') => `00-${TRACE_ID}-${SPAN_ID}-${flags}`;

// Each is malformed by https://www.w3.org/TR/trace-context-2/#traceparent-header and must be
// ignored: the request is served and starts a fresh trace.
const MALFORMED = {
  'version ff': `ff-${TRACE_ID}-${SPAN_ID}-01`,
  'non-hex version': `zz-${TRACE_ID}-${SPAN_ID}-01`,
  'all-zero trace id': `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
  'all-zero span id': `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
  'short trace id': `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`,
  'long span id': `00-${TRACE_ID}-${SPAN_ID}0-01`,
  'upper-case hex': `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
  'garbage flags': `00-${TRACE_ID}-${SPAN_ID}-zz`,
  'one-digit flags': `00-${TRACE_ID}-${SPAN_ID}-1`,
  'version 00 with a trailing field': `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
  'oversized': `00-${TRACE_ID}-${SPAN_ID}-01${'-x'.repeat(4000)}`,
  'empty': '',
  // Optional whitespace is spaces and tabs only.
  'a no-break space around it': `\u00a0${traceparent()}\u00a0`,
};

describe('otelMiddleware(): propagation', () => {
  let telemetry;
  let echo; // a downstream that answers with the headers it received
  before(async () => {
    telemetry = await startMemoryTelemetry();
    echo = await listen((req, res) => res.end(JSON.stringify({ traceId: TRACE_ID, headers: req.headers })));
  });
  after(async () => {
    await echo.close();
    await telemetry.shutdown();
  });

  for (const framework of FRAMEWORKS) {
    describe(framework.name, () => {
      let app;
      before(async () => (app = await listen(framework.create())));
      after(() => app.close());
      beforeEach(() => telemetry.reset());

      it('continues the caller\'s trace as the child of its span', async () => {
        await request(app.url).get('/v1/items/1').set('traceparent', traceparent()).expect(200).expect(shouldHaveServerTiming(TRACE_ID));
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.spanContext().traceId, TRACE_ID);
        assert.equal(parentSpanId(span), SPAN_ID);
        assert.equal(span.parentSpanContext.isRemote, true);
      });

      it('follows an unsampled caller: no span, no trace id sent back, the trace and its flag passed on', async () => {
        const res = await request(app.url).get('/v1/call').query({ to: echo.url }).set('traceparent', traceparent('00')).set('x-tenant-id', 'acme').expect(200);
        assert.equal(res.headers['server-timing'], undefined);
        const downstream = res.body.downstream.headers;
        assert.match(downstream.traceparent, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
        assert.notEqual(downstream.traceparent.split('-')[2], SPAN_ID);
        assert.match(downstream.baggage, /tenant\.id=acme/);
        await new Promise((resolve) => setTimeout(resolve, 30));
        assert.deepEqual(telemetry.getFinishedSpans(), []);
      });

      for (const [name, header] of Object.entries(MALFORMED)) {
        it(`ignores a traceparent with ${name} and starts a fresh trace`, async () => {
          const res = await request(app.url).get('/v1/items/1').set('traceparent', header).set('tracestate', 'vendor=1').expect(200);
          const [span] = await waitForServerSpans(telemetry);
          assert.notEqual(span.spanContext().traceId, TRACE_ID);
          assert.equal(parentSpanId(span), undefined);
          assert.equal(span.spanContext().traceState, undefined);
          assert.equal(res.body.traceId, span.spanContext().traceId);
        });
      }

      it('ignores duplicated traceparent headers', async () => {
        const res = await request(app.url).get('/v1/items/1').set('traceparent', [traceparent(), `00-${'1'.repeat(32)}-${SPAN_ID}-01`]).expect(200);
        const [span] = await waitForServerSpans(telemetry);
        assert.notEqual(span.spanContext().traceId, TRACE_ID);
        assert.equal(parentSpanId(span), undefined);
        assert.equal(res.body.traceId, span.spanContext().traceId);
      });

      describe('tracestate (Level 2 grammar, all or nothing)', () => {
        const downstreamHeaders = async (tracestate) => {
          const res = await request(app.url).get('/v1/call').query({ to: echo.url }).set('traceparent', traceparent()).set('tracestate', tracestate).expect(200);
          return res.body.downstream.headers;
        };

        it('passes a valid tracestate downstream unchanged, Level 2 keys included', async () => {
          const headers = await downstreamHeaders('1vendor=a,tenant@sys@x=b, congo=t61rcWkgMzE');
          assert.equal(headers.tracestate, '1vendor=a,tenant@sys@x=b,congo=t61rcWkgMzE');
          assert.equal(headers.traceparent.split('-')[1], TRACE_ID);
        });

        const invalid = {
          'an upper-case key': 'Vendor=a,ok=b',
          'a value with "="': 'vendor=a=b,ok=c',
          'a member without "="': 'vendor,ok=b',
          'a key starting with "_"': '_vendor=a',
          'a 257-character key': `${'k'.repeat(257)}=v`,
          'a duplicated key': 'vendor=a,vendor=b',
          '33 members': Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','),
        };
        for (const [name, value] of Object.entries(invalid)) {
          it(`drops the whole tracestate for ${name}`, async () => {
            const headers = await downstreamHeaders(value);
            assert.equal(headers.tracestate, undefined);
            assert.equal(headers.traceparent.split('-')[1], TRACE_ID, 'the trace itself continues');
          });
        }

        it('keeps 32 members', async () => {
          const value = Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',');
          assert.equal((await downstreamHeaders(value)).tracestate, value);
        });
      });

      describe('the random-trace-id flag (0x02)', () => {
        const flagsOf = (header) => parseInt(header.split('-')[3], 16);

        it('keeps an incoming random flag on outgoing calls and in Server-Timing', async () => {
          const res = await request(app.url).get('/v1/call').query({ to: echo.url }).set('traceparent', traceparent('03')).expect(200);
          assert.equal(flagsOf(res.body.downstream.headers.traceparent), 0x03);
          assert.equal(traceFromServerTiming(res).flags, 0x03);
        });

        it('does not invent it for a caller that did not set it', async () => {
          const res = await request(app.url).get('/v1/call').query({ to: echo.url }).set('traceparent', traceparent('01')).expect(200);
          assert.equal(flagsOf(res.body.downstream.headers.traceparent), 0x01);
          assert.equal(traceFromServerTiming(res).flags, 0x01);
        });

        it('sends traces it starts with the sampled bit only, which every SDK accepts', async () => {
          const res = await request(app.url).get('/v1/call').query({ to: echo.url }).expect(200);
          assert.equal(flagsOf(res.body.downstream.headers.traceparent), 0x01);
          assert.equal(traceFromServerTiming(res).flags, 0x01);
        });
      });

      describe('Server-Timing', () => {
        it('returns the SERVER span as trace;desc=00-<trace-id>-<span-id>-<flags>', async () => {
          const res = await request(app.url).get('/v1/items/1').expect(200);
          const [span] = await waitForServerSpans(telemetry);
          assert.match(res.headers['server-timing'], /^trace;desc=00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
          const returned = traceFromServerTiming(res);
          assert.equal(returned.traceId, span.spanContext().traceId);
          assert.equal(returned.spanId, span.spanContext().spanId);
        });

        it('keeps the Server-Timing metrics the app appends', async () => {
          const res = await request(app.url).get('/v1/timing').expect(200);
          const metrics = res.headers['server-timing'].split(', ');
          assert.equal(metrics.length, 2);
          assert.ok(metrics.includes('db;dur=5'));
          assert.equal(metrics.filter((m) => /^trace;desc=00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/.test(m)).length, 1);
        });

        it(framework.name.startsWith('Koa') ? 'appends to a Server-Timing the app sets with ctx.set' : 'gives way to a Server-Timing the app sets with res.set (the kit sets its own at the start)', async () => {
          const res = await request(app.url).get('/v1/timing-set').expect(200);
          if (framework.name.startsWith('Koa')) assert.match(res.headers['server-timing'], /^db;dur=5, trace;desc=00-/);
          else assert.equal(res.headers['server-timing'], 'db;dur=5');
        });

        it('is on error responses too', async () => {
          const res = await request(app.url).get('/v1/throw').expect(500);
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(traceFromServerTiming(res).traceId, span.spanContext().traceId);
        });

        it('is not sent for ignored requests', async () => {
          const ignoring = await listen(framework.create({ ignore: ['/health'] }));
          try {
            const res = await request(ignoring.url).get('/health').expect(200);
            assert.equal(res.headers['server-timing'], undefined);
          } finally {
            await ignoring.close();
          }
        });
      });

      describe('with traceResponse: { traceresponse: true, serverTiming: false }', () => {
        it('sends the earlier draft\'s traceresponse header instead', async () => {
          const other = await listen(framework.create({ traceResponse: { traceresponse: true, serverTiming: false } }));
          try {
            const res = await request(other.url).get('/v1/items/1').set('traceparent', traceparent()).expect(200);
            assert.equal(res.headers['server-timing'], undefined);
            const [span] = await waitForServerSpans(telemetry);
            assert.equal(res.headers.traceresponse, `00-${TRACE_ID}-${span.spanContext().spanId}-01`);
          } finally {
            await other.close();
          }
        });
      });

      describe('with trustIncoming: false', () => {
        it('links the caller\'s context instead of parenting it, and ignores its baggage', async () => {
          const other = await listen(framework.create({ trustIncoming: false }));
          try {
            const res = await request(other.url).get('/v1/items/1').set('traceparent', traceparent()).set('baggage', 'tenant.id=evil').expect(200);
            const [span] = await waitForServerSpans(telemetry);
            assert.notEqual(span.spanContext().traceId, TRACE_ID);
            assert.equal(parentSpanId(span), undefined);
            assert.equal(span.links.length, 1);
            assert.equal(span.links[0].context.traceId, TRACE_ID);
            assert.equal(span.links[0].context.spanId, SPAN_ID);
            assert.equal(res.body.tenant, null);
          } finally {
            await other.close();
          }
        });

        it('trusts callers a predicate accepts', async () => {
          const internal = (req) => (req.headers ?? req.request.headers)['x-internal'] === '1';
          const other = await listen(framework.create({ trustIncoming: internal }));
          try {
            await request(other.url).get('/v1/items/1').set('traceparent', traceparent()).set('x-internal', '1').expect(200);
            await request(other.url).get('/v1/items/2').set('traceparent', traceparent()).expect(200);
            const [trusted, untrusted] = await waitForServerSpans(telemetry, 2);
            assert.equal(trusted.spanContext().traceId, TRACE_ID);
            assert.notEqual(untrusted.spanContext().traceId, TRACE_ID);
            assert.equal(untrusted.links[0].context.traceId, TRACE_ID);
          } finally {
            await other.close();
          }
        });
      });
    });
  }
});
