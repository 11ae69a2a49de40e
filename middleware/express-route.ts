/**
 * The route template of an Express request: the mount paths of the routers (and sub-apps) it went
 * through, joined with the matched route's path: `/v1/users/:uid/items/:id`, never the raw URL.
 *
 * Express keeps only the final route on the request (`req.route`) and the raw matched prefix
 * (`req.baseUrl`, `/v1/users/42`). The mount templates live on the router layers, so we look the
 * route up in the app's router tree: once per route object, cached, when the route is reachable
 * through exactly one chain of mounts (the common case); else, per request, the chain that
 * matches `req.baseUrl`. No monkeypatching.
 * Express 5 layers keep their template (`layer.rawPath`); Express 4 layers keep a RegExp and
 * its keys, from which the template is rebuilt by putting `:name` back into the matched segments.
 */

import { pathOfTarget } from '../src/options';

interface Key {
  name: string | number;
}
interface Layer {
  route?: unknown;
  handle?: { stack?: Layer[] };
  // Express 5 (router 2.x)
  rawPath?: unknown;
  slash?: boolean;
  matchers?: ((path: string) => { path: string } | false)[];
  // Express 4
  regexp?: RegExp & { fast_slash?: boolean; fast_star?: boolean };
  keys?: Key[];
}
interface App {
  mountpath?: string | string[];
  parent?: App;
  router?: { stack?: Layer[] };
  _router?: { stack?: Layer[] };
}
interface ExpressRequest {
  route?: { path?: unknown };
  baseUrl?: string;
  originalUrl?: string;
  app?: App;
}

// Routes reachable through one chain: template of the mounts in front of the route.
const uniqueMounts = new WeakMap<object, string>();
// Every route's chains of mount layers (none when not found); several are resolved per request.
const routeChains = new WeakMap<object, Layer[][]>();
// Express 4 mount RegExps with the `d` flag, whose matches carry each group's indices.
const withIndices = new WeakMap<RegExp, RegExp>();

export function expressRoute(source: unknown): string | undefined {
  const req = source as ExpressRequest;
  const route = req.route;
  if (route === undefined || route === null) return undefined;
  const routePath = typeof route.path === 'string' ? route.path : String(route.path);
  // Looked up before `req.baseUrl` is read: a route with one chain of mounts has one template
  // whatever the request, and on Express each read off `req` is a V8 runtime miss (express.ts).
  const cached = uniqueMounts.get(route);
  if (cached !== undefined) return cached + routePath;

  const app = req.app;
  const appMount = appMountTemplate(app);
  let chains = routeChains.get(route);
  if (chains === undefined) {
    chains = [];
    const stack = routerStack(app);
    if (stack !== undefined) findChains(stack, route, [], chains, 0);
    routeChains.set(route, chains);
  }
  if (chains.length === 0) {
    // The route was not found in the tree (a router Express does not expose): better no mount
    // than a raw, high-cardinality one.
    return routePath;
  }
  // Express's routers put `req.baseUrl` back as the request leaves them (an error passed on to an
  // app-level error handler, a fall-through), so by the time the response closes it may be ''
  // for a nested route; the mounts are then matched against the request's own path.
  const baseUrl = req.baseUrl || pathOfTarget(req.originalUrl);
  // Inside a sub-app, the path starts with the sub-app's own (raw) mount: skip as many segments.
  const innerBase = skipSegments(baseUrl, segmentCount(appMount));
  if (chains.length === 1) {
    const template = chainTemplate(chains[0]!, innerBase);
    if (template === undefined) return routePath;
    uniqueMounts.set(route, appMount + template);
    return appMount + template + routePath;
  }
  for (const chain of chains) {
    const template = chainTemplate(chain, innerBase);
    if (template !== undefined) return appMount + template + routePath;
  }
  return routePath;
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
    if (layer.matchers !== undefined) {
      // Express 5: the template is kept; matching only checks this chain is the right one.
      if (layer.slash) continue;
      const match = layer.matchers.map((m) => m(remaining)).find((m) => m !== false);
      if (!match) return undefined;
      template += typeof layer.rawPath === 'string' ? layer.rawPath : String(layer.rawPath);
      remaining = remaining.slice(match.path.length);
    } else if (layer.regexp !== undefined) {
      if (layer.regexp.fast_slash) continue;
      const match = indexed(layer.regexp).exec(remaining);
      if (match === null) return undefined;
      template += rebuildTemplate(match, layer.keys ?? []);
      remaining = remaining.slice(match[0].length);
    } else return undefined;
  }
  return template.endsWith('/') ? template.slice(0, -1) : template;
}

/**
 * Express 4: `/users/42` matched with key `uid` is `/users/:uid`. Each key's value is replaced
 * where the RegExp matched it (its group's indices), so a parameter that is part of a segment
 * (`/t/:a-:b`) or spans several (`*`) never leaves its raw value in the template.
 */
function rebuildTemplate(match: RegExpExecArray, keys: Key[]): string {
  const text = match[0];
  const indices = match.indices;
  let template = '';
  let at = 0;
  keys.forEach((key, i) => {
    const span = indices?.[i + 1];
    if (span === undefined || span[0] < at) return;
    template += `${text.slice(at, span[0])}:${key.name}`;
    at = span[1];
  });
  return template + text.slice(at);
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
