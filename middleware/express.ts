import { context } from '../src/bound';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { EventEmitter } from 'node:events';
import { IncomingMessage } from 'node:http';
import type { ServerResponse } from 'node:http';
import { Lifecycle } from '../src/lifecycle';
import { IGNORED_REQUEST, currentRequest } from '../src/request-otel';
import { RequestTelemetry } from '../src/request-telemetry';
import { stateOf } from '../src/response';
import type { Framework } from '../src/lifecycle';
import type { RequestOtel } from '../src/request-otel';
import type { OtelMiddlewareOptions } from '../src/options';
import { expressRoute, learnTopApp } from './express-route';

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

// The trace id goes on the response as the request starts, and the state is kept on
// `res.locals` (see Framework.traceIdAt and Framework.stateIn for why).
const EXPRESS: Framework = { routeOf: expressRoute, traceIdAt: 'start', stateIn: 'locals' };

// Marks a request prototype that has the `otel` getter.
const HAS_OTEL_GETTER = Symbol('motadata.otel.getter');

// Why the middleware reads as little as it can off `req` and `res`: Express swaps the prototype
// of each (Object.setPrototypeOf), then adds properties, which gives every request and response
// an object shape of its own in V8, so each property read misses its inline cache
// (bench/hot-path.md). So `on` is taken from EventEmitter once rather than looked up through the
// five prototypes of every response, and the getter check compares prototypes.
// eslint-disable-next-line @typescript-eslint/unbound-method -- called as addListener.call(res, ...)
const addListener = EventEmitter.prototype.on;

const otelProperty: PropertyDescriptor = {
  configurable: true,
  get(this: { res?: ServerResponse }): RequestOtel {
    const res = this.res;
    if (res === undefined) return IGNORED_REQUEST;
    const state = stateOf(res);
    return state instanceof RequestTelemetry ? state : (activeStateOf(res) ?? IGNORED_REQUEST);
  },
  // An app that assigns req.otel itself gets a plain property, as before.
  set(this: object, value: unknown) {
    Object.defineProperty(this, 'otel', { value, writable: true, configurable: true, enumerable: true });
  },
};

/**
 * An app that replaced `res.locals` took the kept state with it; in the request's own context
 * (its handlers and what they await) the active request is still this response's.
 */
function activeStateOf(res: ServerResponse): RequestTelemetry | undefined {
  const active = currentRequest();
  return active instanceof RequestTelemetry && active.res === res ? active : undefined;
}

/**
 * Makes `req.otel` a getter on Express's base request prototype (`express.request`, which the
 * `req` of every app and sub-app of that Express inherits; Express documents it as the place to
 * add to requests), reading the state the lifecycle keeps with the response (`req.res.locals`).
 * Why not `req.otel = state`: a property added to Express's request objects costs far more than
 * the getter (bench/hot-path.md). Runs once per Express copy: later requests see the marker.
 */
function defineOtelGetter(req: Request): void {
  let proto: object | null = Object.getPrototypeOf(req) as object | null;
  while (proto !== null && Object.getPrototypeOf(proto) !== IncomingMessage.prototype) proto = Object.getPrototypeOf(proto) as object | null;
  if (proto === null) {
    // Not an IncomingMessage: no shared prototype to put it on, an own property then.
    Object.defineProperty(req, 'otel', { ...otelProperty, configurable: true });
    return;
  }
  Object.defineProperty(proto, 'otel', otelProperty);
  Object.defineProperty(proto, HAS_OTEL_GETTER, { value: true });
}

/**
 * Express (4 and 5) middleware: one SERVER span per request, named by route template, with the
 * tenant, latency metric and `req.otel`. Register it first, before body parsers and routers.
 * @example app.use(otelMiddleware({ tenant: { header: 'x-tenant-id' }, ignore: ['/health'] }));
 */
export function otelMiddleware(options?: ExpressOtelOptions): RequestHandler {
  const lifecycle = new Lifecycle(options, EXPRESS);
  // The request prototype last seen with the getter: one per app, so the `in` check runs when
  // a request of another app or sub-app (or a plain IncomingMessage) comes through.
  let prototypeWithGetter: object | null = null;
  return function otelExpressMiddleware(req, res, next) {
    const proto = Object.getPrototypeOf(req) as object | null;
    if (proto !== prototypeWithGetter) {
      if (!(HAS_OTEL_GETTER in req)) defineOtelGetter(req);
      if (proto !== null && HAS_OTEL_GETTER in proto) prototypeWithGetter = proto;
      // The app the middleware runs in: where the mounts of a sub-app a router mounted are found.
      learnTopApp(proto);
    }
    const state = lifecycle.start(req, res, req);
    if (state === undefined) {
      next();
      return;
    }
    // A closure, not the shared listener Koa's adapter uses: that one finds the state on `res`,
    // and here it is on `res.locals`, which an app may replace; a closure is cheaper than a
    // property added to an Express response.
    addListener.call(res, 'close', () => state.end());
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
