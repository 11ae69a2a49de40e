'use strict';
// The Koa middleware is a plain function returning next()'s promise (no async wrapper), so the
// two ways a downstream error can reach it are covered here: a rejected next() (Koa's own
// compose; the contract suite's /v1/throw routes) and a next() that throws synchronously (a
// hand-rolled compose, or the middleware called directly), which must still reach the span.
const assert = require('node:assert/strict');
const http = require('node:http');
const request = require('supertest');
const { SpanStatusCode } = require('@opentelemetry/api');
const { otelMiddleware } = require('@motadata/otel/koa');
const { startMemoryTelemetry, waitForServerSpans } = require('../support/telemetry');

describe('Koa otelMiddleware() called with a next() outside koa-compose', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  function serve(next) {
    const middleware = otelMiddleware();
    return http.createServer((req, res) => {
      const ctx = { req, res, state: {} };
      let outcome;
      try {
        outcome = Promise.resolve(middleware(ctx, next));
      } catch (err) {
        outcome = Promise.reject(err);
      }
      outcome.then(
        (value) => res.end(String(value)),
        (err) => {
          res.statusCode = 500;
          res.end(String(err.message));
        },
      );
    });
  }

  it('records an error that next() throws synchronously, and rethrows it', async () => {
    const server = serve(() => {
      throw new RangeError('sync boom');
    });
    const res = await request(server).get('/direct').expect(500);
    assert.equal(res.text, 'sync boom');
    const [span] = await waitForServerSpans(telemetry);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'RangeError');
    assert.equal(span.events.filter((e) => e.name === 'exception').length, 1);
  });

  it('records a rejection of next() and passes the same error on', async () => {
    const res = await request(serve(() => Promise.reject(new TypeError('async boom')))).get('/direct').expect(500);
    assert.equal(res.text, 'async boom');
    const [span] = await waitForServerSpans(telemetry);
    assert.equal(span.attributes['error.type'], 'TypeError');
    assert.equal(span.status.message, 'async boom');
  });

  it('resolves with what next() resolves and records no error', async () => {
    const server = serve(() => Promise.resolve('done'));
    const res = await request(server).get('/direct').expect(200);
    assert.equal(res.text, 'done');
    const [span] = await waitForServerSpans(telemetry);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.events.length, 0);
  });
});
