'use strict';
const assert = require('node:assert/strict');
const { Writable } = require('node:stream');
const { trace } = require('@opentelemetry/api');
// The Logs API's SeverityNumber values (in @opentelemetry/api from 1.10, api-logs before).
const SeverityNumber = { WARN: 13, ERROR: 17 };
const request = require('supertest');
const express = require('express');
const { OTELMetrics, OTELLogger, OTELTracer, traceFields } = require('@motadata/otel');
const { otelMiddleware } = require('@motadata/otel/express');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, metricPoints, metricPoint } = require('../support/telemetry');

describe('OTELMetrics', () => {
  let telemetry;
  const m = new OTELMetrics();
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());

  it('increments counters in both argument orders', async () => {
    m.incrementCounter('gateway.cache.hits', { model: 'a' });
    m.incrementCounter('gateway.cache.hits', { model: 'a' }, 2);
    m.incrementCounter('gateway.cache.hits', 4, { model: 'a' });
    m.incrementCounter('gateway.cache.hits', 1);
    assert.equal((await metricPoint(telemetry, 'gateway.cache.hits', { model: 'a' })).value, 7);
    const unlabelled = (await metricPoints(telemetry, 'gateway.cache.hits')).find((p) => Object.keys(p.attributes).length === 0);
    assert.equal(unlabelled.value, 1);
  });

  it('records histograms in seconds with the latency buckets for *.duration names', async () => {
    m.recordHistogram('rag.search.duration', 0.042, { index: 'docs' });
    m.recordHistogram('custom.step.duration', 1.5);
    const known = await metricPoint(telemetry, 'rag.search.duration', { index: 'docs' });
    assert.equal(known.descriptor.unit, 's');
    assert.equal(known.value.sum, 0.042);
    assert.equal(known.value.buckets.boundaries[0], 0.005);
    const inferred = (await metricPoints(telemetry, 'custom.step.duration'))[0];
    assert.equal(inferred.descriptor.unit, 's');
  });

  it('gives long-running durations buckets that reach them: LLM work to 82 s, training and LLMOps jobs to 24 h', async () => {
    m.recordHistogram('mlops.training.duration', 3600, { model: 'm' });
    m.recordHistogram('gateway.request.duration', 30, { model: 'm' });
    const training = await metricPoint(telemetry, 'mlops.training.duration', { model: 'm' });
    assert.equal(training.value.buckets.boundaries.at(-1), 86400);
    assert.equal(training.value.buckets.counts.at(-1), 0, 'an hour-long job is not in the overflow bucket');
    assert.equal(training.value.buckets.counts[training.value.buckets.boundaries.indexOf(3600)], 1);
    const generation = await metricPoint(telemetry, 'gateway.request.duration', { model: 'm' });
    assert.equal(generation.value.buckets.boundaries.at(-1), 81.92);
    assert.equal(generation.value.buckets.counts[generation.value.buckets.boundaries.indexOf(40.96)], 1);
  });

  it('joins the kit\'s own tenant.rejected stream instead of exporting a second one', async () => {
    const { METRIC_NAMES } = require('@motadata/otel');
    m.incrementCounter(METRIC_NAMES.TENANT_REJECTED, { reason: 'test' });
    const app = express();
    app.use(otelMiddleware({ tenant: { validate: () => false } }));
    app.get('/x', (req, res) => res.end());
    const server = await listen(app);
    try {
      await request(server.url).get('/x').set('x-tenant-id', 'bad').expect(200);
    } finally {
      await server.close();
    }
    const streams = (await telemetry.collectMetrics()).scopeMetrics.flatMap((s) => s.metrics).filter((metric) => metric.descriptor.name === 'tenant.rejected');
    assert.equal(streams.length, 1);
    assert.equal(streams[0].descriptor.unit, '{request}');
    assert.equal(streams[0].dataPoints.length, 2);
  });

  it('infers USD and {token} units for cost and token names', async () => {
    m.incrementCounter('team.llm.cost', 0.5);
    m.incrementCounter('team.tokens', 100);
    assert.equal((await metricPoints(telemetry, 'team.llm.cost'))[0].descriptor.unit, 'USD');
    assert.equal((await metricPoints(telemetry, 'team.tokens'))[0].descriptor.unit, '{token}');
  });

  it('keeps the last value per attribute set with setGauge', async () => {
    m.setGauge('agent.queue.depth', 5, { queue: 'a' });
    m.setGauge('agent.queue.depth', 3, { queue: 'a' });
    m.setGauge('agent.queue.depth', 9, { queue: 'b' });
    assert.equal((await metricPoint(telemetry, 'agent.queue.depth', { queue: 'a' })).value, 3);
    assert.equal((await metricPoint(telemetry, 'agent.queue.depth', { queue: 'b' })).value, 9);
  });

  it('rejects bad names, values and kind clashes with clear errors', () => {
    assert.throws(() => m.incrementCounter('1bad'), /metric name "1bad" is invalid: it must start with a letter/);
    assert.throws(() => m.incrementCounter('has space'), /is invalid/);
    assert.throws(() => m.incrementCounter('x'.repeat(256)), /is invalid/);
    assert.throws(() => m.incrementCounter('ok.counter', -1), /amount for "ok.counter" must be a non-negative finite number/);
    assert.throws(() => m.recordHistogram('ok.histogram', NaN), /value for "ok.histogram" must be a finite number/);
    assert.throws(() => m.setGauge('gateway.cost', 1), /"gateway.cost" is a counter in the kit's catalogue/);
    m.incrementCounter('my.events');
    assert.throws(() => m.recordHistogram('my.events', 1), /"my.events" is a counter; it cannot also be used as a histogram/);
  });
});

describe('OTELLogger', () => {
  let telemetry;
  let lines;
  let logger;
  const sink = () => new Writable({ write(chunk, _enc, done) { lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l))); done(); } });
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => {
    telemetry.reset();
    lines = [];
    logger = new OTELLogger('rag', { level: 'debug', destination: sink() });
  });

  it('writes a JSON line with time, level, component, message and the extra fields', () => {
    logger.info('search done', { extra: { results: 5, index: 'docs' } });
    assert.equal(lines.length, 1);
    const line = lines[0];
    assert.equal(line.level, 'info');
    assert.equal(line.component, 'rag');
    assert.equal(line.message, 'search done');
    assert.equal(line.results, 5);
    assert.equal(line.index, 'docs');
    assert.ok(!Number.isNaN(Date.parse(line.time)));
    assert.equal(line.trace_id, undefined, 'no trace outside a span');
  });

  it('correlates with the active span automatically, in the JSON line and the OTel log record', () => {
    const tracer = new OTELTracer();
    const ids = tracer.startTrace('work', (span) => {
      logger.warn('slow provider', { extra: { provider: 'openai' } });
      return { traceId: span.traceId, spanId: span.spanId };
    });
    assert.equal(lines[0].trace_id, ids.traceId);
    assert.equal(lines[0].span_id, ids.spanId);
    const [record] = telemetry.getFinishedLogs();
    assert.equal(record.body, 'slow provider');
    assert.equal(record.severityNumber, SeverityNumber.WARN);
    assert.equal(record.severityText, 'WARN');
    assert.equal(record.spanContext.traceId, ids.traceId);
    assert.equal(record.spanContext.spanId, ids.spanId);
    assert.equal(record.attributes.component, 'rag');
    assert.equal(record.attributes.provider, 'openai');
  });

  it('logs an error\'s type, message and stack', () => {
    logger.error('provider failed', { err: new TypeError('bad response'), extra: { attempt: 2 } });
    assert.equal(lines[0].error.type, 'TypeError');
    assert.equal(lines[0].error.message, 'bad response');
    assert.match(lines[0].error.stack, /TypeError: bad response/);
    const [record] = telemetry.getFinishedLogs();
    assert.equal(record.attributes['exception.type'], 'TypeError');
    assert.equal(record.attributes['exception.message'], 'bad response');
    assert.equal(record.severityNumber, SeverityNumber.ERROR);
  });

  it('drops records below its level', () => {
    const quiet = new OTELLogger('rag', { level: 'warn', destination: sink() });
    quiet.info('ignored');
    quiet.debug('ignored');
    quiet.error('kept');
    assert.deepEqual(lines.map((l) => l.message), ['kept']);
    assert.equal(telemetry.getFinishedLogs().length, 1);
  });

  it('adds tenant.id inside a request handled by the middleware', async () => {
    const app = express();
    app.use(otelMiddleware());
    app.get('/v1/x', (req, res) => {
      logger.info('handling');
      res.json({ fields: traceFields(), traceId: req.otel.traceId });
    });
    const server = await listen(app);
    try {
      const res = await request(server.url).get('/v1/x').set('x-tenant-id', 'acme').expect(200);
      assert.equal(lines[0]['tenant.id'], 'acme');
      assert.equal(lines[0].trace_id, res.body.traceId);
      assert.equal(res.body.fields['tenant.id'], 'acme');
      assert.equal(telemetry.getFinishedLogs()[0].attributes['tenant.id'], 'acme');
    } finally {
      await server.close();
    }
  });

  it('never throws from a log call: circular and bigint fields are written, in the line and the OTel record', () => {
    const circular = { name: 'a' };
    circular.self = circular;
    assert.doesNotThrow(() => logger.info('odd fields', { extra: { circular, big: 10n, list: [1, 2] } }));
    assert.equal(lines.length, 1);
    const [record] = telemetry.getFinishedLogs();
    assert.equal(record.body, 'odd fields');
    assert.equal(record.attributes.circular, '{"name":"a","self":"[Circular]"}');
    assert.equal(record.attributes.big, '10');
    assert.equal(record.attributes.list, '[1,2]');
  });

  it('keeps its own fields when extra uses their names: writes those as extra.<name>', () => {
    const tracer = new OTELTracer();
    const traceId = tracer.startTrace('work', (span) => {
      logger.info('clash', { extra: { level: 'custom', trace_id: 'forged', message: 'other', component: 'x' } });
      return span.traceId;
    });
    const [line] = lines;
    assert.equal(line.level, 'info');
    assert.equal(line.trace_id, traceId);
    assert.equal(line.message, 'clash');
    assert.equal(line.component, 'rag');
    assert.deepEqual([line['extra.level'], line['extra.trace_id'], line['extra.message'], line['extra.component']], ['custom', 'forged', 'other', 'x']);
    const [record] = telemetry.getFinishedLogs();
    assert.equal(record.attributes.component, 'rag');
    assert.equal(record.attributes['extra.component'], 'x');
  });

  it('reads LOG_LEVEL in any case and never fails on a value it does not know', () => {
    const saved = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = 'DEBUG';
      new OTELLogger('rag', { destination: sink() }).debug('shown');
      process.env.LOG_LEVEL = 'warning';
      const warnOnly = new OTELLogger('rag', { destination: sink() });
      warnOnly.info('hidden');
      warnOnly.warn('shown too');
      process.env.LOG_LEVEL = 'verbose';
      const fallback = new OTELLogger('rag', { destination: sink() });
      fallback.debug('hidden');
      fallback.info('info by default');
      // A name every object has (a lookup in a plain object would find Object.prototype's).
      process.env.LOG_LEVEL = 'constructor';
      const inherited = new OTELLogger('rag', { destination: sink() });
      inherited.debug('hidden');
      inherited.info('info for an inherited name too');
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
    assert.deepEqual(lines.map((l) => l.message), ['shown', 'shown too', 'info by default', 'info for an inherited name too']);
  });

  it('validates its arguments', () => {
    assert.throws(() => new OTELLogger(''), /component must be a non-empty string/);
    assert.throws(() => new OTELLogger('x', { level: 'verbose' }), /level must be one of debug, info, warn, error/);
  });

  it('traceFields() works as a pino mixin for an app\'s own logger', () => {
    const pino = require('pino');
    const own = [];
    const appLogger = pino({ mixin: traceFields }, new Writable({ write(c, _e, d) { own.push(JSON.parse(c)); d(); } }));
    trace.getTracer('t').startActiveSpan('s', (span) => {
      appLogger.info('hello');
      assert.equal(own[0].trace_id, span.spanContext().traceId);
      span.end();
    });
  });
});
