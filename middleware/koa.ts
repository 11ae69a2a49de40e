import { context } from '../src/bound';
import type { Context as KoaContext, Middleware, Next } from 'koa';
import { Lifecycle } from '../src/lifecycle';
import { IGNORED_REQUEST, currentRequest } from '../src/request-otel';
import { RequestTelemetry } from '../src/request-telemetry';
import { endOnClose } from '../src/response';
import type { Framework } from '../src/lifecycle';
import type { RequestOtel } from '../src/request-otel';
import type { OtelMiddlewareOptions } from '../src/options';

export type { OtelMiddlewareOptions, RequestOtel };
export type KoaOtelOptions = OtelMiddlewareOptions<KoaContext>;

declare module 'koa' {
  interface DefaultState {
    /** This request's telemetry: tenant, trace id, `recordCost()`. Set by `otelMiddleware()`. */
    otel: RequestOtel;
  }
}

interface RouterLayer {
  readonly path?: unknown;
  readonly methods?: unknown;
}

/**
 * The @koa/router template (router prefixes included) of the route serving the request.
 * `_matchedRoute` alone is not it: the router sets it again for every layer it runs, `router.use()`
 * middleware included, so a router middleware that answers (a 401) or runs after the route left
 * its own pattern there (`/api(?:\/|$)`). The route is the layer in `ctx.matched` with methods
 * that include the request's: `_matchedRoute` when it is one (the layer running, when two routes
 * match), else the last such layer, the one the router itself names.
 */
function koaRoute(source: unknown): string | undefined {
  const ctx = source as { _matchedRoute?: unknown; matched?: unknown; method?: unknown };
  const current = ctx._matchedRoute;
  if (typeof current !== 'string') return undefined;
  const matched = ctx.matched;
  if (!Array.isArray(matched)) return current;
  let last: string | undefined;
  for (let i = matched.length - 1; i >= 0; i--) {
    const layer = matched[i] as RouterLayer;
    const methods = layer.methods;
    if (!Array.isArray(methods) || methods.length === 0 || !methods.includes(ctx.method)) continue;
    if (layer.path === current) return current;
    if (last === undefined && typeof layer.path === 'string') last = layer.path;
  }
  return last;
}

// Koa's ctx.onerror removes every header set before an error response, so the trace id goes on
// at writeHead, after it: a caller most wants the trace id of a 500.
const KOA: Framework = { routeOf: koaRoute, traceIdAt: 'head', stateIn: 'response' };

/**
 * Koa (2 and 3) middleware: one SERVER span per request, named by the @koa/router template, with
 * the tenant, latency metric and `ctx.state.otel`. Register it first.
 * @example app.use(otelMiddleware({ tenant: { header: 'x-tenant-id' }, ignore: ['/health'] }));
 */
export function otelMiddleware(options?: KoaOtelOptions): Middleware {
  const lifecycle = new Lifecycle(options, KOA);
  return function otelKoaMiddleware(ctx, next) {
    const state = lifecycle.start(ctx.req, ctx.res, ctx);
    if (state === undefined) {
      // Already set when an outer otelMiddleware traces this request (a mounted Koa app).
      ctx.state.otel ??= IGNORED_REQUEST;
      return next();
    }
    ctx.state.otel = state;
    // The span ends when the response closes, after Koa has written it (or its error response).
    ctx.res.on('close', endOnClose);
    return context.with(state.context, runDownstream, undefined, next);
  };
}

// Not an async function with try/await: with AsyncLocalStorage on, every promise runs Node's
// promise hooks, and the async wrapper made two more promises per request (bench/hot-path.md).
// The rejection handler is one shared function: it runs in the request's context (`.then` is
// called inside it), which tells it the request.
function runDownstream(next: Next): Promise<unknown> {
  try {
    return next().then(undefined, recordRejection);
  } catch (err) {
    return recordRejection(err);
  }
}

/** The status Koa's ctx.onerror will send decides whether the error is a server error. */
function recordRejection(err: unknown): never {
  const state = currentRequest();
  if (state instanceof RequestTelemetry) state.recordError(err);
  throw err;
}
