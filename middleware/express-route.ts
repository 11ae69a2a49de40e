/**
 * The route template of an Express request: the mount paths of the routers (and sub-apps) it went
 * through, joined with the matched route's path: `/v1/users/:uid/items/:id`, never the raw URL.
 *
 * Express keeps only the final route on the request (`req.route`) and the raw matched prefix
 * (`req.baseUrl`, `/v1/users/42`). The mount templates live on the router layers, so we look the
 * route up in the app's router tree: once per route object and app, cached, when the route is
 * reachable through exactly one chain of mounts (the common case); else, per request, the chain
 * that matches `req.baseUrl`. A route that is not in the tree of `req.app` belongs to a sub-app
 * whose error came back to the parent's error handlers, and is named as that sub-app names it.
 * A chain starts with the mounts of the app itself: `app.use(path, subApp)` sets `mountpath` and
 * `parent`; a sub-app mounted at an array of paths is matched like a router mounted so (by a
 * layer built from its `mountpath`); a sub-app a router mounts (`router.use('/x', subApp)`) has
 * neither, and is found as a layer's handle in the router tree of an app the middleware ran in.
 * No monkeypatching. The template a chain's layers matched is read by express-route-template.ts.
 */

import { pathOfTarget } from '../src/options';
import { MAX_DEPTH, addSubApp, addTopApp, appsLearned, isTopApp, knownApps, routerOf, routerStack, subAppsOf } from './express-apps';
import type { App } from './express-apps';
import { Match, literalLayer, matchChain, matchLayer, sameForEveryRequest } from './express-route-template';
import type { Layer } from './express-route-template';

type LayerClass = new (path: unknown, options: object, handle: () => void) => Layer;
interface Route {
  path?: unknown;
}
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
  // Each a chain of layers from the top app to the route: the mounts of the app the route is in
  // (`app`, or a sub-app of it), then the routers within it.
  chains: Layer[][];
  // Found in a sub-app: `req.baseUrl` is the parent's again, so the chains are matched against
  // the request's path.
  wholePath: boolean;
  // `appsLearned()` when searched, to search again once more apps are known, if the route or the
  // mounts of its app were not found or only guessed at; -1 when found.
  searchedAt: number;
  // Found, but not all of its app's mounts: `template` is kept until more apps are known.
  provisional: boolean;
}

// By route object, then app.
const resolutions = new WeakMap<object, Resolution>();
// The resolutions whose template is kept only until more apps are known.
const provisional: WeakRef<Resolution>[] = [];
// Set by `mountChains()`: an app's mounts could not all be found (yet).
let mountsUnknown = false;
const noop = (): void => {};

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
  // `req.baseUrl`, is a V8 runtime miss on Express's requests (express.ts): ~150 ns a read
  // against ~35 ns for the prototype, on requests captured from Express 4 and 5.
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

/** The template of the first chain that matches `path`, kept when every request gets it. */
function matchChains(resolution: Resolution, path: string): string | undefined {
  const chains = resolution.chains;
  // A sub-app's own mount is checked against the path only when there is a choice to make.
  const checkLiterals = chains.length > 1;
  const matched = new Match();
  for (const chain of chains) {
    if (!matchChain(chain, path, checkLiterals, matched)) continue;
    const whole = matched.template + resolution.routePath;
    if (chains.length === 1 && (resolution.searchedAt === -1 || resolution.provisional) && sameForEveryRequest(chain)) {
      resolution.template = whole;
      if (resolution.provisional) provisional.push(new WeakRef(resolution));
    }
    return whole;
  }
  return undefined;
}

function search(resolution: Resolution, route: Route, req: ExpressRequest): void {
  const app = resolution.app;
  const chains: Layer[][] = [];
  resolution.chains = chains;
  resolution.searchedAt = -1;
  resolution.provisional = false;
  mountsUnknown = false;
  const stack = routerStack(app);
  const inApp: Layer[][] = [];
  if (stack !== undefined) findChains(stack, route, [], inApp, 0);
  // Not in the app's routers: in a sub-app (or several sharing a router), whose error came back
  // to the parent's error handlers, `req.app` the parent again. Named as the sub-app names its
  // successes, so an error and a success of one route are one series.
  resolution.wholePath = inApp.length === 0;
  const holders: [App, Layer[][]][] = inApp.length > 0 && app !== undefined ? [[app, inApp]] : [];
  if (inApp.length === 0) subAppsWith(app, route, holders, 0);
  if (holders.length > 0) {
    for (const [holder, inHolder] of holders) {
      for (const mounts of mountChains(holder, 0)) for (const chain of inHolder) chains.push([...mounts, ...chain]);
    }
    if (mountsUnknown) {
      // Mounted by an app not known yet, or by a function: named without those mounts, and kept
      // so (a cache hit) until more apps are known.
      resolution.searchedAt = appsLearned();
      resolution.provisional = true;
    }
    return;
  }
  // A sub-app not seen yet (say its first request failed): the route is taken to be its own (not
  // in a router of it) if its path matches all of the rest of the request's path. Searched again
  // once more sub-apps are known, as the sub-app's own mount string (Express 4 lower-cases the
  // layer's, see rebuildTemplate) is then used.
  resolution.searchedAt = appsLearned();
  if (stack === undefined || app === undefined) return;
  const path = pathOfTarget(req.originalUrl);
  const appMounts = mountChains(app, 0);
  const checkLiterals = appMounts.length > 1;
  const matched = new Match();
  for (const mounts of appMounts) {
    if (!matchChain(mounts, path, checkLiterals, matched)) continue;
    const mount = mountedAppOf(stack, route, path.slice(matched.length));
    if (mount === undefined) continue;
    chains.push([...mounts, mount]);
    return;
  }
}

/**
 * The chains of mount layers from the top app down to `app`, each matched against the request's
 * path like the routers' layers: its parents' `mountpath`s, or the router layers that mount it.
 */
function mountChains(app: App, depth: number): Layer[][] {
  if (depth > MAX_DEPTH) return [[]];
  const parent = app.parent;
  if (parent !== undefined) {
    const own = mountLayer(app, parent);
    const above = mountChains(parent, depth + 1);
    return own === undefined ? above : above.map((chain) => [...chain, own]);
  }
  // No parent: the top app, or a sub-app a router mounts (its handle is the sub-app itself).
  const found: Layer[][] = [];
  for (const host of knownApps()) {
    if (host === app) continue;
    const stack = routerStack(host);
    const inHost: Layer[][] = [];
    if (stack !== undefined) findMounts(stack, app, [], inHost, 0);
    if (inHost.length === 0) continue;
    for (const mounts of mountChains(host, depth + 1)) for (const chain of inHost) found.push([...mounts, ...chain]);
  }
  if (found.length > 0) return found;
  // Mounted by a router of an app not known yet (a sub-app no request was routed in), or by a
  // function of the app's own: named without those mounts until more apps are known.
  if (!isTopApp(app)) mountsUnknown = true;
  return [[]];
}

/** The layer `app.use(mountpath, app)` is matched by, for the chains; none for `/`. */
function mountLayer(app: App, parent: App): Layer | undefined {
  const mount = app.mountpath;
  if (mount === undefined || mount === '/') return undefined;
  // A layer like the one the parent's router mounted the app with (of the parent's own Express,
  // and case-sensitive alike).
  const probe = layerLike(parent, mount);
  // Each path of an array is a template of its own: the layer names the request by the one that matched.
  if (Array.isArray(mount) && probe !== undefined) return probe;
  return literalLayer(String(mount), probe);
}

function layerLike(parent: App, path: unknown): Layer | undefined {
  const router = routerOf(parent);
  const sample = router?.stack?.[0];
  if (sample === undefined) return undefined;
  try {
    return new (sample.constructor as LayerClass)(path, { sensitive: router!.caseSensitive, strict: false, end: false }, noop);
  } catch {
    // Not a Layer after all: the literal alone.
    return undefined;
  }
}

/** The chains of router layers in `stack` that lead to a layer whose handle is `app`, it last. */
function findMounts(stack: Layer[], app: App, chain: Layer[], out: Layer[][], depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const layer of stack) {
    if ((layer.handle as unknown) === app) out.push([...chain, layer]);
    else if (layer.route === undefined && Array.isArray(layer.handle?.stack)) {
      findMounts(layer.handle!.stack!, app, [...chain, layer], out, depth + 1);
    }
  }
}

/** Every known sub-app of `app` (or of its sub-apps) whose routers hold the route, with its chains, into `out`. */
function subAppsWith(app: App | undefined, route: Route, out: [App, Layer[][]][], depth: number): void {
  const children = app === undefined || depth > MAX_DEPTH ? undefined : subAppsOf(app);
  if (children === undefined) return;
  for (const child of children) {
    const stack = routerStack(child);
    const inChild: Layer[][] = [];
    if (stack !== undefined) findChains(stack, route, [], inChild, 0);
    if (inChild.length > 0) out.push([child, inChild]);
    subAppsWith(child, route, out, depth + 1);
  }
}

/** The layer of a sub-app mounted on `stack` that matches `path`, the route matching the rest. */
function mountedAppOf(stack: Layer[], route: Route, path: string): Layer | undefined {
  const matched = new Match();
  for (const layer of stack) {
    // Express 4 and 5 both name the closure that `app.use()` mounts a sub-app with.
    if (layer.handle?.name !== 'mounted_app') continue;
    if (!matchLayer(layer, path, false, matched)) continue;
    const rest = path.slice(matched.length) || '/';
    try {
      // A route layer of the app's own Express, so the path syntax is that version's.
      const probe = new (layer.constructor as LayerClass)(route.path, { end: true, sensitive: false, strict: false }, noop);
      if (probe.match?.(rest)) return layer;
    } catch {
      // Not a Layer after all: not this one.
    }
  }
  return undefined;
}

function findChains(stack: Layer[], route: unknown, chain: Layer[], out: Layer[][], depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const layer of stack) {
    if (layer.route === route) out.push(chain);
    else if (layer.route === undefined && Array.isArray(layer.handle?.stack)) {
      findChains(layer.handle!.stack!, route, [...chain, layer], out, depth + 1);
    }
  }
}
