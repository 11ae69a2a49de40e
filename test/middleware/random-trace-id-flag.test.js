'use strict';
// initTelemetry({ traces: { randomTraceIdFlag: true } }): traces the kit starts carry the W3C
// Level 2 random-trace-id flag (0x02) on the wire; a caller's flags are followed either way.
const assert = require('node:assert/strict');
const request = require('supertest');
const { trace } = require('@opentelemetry/api');
const { injectTraceHeaders } = require('@motadata/otel');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');
const { traceFromServerTiming } = require('../support/expect');
const { startMemoryTelemetry } = require('../support/telemetry');

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const flagsOf = (traceparent) => parseInt(traceparent.split('-')[3], 16);

describe('initTelemetry() with traces.randomTraceIdFlag: true', () => {
  let telemetry;
  let echo;
  let app;
  before(async () => {
    telemetry = await startMemoryTelemetry({ traces: { randomTraceIdFlag: true } });
    echo = await listen((req, res) => res.end(JSON.stringify({ headers: req.headers })));
    app = await listen(FRAMEWORKS[0].create());
  });
  after(async () => {
    await app.close();
    await echo.close();
    await telemetry.shutdown();
  });

  it('sets the flag on traces the kit starts, downstream and in Server-Timing', async () => {
    const res = await request(app.url).get('/v1/call').query({ to: echo.url }).expect(200);
    assert.equal(flagsOf(res.body.downstream.headers.traceparent), 0x03);
    assert.equal(traceFromServerTiming(res).flags, 0x03);
  });

  it('still does not set it for a caller that did not', async () => {
    const res = await request(app.url).get('/v1/call').query({ to: echo.url }).set('traceparent', `00-${TRACE_ID}-${SPAN_ID}-01`).expect(200);
    assert.equal(flagsOf(res.body.downstream.headers.traceparent), 0x01);
    assert.equal(traceFromServerTiming(res).flags, 0x01);
  });

  it('sets it on a trace started outside a request (injectTraceHeaders)', () => {
    trace.getTracer('test').startActiveSpan('job', (span) => {
      assert.equal(flagsOf(injectTraceHeaders({}).traceparent), 0x03);
      span.end();
    });
  });

  it('is off again after shutdown(), for the next initTelemetry()', async () => {
    await telemetry.shutdown();
    telemetry = await startMemoryTelemetry();
    trace.getTracer('test').startActiveSpan('job', (span) => {
      assert.equal(flagsOf(injectTraceHeaders({}).traceparent), 0x01);
      span.end();
    });
  });
});
