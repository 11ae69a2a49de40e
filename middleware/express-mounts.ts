/**
 * The search for a route's chains: each a chain of layers from the top app down to the route, the
 * mounts of the app the route is in, then the routers within that app. `app.use(path, subApp)`
 * sets the sub-app's `mountpath` and `parent`, and the sub-app's mount is matched by a layer built
 * from that `mountpath`; a sub-app a router mounts (`router.use('/x', subApp)`) has neither, and
 * is found as a layer's handle in the router tree of a known app (express-apps.ts).
 */

import { MAX_DEPTH, isTopApp, knownApps, routerOf, routerStack, subAppsOf } from './express-apps';
import type { App } from './express-apps';
import { layerTemplate, literalLayer, pathAfter } from './express-route-template';
import type { Layer } from './express-route-template';

export interface Route {
  path?: unknown;
}

type LayerClass = new (path: unknown, options: object, handle: () => void) => Layer;
const noop = (): void => {};

/** What a search found, and how sure it is of it. */
export interface Found {
  readonly chains: Layer[][];
  // Found in a sub-app, whose error came back to the parent: `req.baseUrl` is the parent's
  // again, so the chains are matched against the request's path.
  readonly wholePath: boolean;
  // Not found, or the route's app not seen yet: worth searching again once more apps are known.
  readonly searchAgain: boolean;
  // Found, but not all the mounts of its app (mounted by an app not known yet, or by a function).
  readonly mountsUnknown: boolean;
}

/** The chains from the top app to `route`, for a request of `app` whose path is `path`. */
export function findRoute(app: App | undefined, route: Route, path: string): Found {
  const stack = routerStack(app);
  const inApp: Layer[][] = [];
  if (stack !== undefined) findChains(stack, route, [], inApp, 0);
  // Not in the app's routers: in a sub-app (or several sharing a router), whose error came back
  // to the parent's error handlers, `req.app` the parent again. Named as the sub-app names its
  // successes, so an error and a success of one route are one series.
  const wholePath = inApp.length === 0;
  const holders: [App, Layer[][]][] = inApp.length > 0 && app !== undefined ? [[app, inApp]] : [];
  if (inApp.length === 0) subAppsWith(app, route, holders, 0);
  if (holders.length > 0) {
    const chains: Layer[][] = [];
    let complete = true;
    for (const [holder, inHolder] of holders) {
      const mounts = mountChains(holder, 0);
      if (!mounts.complete) complete = false;
      for (const above of mounts.chains) for (const chain of inHolder) chains.push([...above, ...chain]);
    }
    return { chains, wholePath, searchAgain: !complete, mountsUnknown: !complete };
  }
  // A sub-app not seen yet (say its first request failed): the route is taken to be its own (not
  // in a router of it) if its path matches all of the rest of the request's path. Searched again
  // once more sub-apps are known, as the sub-app's own mount string (Express 4 keeps only a
  // lower-cased RegExp) is then used.
  const notFound: Found = { chains: [], wholePath, searchAgain: true, mountsUnknown: false };
  if (stack === undefined || app === undefined) return notFound;
  const appMounts = mountChains(app, 0).chains;
  const checkLiterals = appMounts.length > 1;
  for (const mounts of appMounts) {
    const rest = pathAfter(mounts, path, checkLiterals);
    if (rest === undefined) continue;
    const mount = mountedAppOf(stack, route, rest);
    if (mount === undefined) continue;
    return { chains: [[...mounts, mount]], wholePath, searchAgain: true, mountsUnknown: false };
  }
  return notFound;
}

/** The chains of mount layers from the top app down to `app`; `complete`: none was left out. */
function mountChains(app: App, depth: number): { chains: Layer[][]; complete: boolean } {
  if (depth > MAX_DEPTH) return { chains: [[]], complete: true };
  const parent = app.parent;
  if (parent !== undefined) {
    const own = mountLayer(app, parent);
    const above = mountChains(parent, depth + 1);
    return own === undefined ? above : { chains: above.chains.map((chain) => [...chain, own]), complete: above.complete };
  }
  // No parent: the top app, or a sub-app a router mounts (its handle is the sub-app itself).
  const found: Layer[][] = [];
  let complete = true;
  for (const host of knownApps()) {
    if (host === app) continue;
    const stack = routerStack(host);
    const inHost: Layer[][] = [];
    if (stack !== undefined) findMounts(stack, app, [], inHost, 0);
    if (inHost.length === 0) continue;
    const above = mountChains(host, depth + 1);
    if (!above.complete) complete = false;
    for (const mounts of above.chains) for (const chain of inHost) found.push([...mounts, ...chain]);
  }
  if (found.length > 0) return { chains: found, complete };
  // Mounted by a router of an app not known yet (a sub-app no request was routed in), or by a
  // function of the app's own: named without those mounts until more apps are known.
  return { chains: [[]], complete: isTopApp(app) };
}

/** The layer `app.use(mountpath, app)` is matched by, for the chains; none for `/`. */
function mountLayer(app: App, parent: App): Layer | undefined {
  const mount = app.mountpath;
  if (mount === undefined || mount === '/') return undefined;
  const probe = layerLike(parent, mount);
  // Each path of an array is a template of its own: the layer names the request by the one that matched.
  if (Array.isArray(mount) && probe !== undefined) return probe;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- Express's mountpath is a string or an array of strings
  return literalLayer(String(mount), probe);
}

/** A layer like the one the parent's router mounted the app with: of the parent's own Express, and case-sensitive alike. */
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
      findMounts(layer.handle.stack, app, [...chain, layer], out, depth + 1);
    }
  }
}

/** The chains of router layers in `stack` that lead to `route`, into `out`. */
function findChains(stack: Layer[], route: Route, chain: Layer[], out: Layer[][], depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const layer of stack) {
    if (layer.route === route) out.push(chain);
    else if (layer.route === undefined && Array.isArray(layer.handle?.stack)) {
      findChains(layer.handle.stack, route, [...chain, layer], out, depth + 1);
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
  for (const layer of stack) {
    // Express 4 and 5 both name the closure that `app.use()` mounts a sub-app with.
    if (layer.handle?.name !== 'mounted_app') continue;
    const matched = layerTemplate(layer, path, false);
    if (matched === undefined) continue;
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
