/**
 * The route template of an Express request: the mount paths of the routers (and sub-apps) it went
 * through, joined with the matched route's path: `/v1/users/:uid/items/:id`, never the raw URL.
 *
 * Express keeps only the final route on the request (`req.route`) and the raw matched prefix
 * (`req.baseUrl`, `/v1/users/42`). The mount templates live on the router layers, so we look the
 * route up in the app's router tree (express-mounts.ts) and read the template off the layers of
 * the chain that leads to it (express-route-template.ts). When a route is reachable through exactly
 * one chain of mounts (the common case), that is done once per route object and app, and cached;
 * else, per request, with the chain that matches `req.baseUrl`. No monkeypatching.
 */

import { pathOfTarget } from '../src/options';
import { addSubApp, addTopApp, appsLearned } from './express-apps';
import type { App } from './express-apps';
import { findRoute } from './express-mounts';
import type { Route } from './express-mounts';
import { chainTemplate, sameForEveryRequest } from './express-route-template';
import type { Layer } from './express-route-template';

interface ExpressRequest {
  route?: Route;
  baseUrl?: string;
  originalUrl?: string;
  app?: App;
}

/** What one route object is named by in one app. */
interface Resolution {
  // The app's request prototype (see expressRoute) and the app.
  readonly owner: object | null;
  readonly app: App | undefined;
  // The same route in another app (a router mounted in both): each app has its own mounts.
  readonly next: Resolution | undefined;
  readonly routePath: string;
  // The whole template, once known to be the same for every request of `app`.
  template: string | undefined;
  // Each a chain of layers from the top app to the route (see express-mounts.ts).
  chains: Layer[][];
  // Match the chains against the request's path, not `req.baseUrl` (see express-mounts.ts).
  wholePath: boolean;
  // `appsLearned()` when searched, to search again once more apps are known, if the route or the
  // mounts of its app were not found or only guessed at; -1 when found.
  searchedAt: number;
  // Found, but not all of its app's mounts: `template` is kept until more apps are known.
  provisional: boolean;
}

// What each route object is named by, by route object, then app (`Resolution.next`).
const resolutions = new WeakMap<object, Resolution>();
// The resolutions whose template is kept only until more apps are known.
const provisional: WeakRef<Resolution>[] = [];

/**
 * Called by the middleware with the prototype of a request it sees (once per app, not per
 * request): the app it runs in, and that app's parents, are where mounts are searched from.
 */
export function learnTopApp(prototype: object | null): void {
  if (addTopApp((prototype as { app?: App } | null)?.app)) forgetProvisional();
}

/** More apps known: the templates kept provisionally are searched for again. */
function forgetProvisional(): void {
  for (const ref of provisional) {
    const resolution = ref.deref();
    if (resolution !== undefined) resolution.template = undefined;
  }
  provisional.length = 0;
}

export function expressRoute(source: unknown): string | undefined {
  const req = source as ExpressRequest;
  const route = req.route;
  if (route === undefined || route === null) return undefined;
  // A route has a template per app, so the app is part of the key; it is told by the request's
  // prototype, which Express sets to the app's `app.request` (where `req.app` comes from) and
  // puts back to the parent's as the request leaves a sub-app. Reading `req.app` itself, like
  // `req.baseUrl`, misses V8's inline caches on Express's requests (see express.ts), while the
  // prototype is a cheap read.
  const owner = Object.getPrototypeOf(req) as object | null;
  let resolution = resolutions.get(route);
  while (resolution !== undefined && resolution.owner !== owner) resolution = resolution.next;
  if (resolution?.template !== undefined) return resolution.template;
  return resolve(req, route, owner, resolution);
}

function resolve(req: ExpressRequest, route: Route, owner: object | null, known: Resolution | undefined): string {
  let resolution = known;
  if (resolution === undefined) {
    const app = req.app;
    // A request whose prototype is not its app's (not Express-made) is resolved afresh each time.
    const kept = owner !== null && (owner as { app?: unknown }).app === app;
    const routePath = typeof route.path === 'string' ? route.path : String(route.path);
    resolution = { owner, app, next: kept ? resolutions.get(route) : undefined, routePath, template: undefined, chains: [], wholePath: false, searchedAt: -1, provisional: false };
    if (kept) resolutions.set(route, resolution);
    if (addSubApp(app)) forgetProvisional();
    search(resolution, route, req);
  } else if (resolution.searchedAt !== -1 && resolution.searchedAt !== appsLearned()) {
    search(resolution, route, req);
  }
  const chains = resolution.chains;
  if (chains.length === 0) {
    // The route was not found (a router Express does not expose, a sub-app not seen yet): better
    // no mount than a raw, high-cardinality one.
    return resolution.routePath;
  }
  // Express's routers put `req.baseUrl` back as the request leaves them (an error passed on to an
  // error handler of a sub-app or router above the route, a fall-through), so by the time the
  // response closes it may be '' or only the outer mounts; the mounts are then matched against
  // the request's own path.
  const fullPath = pathOfTarget(req.originalUrl);
  const path = resolution.wholePath ? fullPath : req.baseUrl || fullPath;
  return matchChains(resolution, path) ?? (path === fullPath ? undefined : matchChains(resolution, fullPath)) ?? resolution.routePath;
}

function search(resolution: Resolution, route: Route, req: ExpressRequest): void {
  const found = findRoute(resolution.app, route, pathOfTarget(req.originalUrl));
  resolution.chains = found.chains;
  resolution.wholePath = found.wholePath;
  resolution.searchedAt = found.searchAgain ? appsLearned() : -1;
  // Mounted by an app not known yet, or by a function: named without those mounts, and kept so
  // (a cache hit) until more apps are known.
  resolution.provisional = found.mountsUnknown;
}

/** The template of the first chain that matches `path`, kept when every request gets it. */
function matchChains(resolution: Resolution, path: string): string | undefined {
  const chains = resolution.chains;
  // A sub-app's own mount is checked against the path only when there is a choice to make.
  const checkLiterals = chains.length > 1;
  for (const chain of chains) {
    const template = chainTemplate(chain, path, checkLiterals);
    if (template === undefined) continue;
    const whole = template + resolution.routePath;
    if (chains.length === 1 && (resolution.searchedAt === -1 || resolution.provisional) && sameForEveryRequest(chain)) {
      resolution.template = whole;
      if (resolution.provisional) provisional.push(new WeakRef(resolution));
    }
    return whole;
  }
  return undefined;
}
