/**
 * The Express apps the middleware knows of, where the mounts of a route's app are searched from:
 * the apps it ran in (and their parents), and the sub-apps learned from requests routed inside
 * them. `app.use(path, subApp)` mounts a closure, not the sub-app, so a parent's router does not
 * lead to it; a sub-app that a router mounts (`router.use('/x', subApp)`) is the layer's handle.
 */

import type { Layer } from './express-route-template';

export interface Router {
  stack?: Layer[];
  caseSensitive?: boolean;
}
export interface App {
  mountpath?: unknown;
  parent?: App;
  router?: Router;
  _router?: Router;
}

// How deep a walk of routers and mounts goes: a cycle of mounts would not end.
export const MAX_DEPTH = 16;

// The apps the middleware ran in, and their parents. Weak: an app let go of is not kept for this.
const topApps: WeakRef<App>[] = [];
// The same apps, to tell one quickly.
const topAppSet = new WeakSet<App>();
// Sub-apps by parent.
const subApps = new WeakMap<App, Set<App>>();
// How many apps have been learned: a search made with fewer known is worth making again.
let learnedCount = 0;

export function appsLearned(): number {
  return learnedCount;
}

/** Adds an app the middleware runs in, and its parents; whether any was new. */
export function addTopApp(app: App | null | undefined): boolean {
  let added = false;
  for (; app !== undefined && app !== null && !topAppSet.has(app); app = app.parent) {
    topAppSet.add(app);
    topApps.push(new WeakRef(app));
    learnedCount++;
    added = true;
  }
  return added;
}

/** Adds the app a request was routed in as a sub-app of its parent, and so on up; whether any was new. */
export function addSubApp(app: App | undefined): boolean {
  let added = false;
  for (let child = app; child?.parent !== undefined; child = child.parent) {
    let children = subApps.get(child.parent);
    if (children === undefined) subApps.set(child.parent, (children = new Set()));
    // Learned bottom-up: a known sub-app's parents are known too.
    if (children.has(child)) break;
    children.add(child);
    learnedCount++;
    added = true;
  }
  return added;
}

export function isTopApp(app: App): boolean {
  return topAppSet.has(app);
}

export function subAppsOf(app: App): ReadonlySet<App> | undefined {
  return subApps.get(app);
}

/**
 * The apps a router-mounted sub-app may be in: the apps the middleware ran in, their known
 * sub-apps, and the apps their routers mount, in turn.
 */
export function knownApps(): App[] {
  const apps: App[] = [];
  const seen = new Set<App>();
  const add = (app: App): void => {
    if (seen.has(app)) return;
    seen.add(app);
    apps.push(app);
  };
  for (let i = topApps.length - 1; i >= 0; i--) {
    const app = topApps[i].deref();
    if (app === undefined) topApps.splice(i, 1);
    else add(app);
  }
  for (let i = 0; i < apps.length && i < 1000; i++) {
    const app = apps[i];
    const children = subApps.get(app);
    if (children !== undefined) for (const child of children) add(child);
    const stack = routerStack(app);
    if (stack !== undefined) appsIn(stack, add, 0);
  }
  return apps;
}

function appsIn(stack: Layer[], add: (app: App) => void, depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const layer of stack) {
    const handle = layer.handle;
    if (layer.route !== undefined || handle === undefined) continue;
    if (isApp(handle)) add(handle as App);
    else if (Array.isArray(handle.stack)) appsIn(handle.stack, add, depth + 1);
  }
}

/** Express's own test for an app (`app.use()` mounts those as sub-apps). */
function isApp(handle: unknown): boolean {
  if (typeof handle !== 'function') return false;
  const fn = handle as { handle?: unknown; set?: unknown };
  return typeof fn.handle === 'function' && typeof fn.set === 'function';
}

// Express 4 keeps its router in `_router` (its `app.router` getter throws); Express 5 in `router`.
export function routerOf(app: App | undefined): Router | undefined {
  if (app === undefined) return undefined;
  if (app._router !== undefined) return app._router;
  try {
    return app.router;
  } catch {
    return undefined;
  }
}

export function routerStack(app: App | undefined): Layer[] | undefined {
  return routerOf(app)?.stack;
}
