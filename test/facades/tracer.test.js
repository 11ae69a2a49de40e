'use strict';
const assert = require('node:assert/strict');
const { SpanKind, SpanStatusCode, trace, context } = require('@opentelemetry/api');
const { OTELTracer, OTELSpan } = require('@motadata/otel');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, parentSpanId } = require('../support/telemetry');

describe('OTELTracer', () => {
  let telemetry;
  const tracer = new OTELTracer({ serviceName: 'rag', environment: 'test' });
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());
  const spanNamed = (name) => telemetry.getFinishedSpans().find((s) => s.name === name);

  describe('startTrace()', () => {
    it('starts a new trace outside any span, runs fn with the span active and returns its value', () => {
      const value = tracer.startTrace('rag.query', (span) => {
        assert.ok(span instanceof OTELSpan);
        assert.equal(trace.getActiveSpan().spanContext().spanId, span.spanId);
        span.setAttribute('rag.query.length', 12).setAttributes({ a: 1 }).addEvent('retrieved', { n: 3 }).setStatus('ok');
        return 42;
      }, { attributes: { preset: true }, kind: 'server' });
      assert.equal(value, 42);
      const span = spanNamed('rag.query');
      assert.equal(parentSpanId(span), undefined);
      assert.equal(span.kind, SpanKind.SERVER);
      assert.deepEqual({ ...span.attributes }, { preset: true, 'rag.query.length': 12, a: 1 });
      assert.equal(span.events[0].name, 'retrieved');
      assert.equal(span.status.code, SpanStatusCode.OK);
      assert.equal(span.instrumentationScope.name, 'rag');
    });

    it('resolves to a thenable\'s value even when its then() returns nothing, and ends the span', async () => {
      // A minimal thenable (some query builders and old promise shims): then() returns undefined.
      const thenable = { then(onFulfilled) { setTimeout(() => onFulfilled(42), 5); } };
      assert.equal(await tracer.startTrace('thenable', () => thenable), 42);
      // Ended: the exporter has it (finished spans only reach it at end()).
      assert.equal(telemetry.getFinishedSpans().filter((s) => s.name === 'thenable').length, 1);
    });

    it('nests inside the active span, and ends only when the promise settles', async () => {
      let innerEndedEarly;
      await tracer.startTrace('outer', async (outer) => {
        const pending = tracer.startTrace('inner', async () => {
          await new Promise((r) => setTimeout(r, 10));
          return 'done';
        });
        innerEndedEarly = spanNamed('inner') !== undefined;
        assert.equal(await pending, 'done');
        assert.equal(outer.traceId, spanNamed('inner').spanContext().traceId);
      });
      assert.equal(innerEndedEarly, false);
      assert.equal(parentSpanId(spanNamed('inner')), spanNamed('outer').spanContext().spanId);
    });

    it('records a rejection, sets ERROR with its message and rethrows it unchanged', async () => {
      const error = new RangeError('index out of range');
      await assert.rejects(tracer.startTrace('failing', async () => { throw error; }), (err) => err === error);
      const span = spanNamed('failing');
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.equal(span.status.message, 'index out of range');
      assert.equal(span.attributes['error.type'], 'RangeError');
      assert.equal(span.events.find((e) => e.name === 'exception').attributes['exception.type'], 'RangeError');
    });

    it('records a synchronous throw the same way', () => {
      assert.throws(() => tracer.startTrace('sync-fail', () => { throw new Error('sync'); }), /sync/);
      assert.equal(spanNamed('sync-fail').status.code, SpanStatusCode.ERROR);
    });

    it('takes links', () => {
      const linked = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
      tracer.startTrace('linked', () => undefined, { links: [{ context: linked }] });
      assert.equal(spanNamed('linked').links[0].context.spanId, 'b7ad6b7169203331');
    });

    it('rejects an unknown kind', () => {
      assert.throws(() => tracer.startTrace('x', () => 1, { kind: 'sideways' }), /span kind must be one of internal, server, client, producer, consumer/);
    });
  });

  describe('startSpan()', () => {
    it('parents on a given span handle, OTel span or context, else on the active span', () => {
      tracer.startTrace('root', (root) => {
        tracer.startSpan('by-handle', () => undefined, { parent: root });
        const other = trace.getTracer('t').startSpan('other');
        tracer.startSpan('by-span', () => undefined, { parent: other });
        tracer.startSpan('by-context', () => undefined, { parent: trace.setSpan(context.active(), other) });
        other.end();
        tracer.startSpan('by-active', () => undefined, { attributes: { x: 'y' } });
      });
      const root = spanNamed('root').spanContext().spanId;
      const other = spanNamed('other').spanContext().spanId;
      assert.equal(parentSpanId(spanNamed('by-handle')), root);
      assert.equal(parentSpanId(spanNamed('by-span')), other);
      assert.equal(parentSpanId(spanNamed('by-context')), other);
      assert.equal(parentSpanId(spanNamed('by-active')), root);
      assert.equal(spanNamed('by-active').attributes.x, 'y');
    });
  });

  describe('getContext() and withContext()', () => {
    it('carries the trace through a serialised job payload', async () => {
      let payload;
      tracer.startTrace('enqueue', () => {
        payload = JSON.stringify({ job: 1, otel: tracer.getContext() });
      });
      const carrier = JSON.parse(payload).otel;
      assert.match(carrier.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      await tracer.withContext(carrier, () => tracer.startTrace('process', async () => undefined));
      assert.equal(spanNamed('process').spanContext().traceId, spanNamed('enqueue').spanContext().traceId);
      assert.equal(parentSpanId(spanNamed('process')), spanNamed('enqueue').spanContext().spanId);
    });

    it('starts a fresh trace from a bad carrier', () => {
      for (const bad of [null, {}, { traceparent: 'garbage' }, { traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` }, 'x']) {
        telemetry.reset();
        tracer.withContext(bad, () => tracer.startTrace('fresh', () => undefined));
        assert.equal(parentSpanId(spanNamed('fresh')), undefined);
      }
    });

    it('gives an empty traceparent outside a trace', () => {
      assert.deepEqual(tracer.getContext(), { traceparent: '' });
    });
  });

  describe('configureExporter()', () => {
    it('adds an OTLP exporter at run time that receives spans', async () => {
      const received = [];
      const collector = await listen((req, res) => {
        req.on('data', () => {});
        req.on('end', () => {
          received.push(req.url);
          res.end();
        });
      });
      try {
        tracer.configureExporter({ type: 'jaeger', endpoint: `${collector.url}/v1/traces` });
        tracer.startTrace('exported', () => undefined);
        await telemetry.forceFlush();
        assert.deepEqual(received, ['/v1/traces']);
        assert.ok(spanNamed('exported'), 'the memory exporter still gets it too');
      } finally {
        await collector.close();
      }
    });

    it('rejects unknown types and bad endpoints', () => {
      assert.throws(() => tracer.configureExporter({ type: 'datadog', endpoint: 'http://x' }), /"type" must be one of otlp, jaeger, zipkin, console, got "datadog"/);
      assert.throws(() => tracer.configureExporter({ type: 'zipkin', endpoint: 'zipkin:9411' }), /"endpoint" must be an http\(s\) URL for zipkin/);
    });
  });
});

describe('OTELTracer.configureExporter() before initTelemetry()', () => {
  it('says to call initTelemetry first', () => {
    assert.throws(() => new OTELTracer().configureExporter({ type: 'console' }), /call initTelemetry\(\) first/);
  });
});
