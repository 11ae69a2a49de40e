'use strict';
// Shared by the component tests: spans by name and parent checks.
const assert = require('node:assert/strict');
const { SpanStatusCode } = require('@opentelemetry/api');

function spansByName(telemetry) {
  const byName = {};
  for (const span of telemetry.getFinishedSpans()) (byName[span.name] ??= []).push(span);
  return byName;
}

function assertChildOf(child, parent) {
  assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId, `${child.name} is a child of ${parent.name}`);
  assert.equal(child.spanContext().traceId, parent.spanContext().traceId);
}

function assertFailed(span, message) {
  assert.equal(span.status.code, SpanStatusCode.ERROR, `${span.name} is ERROR`);
  assert.equal(span.status.message, message);
  assert.ok(span.events.some((e) => e.name === 'exception' && e.attributes['exception.message'] === message), `${span.name} recorded the exception`);
}

module.exports = { spansByName, assertChildOf, assertFailed };
