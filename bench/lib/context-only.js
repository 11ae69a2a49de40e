'use strict';
// The context part of a telemetry middleware and nothing else: NodeSDK's context manager
// (AsyncLocalStorage), and each request's handlers run in a context holding one value, as the
// kit's run in one holding the request. No SDK is started.
const { ROOT_CONTEXT, context, createContextKey } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');

function contextOnlyMiddleware() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const REQUEST = createContextKey('bench.request');
  return (request, next) => context.with(ROOT_CONTEXT.setValue(REQUEST, request), next);
}

module.exports = { contextOnlyMiddleware };
