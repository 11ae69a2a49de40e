'use strict';
// The one-object request context (src/request-context.ts) must read and derive exactly like the
// chain of API contexts it replaces: span, tenant baggage over the caller's, the request.
const assert = require('node:assert/strict');
const { ROOT_CONTEXT, propagation, trace, createContextKey } = require('@opentelemetry/api');
const { RequestContext, REQUEST_KEY } = require('../dist/src/request-context.js');

const SPAN = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
const CALLER = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
const OTHER_KEY = createContextKey('request-context.test other');
const request = { name: 'the request', tenantId: undefined };
const requestOf = (tenantId) => ({ name: 'the request', tenantId });

function callerContext() {
  const baggage = propagation.createBaggage({ region: { value: 'eu' }, 'tenant.id': { value: 'spoofed' } });
  return propagation.setBaggage(trace.setSpan(ROOT_CONTEXT, CALLER), baggage).setValue(OTHER_KEY, 42);
}

describe('RequestContext', () => {
  it('holds the span, the request and the caller\'s other values', () => {
    const ctx = new RequestContext(callerContext(), SPAN, request);
    assert.equal(trace.getSpan(ctx), SPAN);
    assert.equal(ctx.getValue(REQUEST_KEY), request);
    assert.equal(ctx.getValue(OTHER_KEY), 42);
  });

  it('keeps the span of the parent when it adds none (instrumentation-http owns the span)', () => {
    const ctx = new RequestContext(callerContext(), undefined, request);
    assert.equal(trace.getSpan(ctx), CALLER);
  });

  it('sets tenant.id in the baggage over the caller\'s entries, once', () => {
    const ctx = new RequestContext(callerContext(), SPAN, requestOf('acme'));
    const baggage = propagation.getBaggage(ctx);
    assert.equal(baggage.getEntry('tenant.id').value, 'acme');
    assert.equal(baggage.getEntry('region').value, 'eu');
    assert.equal(propagation.getBaggage(ctx), baggage, 'built once, then the same object');
  });

  it('has only tenant.id as baggage when the caller sent none, and none without a tenant', () => {
    const withTenant = new RequestContext(ROOT_CONTEXT, SPAN, requestOf('acme'));
    assert.deepEqual(propagation.getBaggage(withTenant).getAllEntries(), [['tenant.id', { value: 'acme' }]]);
    assert.equal(propagation.getBaggage(new RequestContext(ROOT_CONTEXT, SPAN, request)), undefined);
    const caller = callerContext();
    assert.equal(propagation.getBaggage(new RequestContext(caller, SPAN, request)), propagation.getBaggage(caller));
  });

  it('drops a caller\'s tenant.id the validation rejects when the request has no tenant, keeping the rest', () => {
    const rejectSpoofed = (tenantId) => tenantId !== 'spoofed';
    const ctx = new RequestContext(callerContext(), SPAN, request, true, rejectSpoofed);
    assert.deepEqual(propagation.getBaggage(ctx).getAllEntries(), [['region', { value: 'eu' }]]);
    const onlyTenant = trace.setSpan(propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ 'tenant.id': { value: 'spoofed' } })), CALLER);
    assert.equal(propagation.getBaggage(new RequestContext(onlyTenant, SPAN, request, true, rejectSpoofed)), undefined);
    // One it accepts (fromBaggage off, say) passes on unchanged.
    const caller = callerContext();
    assert.equal(propagation.getBaggage(new RequestContext(caller, SPAN, request, true, () => true)), propagation.getBaggage(caller));
  });

  it('derives contexts that keep every value, and can override or delete one', () => {
    const ctx = new RequestContext(callerContext(), SPAN, requestOf('acme'));
    const child = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '1111111111111111', traceFlags: 1 });
    const derived = trace.setSpan(ctx, child);
    assert.equal(trace.getSpan(derived), child);
    assert.equal(trace.getSpan(ctx), SPAN, 'the request context itself is unchanged');
    assert.equal(derived.getValue(REQUEST_KEY).name, 'the request');
    assert.equal(derived.getValue(OTHER_KEY), 42);
    assert.equal(propagation.getBaggage(derived).getEntry('tenant.id').value, 'acme');
    const withoutSpan = trace.deleteSpan(ctx);
    assert.equal(trace.getSpan(withoutSpan), undefined);
    assert.equal(withoutSpan.getValue(REQUEST_KEY).name, 'the request');
    const withoutBaggage = propagation.deleteBaggage(ctx);
    assert.equal(propagation.getBaggage(withoutBaggage), undefined);
    assert.equal(trace.getSpan(withoutBaggage), SPAN);
  });

  it('injects the span and the tenant baggage like any context', () => {
    const { W3CBaggagePropagator, W3CTraceContextPropagator, CompositePropagator } = require('@opentelemetry/core');
    const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
    const carrier = {};
    propagator.inject(new RequestContext(callerContext(), SPAN, requestOf('acme')), carrier, { set: (c, k, v) => (c[k] = v) });
    assert.equal(carrier.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.deepEqual(carrier.baggage.split(',').sort(), ['region=eu', 'tenant.id=acme']);
  });
});
