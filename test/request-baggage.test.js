'use strict';
// RequestBaggage (src/request-baggage.ts): the baggage a request's handlers run with, built when
// read, over the caller's entries, tenant first.
const assert = require('node:assert/strict');
const { propagation } = require('@opentelemetry/api');
const { RequestBaggage } = require('../dist/src/request-baggage.js');

const accept = () => true;
const caller = () => propagation.createBaggage({ region: { value: 'eu' }, 'tenant.id': { value: 'spoofed' } });

describe('RequestBaggage', () => {
  it('puts the request\'s tenant first, over the caller\'s entries, once', () => {
    const baggage = new RequestBaggage({ tenantId: 'acme' }, caller(), accept);
    assert.deepEqual(baggage.getAllEntries(), [['tenant.id', { value: 'acme' }], ['region', { value: 'eu' }]]);
  });

  it('keeps the tenant first even when the caller uses integer-like keys', () => {
    const incoming = propagation.createBaggage({ 7: { value: 'x' }, region: { value: 'eu' } });
    assert.equal(new RequestBaggage({ tenantId: 'acme' }, incoming, accept).getAllEntries()[0][0], 'tenant.id');
  });

  it('follows a tenant that arrives late (an auth middleware after the kit)', () => {
    const request = { tenantId: undefined };
    const baggage = new RequestBaggage(request, undefined, accept);
    assert.deepEqual(baggage.getAllEntries(), []);
    request.tenantId = 'late';
    assert.equal(baggage.getEntry('tenant.id').value, 'late');
  });

  it('drops a caller\'s tenant.id the validation rejects when the request has none, keeping the rest', () => {
    const rejectSpoofed = (id) => id !== 'spoofed';
    assert.deepEqual(new RequestBaggage({ tenantId: undefined }, caller(), rejectSpoofed).getAllEntries(), [['region', { value: 'eu' }]]);
    const onlyTenant = propagation.createBaggage({ 'tenant.id': { value: 'spoofed' } });
    assert.deepEqual(new RequestBaggage({ tenantId: undefined }, onlyTenant, rejectSpoofed).getAllEntries(), []);
    assert.equal(new RequestBaggage({ tenantId: undefined }, caller(), accept).getEntry('tenant.id').value, 'spoofed');
  });

  it('derives ordinary baggage: setEntry, removeEntry, clear', () => {
    const baggage = new RequestBaggage({ tenantId: 'acme' }, undefined, accept);
    assert.equal(baggage.setEntry('k', { value: 'v' }).getEntry('tenant.id').value, 'acme');
    assert.equal(baggage.removeEntry('tenant.id').getEntry('tenant.id'), undefined);
    assert.deepEqual(baggage.clear().getAllEntries(), []);
  });
});
