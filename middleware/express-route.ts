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
 * No monkeypatching.
 * Express 5 layers keep their template (`layer.rawPath`); Express 4 layers keep a RegExp and
 * its keys, from which the template is rebuilt by putting `:name` back into the matched segments.
 */

import { pathOfTarget } from '../src/options';

interface Key {
  name: string | number;
}
interface Layer {
  route?: unknown;
  handle?: { stack?: Layer[]; name?: string };
  match?: (path: string) => unknown;
  // Express 5 (router 2.x)
  rawPath?: unknown;
  slash?: boolean;
  matchers?: ((path: string) => { path: string } | false)[];
  // Express 4
  regexp?: RegExp & { fast_slash?: boolean; fast_star?: boolean };
  keys?: Key[];
}
type LayerClass = new (path: unknown, options: object, handle: () => void) => Layer;
interface App {
  mountpath?: string | string[];
  parent?: App;
  router?: { stack?: Layer[] };
  _router?: { stack?: Layer[] };
}
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
  // Template of the mounts of the app the chains start in (`app`, or a sub-app of it).
  prefix: string;
  chains: Layer[][];
  // Found in a sub-app: `req.baseUrl` is the parent's again, so the chains are matched against
  // the request's path.
  wholePath: boolean;
  // `subAppsLearned` when searched, to search again once more sub-apps are known, if the route
  // was not found or only guessed at; -1 when found.
  searchedAt: number;
}

// By route object, then app.
const resolutions = new WeakMap<object, Resolution>();
// Express 4 mount RegExps with the `d` flag, whose matches carry each group's indices.
const withIndices = new WeakMap<RegExp, RegExp>();
// Sub-apps by parent. `app.use(path, subApp)` mounts a closure, not the sub-app, so the parent's
// router does not lead to it; a sub-app is learned from a request routed inside it (`req.app`).
const subApps = new WeakMap<App, Set<App>>();
let subAppsLearned = 0;
// Set by `layerTemplate()`: how much of the path the layer matched (no object per match).
let matchedLength = 0;
const noop = (): void => {};

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
    resolution = { owner, app, next: kept ? resolutions.get(route) : undefined, routePath, template: undefined, prefix: '', chains: [], wholePath: false, searchedAt: -1 };
    if (kept) resolutions.set(route, resolution);
    learnSubApp(app);
    search(resolution, route, req);
  } else if (resolution.searchedAt !== -1 && resolution.searchedAt !== subAppsLearned) {
    search(resolution, route, req);
  }
  const chains = resolution.chains;
  if (chains.length === 0) {
    // The route was not found (a router Express does not expose, a sub-app not seen yet): better
    // no mount than a raw, high-cardinality one.
    return resolution.routePath;
  }
  // Express's routers put `req.baseUrl` back as the request leaves them (an error passed on to an
  // app-level error handler, a fall-through), so by the time the response closes it may be ''
  // for a nested route; the mounts are then matched against the request's own path.
  const path = resolution.wholePath ? pathOfTarget(req.originalUrl) : req.baseUrl || pathOfTarget(req.originalUrl);
  // The path starts with the (raw) mounts of the app the chains start in: skip as many segments.
  const base = skipSegments(path, segmentCount(resolution.prefix));
  for (const chain of chains) {
    const template = chainTemplate(chain, base);
    if (template === undefined) continue;
    const whole = resolution.prefix + template + resolution.routePath;
    if (chains.length === 1 && resolution.searchedAt === -1 && sameForEveryRequest(chain)) resolution.template = whole;
    return whole;
  }
  return resolution.routePath;
}

function search(resolution: Resolution, route: Route, req: ExpressRequest): void {
  const app = resolution.app;
  const chains: Layer[][] = [];
  resolution.chains = chains;
  resolution.searchedAt = -1;
  const stack = routerStack(app);
  if (stack !== undefined) findChains(stack, route, [], chains, 0);
  if (chains.length > 0) {
    resolution.prefix = appMountTemplate(app);
    resolution.wholePath = false;
    return;
  }
  // Not in the app's routers: in a sub-app, whose error came back to the parent's error
  // handlers, `req.app` the parent again. Named as the sub-app names its successes, so an
  // error and a success of one route are one series.
  resolution.wholePath = true;
  const sub = subAppWith(app, route, chains, 0);
  if (sub !== undefined) {
    resolution.prefix = appMountTemplate(sub);
    return;
  }
  // A sub-app not seen yet (say its first request failed): the route is taken to be its own (not
  // in a router of it) if its path matches all of the rest of the request's path. Searched again
  // once more sub-apps are known, as the sub-app's own mount string (Express 4 lower-cases the
  // layer's, see rebuildTemplate) is then used.
  resolution.prefix = appMountTemplate(app);
  resolution.searchedAt = subAppsLearned;
  const mount = stack === undefined ? undefined : mountedAppOf(stack, route, skipSegments(pathOfTarget(req.originalUrl), segmentCount(resolution.prefix)));
  if (mount !== undefined) chains.push([mount]);
}

function learnSubApp(app: App | undefined): void {
  for (let child = app; child?.parent !== undefined; child = child.parent) {
    let children = subApps.get(child.parent);
    if (children === undefined) subApps.set(child.parent, (children = new Set()));
    // Learned bottom-up: a known sub-app's parents are known too.
    if (children.has(child)) return;
    children.add(child);
    subAppsLearned++;
  }
}

/** The known sub-app of `app` (or of its sub-apps) whose routers hold the route; its chains in `out`. */
function subAppWith(app: App | undefined, route: Route, out: Layer[][], depth: number): App | undefined {
  const children = app === undefined || depth > 16 ? undefined : subApps.get(app);
  if (children === undefined) return undefined;
  for (const child of children) {
    const stack = routerStack(child);
    if (stack !== undefined) findChains(stack, route, [], out, 0);
    if (out.length > 0) return child;
    const found = subAppWith(child, route, out, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The layer of a sub-app mounted on `stack` that matches `path`, the route matching the rest. */
function mountedAppOf(stack: Layer[], route: Route, path: string): Layer | undefined {
  for (const layer of stack) {
    // Express 4 and 5 both name the closure that `app.use()` mounts a sub-app with.
    if (layer.handle?.name !== 'mounted_app') continue;
    if (layerTemplate(layer, path) === undefined) continue;
    const rest = path.slice(matchedLength) || '/';
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

// Express 4 keeps its router in `_router` (its `app.router` getter throws); Express 5 in `router`.
function routerStack(app: App | undefined): Layer[] | undefined {
  if (app === undefined) return undefined;
  if (app._router !== undefined) return app._router.stack;
  try {
    return app.router?.stack;
  } catch {
    return undefined;
  }
}

function findChains(stack: Layer[], route: unknown, chain: Layer[], out: Layer[][], depth: number): void {
  if (depth > 16) return;
  for (const layer of stack) {
    if (layer.route === route) out.push(chain);
    else if (layer.route === undefined && Array.isArray(layer.handle?.stack)) {
      findChains(layer.handle!.stack!, route, [...chain, layer], out, depth + 1);
    }
  }
}

/** The chain's mount template, if the chain matches `baseUrl`; undefined otherwise. */
function chainTemplate(chain: Layer[], baseUrl: string): string | undefined {
  let remaining = baseUrl;
  let template = '';
  for (const layer of chain) {
    const part = layerTemplate(layer, remaining);
    if (part === undefined) return undefined;
    template += part;
    remaining = remaining.slice(matchedLength);
  }
  return template.endsWith('/') ? template.slice(0, -1) : template;
}

/** The layer's mount template if it matches the start of `path` (its length in `matchedLength`). */
function layerTemplate(layer: Layer, path: string): string | undefined {
  matchedLength = 0;
  if (layer.matchers !== undefined) {
    // Express 5: the template is kept; matching only checks this chain is the right one, and
    // which of an array's paths it went through.
    if (layer.slash) return '';
    const matchers = layer.matchers;
    for (let i = 0; i < matchers.length; i++) {
      const match = matchers[i]!(path);
      if (!match) continue;
      matchedLength = match.path.length;
      const raw: unknown = Array.isArray(layer.rawPath) ? layer.rawPath[i] : layer.rawPath;
      return typeof raw === 'string' ? raw : String(raw);
    }
    return undefined;
  }
  if (layer.regexp !== undefined) {
    if (layer.regexp.fast_slash) return '';
    const match = indexed(layer.regexp).exec(path);
    if (match === null) return undefined;
    matchedLength = match[0].length;
    return rebuildTemplate(match, layer.keys ?? [], layer.regexp.ignoreCase);
  }
  return undefined;
}

/**
 * Whether every request through the chain gets one template: not when a layer was mounted at an
 * array of paths (Express 4 joins their RegExps as `...|^...`), each a template of its own, so
 * the chain is matched per request.
 */
function sameForEveryRequest(chain: Layer[]): boolean {
  for (const layer of chain) {
    if (layer.matchers !== undefined ? layer.matchers.length > 1 : layer.regexp?.source.includes('|^')) return false;
  }
  return true;
}

/**
 * Express 4: `/users/42` matched with key `uid` is `/users/:uid`. Each key's value is replaced
 * where the RegExp matched it (its group's indices), so a parameter that is part of a segment
 * (`/t/:a-:b`) or spans several (`*`) never leaves its raw value in the template.
 * The text between comes from the request, and a mount matches in any case unless the router is
 * `caseSensitive`: it is lower-cased then, so `/API/x` and `/api/x` are one series. Express 4
 * does not keep the mount's own string, so `app.use('/API', r)` is named `/api` too.
 */
function rebuildTemplate(match: RegExpExecArray, keys: Key[], ignoreCase: boolean): string {
  const text = match[0];
  const indices = match.indices;
  let template = '';
  let at = 0;
  keys.forEach((key, i) => {
    const span = indices?.[i + 1];
    if (span === undefined || span[0] < at) return;
    const literal = text.slice(at, span[0]);
    template += `${ignoreCase ? literal.toLowerCase() : literal}:${key.name}`;
    at = span[1];
  });
  const rest = text.slice(at);
  return template + (ignoreCase ? rest.toLowerCase() : rest);
}

function indexed(regexp: RegExp): RegExp {
  let copy = withIndices.get(regexp);
  if (copy === undefined) {
    copy = new RegExp(regexp.source, regexp.flags.replace(/[gy]/g, '') + (regexp.hasIndices ? '' : 'd'));
    withIndices.set(regexp, copy);
  }
  return copy;
}

function appMountTemplate(app: App | undefined): string {
  let template = '';
  for (let current = app; current?.parent !== undefined; current = current.parent) {
    const mount = Array.isArray(current.mountpath) ? current.mountpath.join(',') : current.mountpath ?? '';
    if (mount !== '/') template = mount + template;
  }
  return template;
}

function segmentCount(path: string): number {
  return path === '' ? 0 : path.split('/').length - 1;
}

function skipSegments(path: string, count: number): string {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const next = path.indexOf('/', at + 1);
    if (next === -1) return '';
    at = next;
  }
  return count === 0 ? path : path.slice(at);
}
