// The ESM side of the entry points, written as an ES module the way an ESM app imports the kit.
import assert from 'node:assert/strict';
import { initTelemetry, tracedFetch } from '@motadata/otel';
import { otelMiddleware as expressMiddleware } from '@motadata/otel/express';
import { otelMiddleware as koaMiddleware } from '@motadata/otel/koa';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

describe('ESM named imports', () => {
  it('resolve to the CommonJS build\'s functions', () => {
    assert.equal(initTelemetry, require('@motadata/otel').initTelemetry);
    assert.equal(tracedFetch, require('@motadata/otel').tracedFetch);
    assert.equal(expressMiddleware, require('@motadata/otel/express').otelMiddleware);
    assert.equal(koaMiddleware, require('@motadata/otel/koa').otelMiddleware);
  });
});
