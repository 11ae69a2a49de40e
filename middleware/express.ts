import { context } from '@opentelemetry/api';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { IGNORED_REQUEST, Lifecycle, RequestTelemetry, endOnClose } from '../src/lifecycle';
import type { RequestOtel } from '../src/lifecycle';
import type { OtelMiddlewareOptions } from '../src/options';
import { expressRoute } from './express-route';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's telemetry: tenant, trace id, `recordCost()`. Set by `otelMiddleware()`. */
      otel: RequestOtel;
    }
  }
}

export type { OtelMiddlewareOptions, RequestOtel };
export type ExpressOtelOptions = OtelMiddlewareOptions<Request>;

/**
 * Express (4 and 5) middleware: one SERVER span per request, named by route template, with the
 * tenant, latency metric and `req.otel`. Register it first, before body parsers and routers.
 * @example app.use(otelMiddleware({ tenant: { header: 'x-tenant-id' }, ignore: ['/health'] }));
 */
export function otelMiddleware(options?: ExpressOtelOptions): RequestHandler {
  const lifecycle = new Lifecycle(options, expressRoute);
  return function otelExpressMiddleware(req, res, next) {
    const state = lifecycle.start(req, res, req);
    if (state === undefined) {
      req.otel = IGNORED_REQUEST;
      next();
      return;
    }
    req.otel = state;
    res.on('close', endOnClose);
    // Everything after this middleware, and everything it awaits, runs with the span active.
    context.with(state.context, next);
  };
}

/**
 * Records an error that reached Express's error handling on the request's span, then passes it
 * on unchanged. Express catches handler errors itself, so without this the span still gets
 * ERROR from a 5xx status but not the exception. Register it after your routes and before your
 * own error handlers.
 * @example app.use(otelErrorHandler()); app.use(myErrorHandler);
 */
export function otelErrorHandler(): ErrorRequestHandler {
  return function otelExpressErrorHandler(err, req, _res, next) {
    if (req.otel instanceof RequestTelemetry) req.otel.recordError(err);
    next(err);
  };
}
