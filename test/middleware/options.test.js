'use strict';
const assert = require('node:assert/strict');
const express = require('@motadata/otel/express');
const koa = require('@motadata/otel/koa');

describe('otelMiddleware() options', () => {
  const cases = [
    [{ ignore: 42 }, /option "ignore" must be a string, RegExp or function/],
    [{ ignore: ['/health', null] }, /option "ignore" must be a string, RegExp or function/],
    [{ trustIncoming: 'yes' }, /option "trustIncoming" must be a boolean or a function, got "yes"/],
    [{ tenant: { header: 'x tenant' } }, /option "tenant\.header" must be a header name or false/],
    [{ tenant: { maxTenants: 0 } }, /option "tenant\.maxTenants" must be a positive integer, got 0/],
    [{ tenant: { maxTenants: 1.5 } }, /option "tenant\.maxTenants" must be a positive integer/],
    [{ tenant: { validate: 'abc' } }, /option "tenant\.validate" must be a RegExp or a function/],
    [{ tenant: { resolveTenant: 'x' } }, /option "tenant\.resolveTenant" must be a function/],
    [{ tenant: { fromBaggage: 1 } }, /option "tenant\.fromBaggage" must be a boolean/],
    [{ captureHeaders: { request: 'x-id' } }, /option "captureHeaders\.request" must be an array of header names/],
    [{ captureHeaders: { response: ['ok', 'bad header'] } }, /option "captureHeaders\.response" must be an array of header names, got "bad header"/],
    [{ traceResponse: { serverTiming: 'on' } }, /option "traceResponse\.serverTiming" must be a boolean/],
    ['fast', /option "options" must be an object/],
  ];
  for (const [adapter, name] of [[express, 'Express'], [koa, 'Koa']]) {
    describe(name, () => {
      for (const [options, message] of cases) {
        it(`throws a TypeError when created with ${JSON.stringify(options)}`, () => {
          assert.throws(() => adapter.otelMiddleware(options), (err) => err instanceof TypeError && message.test(err.message));
        });
      }
      it('accepts the defaults', () => assert.equal(typeof adapter.otelMiddleware(), 'function'));
    });
  }
});
