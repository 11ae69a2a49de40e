import { diag } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CardinalityCap } from './cardinality';
import { kitInstruments } from './instruments';
import { isIgnored, isIgnoredPath, pathOf, resolveOptions } from './options';
import type { OtelMiddlewareOptions, ResolvedOptions } from './options';
import { currentRequest } from './request-otel';
import { RequestTelemetry } from './request-telemetry';
import type { RequestSettings, RouteOf } from './request-telemetry';

export type { RouteOf };

const log = diag.createComponentLogger({ namespace: '@motadata/otel/middleware' });

/** What an adapter tells the lifecycle about its framework. */
export interface Framework {
  /** The route template the framework matched for a request. */
  readonly routeOf: RouteOf;
  /**
   * When the trace id goes on the response: `start` sets it as the request starts, `head`
   * hooks `res.writeHead` for it. The hook keeps it through a framework that clears headers on
   * errors (Koa does) and after an app's own `setHeader('Server-Timing')`; on Express it costs
   * far more than a header set at the start (bench/hot-path.md), so Express sets it at the start.
   */
  readonly traceIdAt: 'start' | 'head';
  /**
   * Where the request state is kept for finding it from the response: `response` puts it on
   * `res` under a symbol; `locals` puts it on Express's `res.locals` (the object Express gives
   * each response for per-request values), falling back to `res` when there is none. Express
   * swaps the prototype of every response and then adds to it, so a property the kit added to
   * `res` would give each response an object shape of its own, and every store a slow path in V8
   * (bench/hot-path.md). The adapter that chooses `locals` must not depend on it to end the
   * request, as an app may replace `res.locals`.
   */
  readonly stateIn: 'response' | 'locals';
}

/**
 * The ignore rules of every middleware that has path rules, for instrumentation-http's
 * `ignoreIncomingRequestHook`: with `instrumentHttp`, that instrumentation opens the SERVER span
 * before any middleware sees the request. Weak: a middleware dropped with its app is forgotten.
 */
const pathIgnoringOptions = new Set<WeakRef<ResolvedOptions>>();

/**
 * Whether a path rule (string or RegExp) of any `otelMiddleware()` in the process ignores this
 * request. Predicates are left out: they take the framework's request or context, which does not
 * exist yet when instrumentation-http asks.
 */
export function ignoredByAnyMiddleware(req: IncomingMessage): boolean {
  if (pathIgnoringOptions.size === 0) return false;
  const path = pathOf(req);
  for (const ref of pathIgnoringOptions) {
    const options = ref.deref();
    if (options === undefined) pathIgnoringOptions.delete(ref);
    else if (isIgnoredPath(options, path)) return true;
  }
  return false;
}

/** Span names cached per method; the same bound as the SDK's series per metric. */
const MAX_CACHED_SPAN_NAMES = 2000;

/** The per-middleware part of the lifecycle: resolved options, the route reader, the tenant cap. */
export class Lifecycle implements RequestSettings {
  readonly options: ResolvedOptions;
  readonly tenantCap: CardinalityCap;
  // `${method} ${route}` names, per method and route, so a sampled request builds no string.
  private readonly spanNames = new Map<string, Map<string, string>>();

  readonly routeOf: RouteOf;
  readonly traceIdAtStart: boolean;
  readonly stateInLocals: boolean;

  constructor(options: OtelMiddlewareOptions<never> | undefined, framework: Framework) {
    this.options = resolveOptions(options as OtelMiddlewareOptions<unknown> | undefined);
    if (this.options.ignorePaths.size + this.options.ignorePatterns.length > 0) pathIgnoringOptions.add(new WeakRef(this.options));
    this.routeOf = framework.routeOf;
    this.traceIdAtStart = framework.traceIdAt === 'start';
    this.stateInLocals = framework.stateIn === 'locals';
    this.tenantCap = new CardinalityCap(this.options.maxTenants);
  }

  spanName(method: string, route: string): string {
    let byRoute = this.spanNames.get(method);
    if (byRoute === undefined) this.spanNames.set(method, (byRoute = new Map<string, string>()));
    let name = byRoute.get(route);
    if (name === undefined) {
      name = `${method} ${route}`;
      // Templates are bounded by the app's routes, unless a routing shape lets request input
      // into one: then the cache stops growing and names are built per request.
      if (byRoute.size < MAX_CACHED_SPAN_NAMES) byRoute.set(route, name);
    }
    return name;
  }

  /**
   * Starts the telemetry of one request, or returns undefined when it is ignored or already
   * traced. The caller runs the rest of the request in `context.with(state.context, ...)`.
   */
  start(req: IncomingMessage, res: ServerResponse, source: unknown): RequestTelemetry | undefined {
    // Mounted twice (an app and a sub-app that uses the middleware too): the outer one traces
    // the request; a second SERVER span would start a trace of its own and count it twice.
    const outer = currentRequest();
    if (outer instanceof RequestTelemetry && outer.res === res) return undefined;
    const options = this.options;
    // Most apps ignore nothing (or only a health check): with no matcher the path is not even
    // cut out of the URL, and an unsampled request never needs it.
    if (options.ignoresAny) {
      try {
        if (isIgnored(options, pathOf(req), source)) return undefined;
      } catch (err) {
        log.warn('an ignore predicate threw; the request is traced', err);
      }
    }
    return new RequestTelemetry(this, kitInstruments(), req, res, source);
  }
}
