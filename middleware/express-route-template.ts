/**
 * The mount template a router layer matched at the start of a path, and that of a chain of them.
 * Express 5 layers keep their template (`layer.rawPath`); Express 4 layers keep only a RegExp and
 * its keys, so the template is rebuilt by putting `:name` back where the RegExp matched each key.
 * A sub-app's own mount is a layer of ours (see `literalLayer()`).
 */

interface Key {
  name: string | number;
}

/** A router layer of Express 4 or 5, or one of ours for a sub-app's `mountpath`. */
export interface Layer {
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
  // Ours: a sub-app's `mountpath` (one string), taken as it is and matching as many segments as
  // it has; `probe`, an Express layer of that path, says whether it matches at all.
  literal?: string;
  segments?: number;
  probe?: Layer;
}

/** What a layer matched at the start of a path: its template and how much of the path. */
export interface Match {
  readonly template: string;
  readonly length: number;
}

// A layer mounted at `/`: it adds nothing and matches nothing of the path.
const AT_ROOT: Match = { template: '', length: 0 };

// Express 4 mount RegExps with the `d` flag, whose matches carry each group's indices.
const withIndices = new WeakMap<RegExp, RegExp>();

/**
 * The layer for a sub-app mounted at `mountpath` (one string). `probe`, if given, is checked
 * against the path when `checkLiterals` asks for it: a route shared by several sub-apps has a
 * chain per sub-app, and the request's path tells which one it came through.
 */
export function literalLayer(mountpath: string, probe: Layer | undefined): Layer {
  const literal = mountpath.length > 1 && mountpath.endsWith('/') ? mountpath.slice(0, -1) : mountpath;
  const layer: Layer = { literal, segments: literal === '' ? 0 : literal.split('/').length - 1 };
  if (probe !== undefined) layer.probe = probe;
  return layer;
}

/**
 * The chain's mount template (without a trailing `/`) if each layer in turn matches the start of
 * what is left of `path`. `checkLiterals`: see `layerTemplate()`.
 */
export function chainTemplate(chain: Layer[], path: string, checkLiterals: boolean): string | undefined {
  let remaining = path;
  let template = '';
  for (const layer of chain) {
    const part = layerTemplate(layer, remaining, checkLiterals);
    if (part === undefined) return undefined;
    template += part.template;
    remaining = remaining.slice(part.length);
  }
  return template.endsWith('/') ? template.slice(0, -1) : template;
}

/** What is left of `path` once the chain's layers matched its start; undefined if one does not. */
export function pathAfter(chain: Layer[], path: string, checkLiterals: boolean): string | undefined {
  let remaining = path;
  for (const layer of chain) {
    const part = layerTemplate(layer, remaining, checkLiterals);
    if (part === undefined) return undefined;
    remaining = remaining.slice(part.length);
  }
  return remaining;
}

/**
 * The layer's mount template if it matches the start of `path`. A sub-app's own mount is checked
 * against the path only when `checkLiterals` (there is a choice of chains to make): a single chain
 * keeps naming the request as before whatever the mount's syntax.
 */
export function layerTemplate(layer: Layer, path: string, checkLiterals: boolean): Match | undefined {
  if (layer.matchers !== undefined) {
    // Express 5: the template is kept; matching only checks this chain is the right one, and
    // which of an array's paths it went through.
    if (layer.slash) return AT_ROOT;
    const matchers = layer.matchers;
    for (let i = 0; i < matchers.length; i++) {
      const match = matchers[i](path);
      if (!match) continue;
      const raw: unknown = Array.isArray(layer.rawPath) ? layer.rawPath[i] : layer.rawPath;
      // `/` of an array (`['/', '/b']`) adds nothing, like a layer mounted at `/`.
      return { template: typeof raw === 'string' ? (raw === '/' ? '' : raw) : String(raw), length: match.path.length };
    }
    return undefined;
  }
  if (layer.regexp !== undefined) {
    if (layer.regexp.fast_slash) return AT_ROOT;
    const match = indexed(layer.regexp).exec(path);
    if (match === null) return undefined;
    return { template: rebuildTemplate(match, layer.keys ?? [], layer.regexp.ignoreCase), length: match[0].length };
  }
  if (layer.literal !== undefined) {
    if (checkLiterals && layer.probe !== undefined && layerTemplate(layer.probe, path, checkLiterals) === undefined) return undefined;
    // The raw path has as many segments as the mount (its parameters a segment each).
    return { template: layer.literal, length: path.length - skipSegments(path, layer.segments ?? 0).length };
  }
  return undefined;
}

/**
 * Whether every request through the chain gets one template: not when a layer was mounted at an
 * array of paths (Express 4 joins their RegExps as `...|^...`), each a template of its own, so
 * the chain is matched per request.
 */
export function sameForEveryRequest(chain: Layer[]): boolean {
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

/** A copy of the layer's RegExp whose matches carry each group's indices (the `d` flag). */
function indexed(regexp: RegExp): RegExp {
  let copy = withIndices.get(regexp);
  if (copy === undefined) {
    copy = new RegExp(regexp.source, regexp.flags.replace(/[gy]/g, '') + (regexp.hasIndices ? '' : 'd'));
    withIndices.set(regexp, copy);
  }
  return copy;
}

/** `path` without its first `count` segments. */
function skipSegments(path: string, count: number): string {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const next = path.indexOf('/', at + 1);
    if (next === -1) return '';
    at = next;
  }
  return count === 0 ? path : path.slice(at);
}
