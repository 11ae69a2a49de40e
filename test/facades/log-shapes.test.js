'use strict';
// The two JSON line shapes OTELLogger writes: the default one, whose trace_id Loki's derived
// field (the matcher docs/logs.md shows) finds, and ECS for Elasticsearch.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Writable } = require('node:stream');
const { trace } = require('@opentelemetry/api');
const { OTELLogger } = require('@motadata/otel');
const { startMemoryTelemetry } = require('../support/telemetry');

const DOCS = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'logs.md'), 'utf8');

/** A logger writing into `raw` (the lines as written) of the given format. */
function capture(options) {
  const raw = [];
  const destination = new Writable({ write(chunk, _enc, done) { raw.push(...chunk.toString().trim().split('\n')); done(); } });
  return { raw, logger: new OTELLogger('rag', { emitOtel: false, destination, ...options }) };
}

function inSpan(fn) {
  return trace.getTracer('test').startActiveSpan('work', (span) => {
    fn();
    span.end();
    return span.spanContext();
  });
}

describe('OTELLogger line shapes', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry({ serviceName: 'rag-service' })));
  after(() => telemetry.shutdown());

  it('default: Loki\'s derived field, as docs/logs.md configures it, finds the trace id in the line', () => {
    const matcher = /matcherRegex: '([^']+)'/.exec(DOCS)?.[1];
    assert.ok(matcher, 'docs/logs.md shows a derived-field matcherRegex');
    const { raw, logger } = capture();
    const { traceId, spanId } = inSpan(() => logger.info('vector search done', { extra: { results: 5 } }));
    assert.equal(new RegExp(matcher).exec(raw[0])?.[1], traceId);
    const line = JSON.parse(raw[0]);
    assert.equal(line.span_id, spanId);
    assert.equal(line.level, 'info');
    assert.equal(line.component, 'rag');
    assert.equal(line.results, 5);
    assert.match(line.time, /^\d{4}-\d\d-\d\dT/);
  });

  it('ecs: @timestamp, log.level, message, ecs.version, service.name, log.logger, trace.id, span.id and error.*', () => {
    const { raw, logger } = capture({ format: 'ecs' });
    const err = new RangeError('timeout');
    const { traceId, spanId } = inSpan(() => logger.error('provider failed', { err, extra: { provider: 'openai' } }));
    const line = JSON.parse(raw[0]);
    assert.match(line['@timestamp'], /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.equal(line['log.level'], 'error');
    assert.equal(line.message, 'provider failed');
    assert.equal(line['ecs.version'], '8.11.0');
    assert.equal(line['service.name'], 'rag-service');
    assert.equal(line['log.logger'], 'rag');
    assert.equal(line['trace.id'], traceId);
    assert.equal(line['span.id'], spanId);
    assert.equal(line['error.type'], 'RangeError');
    assert.equal(line['error.message'], 'timeout');
    assert.match(line['error.stack_trace'], /RangeError: timeout/);
    assert.equal(line.provider, 'openai');
    for (const name of ['time', 'level', 'trace_id', 'span_id', 'component', 'error']) assert.equal(line[name], undefined, name);
  });

  it('ecs: takes service.name from the option over the telemetry\'s', () => {
    const { raw, logger } = capture({ format: 'ecs', serviceName: 'billing' });
    logger.info('x');
    assert.equal(JSON.parse(raw[0])['service.name'], 'billing');
  });

  it('refuses an unknown format at construction, naming it', () => {
    assert.throws(() => new OTELLogger('rag', { format: 'gelf' }), /format must be 'default' or 'ecs', got "gelf"/);
  });
});
