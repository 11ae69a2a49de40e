import type { IncomingMessage } from 'node:http';

/** What a request is matched against: an exact path, a pattern for the path, or a predicate. */
export type IgnoreMatcher<Req> = string | RegExp | ((req: Req) => boolean);

/** Where the tenant of a request comes from and how it is checked. */
export interface TenantOptions<Req> {
  /**
   * Request header that carries the tenant id. `false` turns header lookup off.
   * @default 'x-tenant-id'
   */
  header?: string | false;
  /**
   * Read the tenant from the incoming W3C baggage entry `tenant.id` when the header is absent.
   * Only baggage from a trusted caller (see `trustIncoming`) is read.
   * @default true
   */
  fromBaggage?: boolean;
  /**
   * Last resort: resolve the tenant from the request (an API key lookup, a JWT claim, ...).
   * Runs only when neither the header nor baggage gave one. A throw is logged, not rethrown.
   * @example resolveTenant: (req) => req.auth?.org
   */
  resolveTenant?: (req: Req) => string | undefined;
  /**
   * Which tenant ids are accepted. Anything else is dropped and counted in `tenant.rejected`.
   * @default /^[A-Za-z0-9._:-]{1,64}$/
   */
  validate?: RegExp | ((tenantId: string) => boolean);
  /**
   * At most this many distinct tenant values appear as metric attributes; later ones are
   * recorded as `__other__` (bounded cardinality). Spans always carry the real tenant.
   * @default 1000
   */
  maxTenants?: number;
}

/** Options of `otelMiddleware()`, the same for Express and Koa. */
export interface OtelMiddlewareOptions<Req = unknown> {
  /**
   * Requests that get no span and no metric: health checks, `/metrics`. Strings match the path
   * (without query) exactly; RegExps are tested against the path; functions get the request.
   * @example ignore: ['/health', /^\/internal\//]
   */
  ignore?: IgnoreMatcher<Req> | readonly IgnoreMatcher<Req>[];
  /**
   * Whether the caller's `traceparent` and `baggage` are trusted. When false (or the function
   * returns false) the request starts a new trace whose SERVER span links to the caller's
   * context instead of being its child, and incoming baggage is ignored. Use false on the edge
   * of your system, where any client can send headers.
   * @default true
   */
  trustIncoming?: boolean | ((req: Req) => boolean);
  /** Tenant lookup; see {@link TenantOptions}. */
  tenant?: TenantOptions<Req>;
  /**
   * Header names recorded as `http.request.header.<name>` / `http.response.header.<name>`
   * (string arrays, per semconv). Nothing is captured unless listed.
   * @example captureHeaders: { request: ['x-request-id'], response: ['content-type'] }
   */
  captureHeaders?: { request?: readonly string[]; response?: readonly string[] };
  /**
   * How the caller gets its trace id back, for sampled requests (the trace an unsampled request
   * would point at is never exported, and building the header is most of the kit's cost on an
   * unsampled request). `serverTiming` appends `trace;desc=00-<trace-id>-<span-id>-01` to
   * `Server-Timing` (W3C Trace Context Level 2 draft); `traceresponse` also sets the earlier
   * draft's `traceresponse` header with the same value, for older clients.
   * @default { serverTiming: true, traceresponse: false }
   */
  traceResponse?: { serverTiming?: boolean; traceresponse?: boolean };
}

/** Options after validation: what the request lifecycle reads. */
export interface ResolvedOptions {
  /** Whether any `ignore` matcher is set: without one a request's path is not even read. */
  readonly ignoresAny: boolean;
  readonly ignorePaths: ReadonlySet<string>;
  readonly ignorePatterns: readonly RegExp[];
  readonly ignorePredicates: readonly ((req: unknown) => boolean)[];
  readonly trustIncoming: boolean | ((req: unknown) => boolean);
  readonly tenantHeader: string | undefined;
  readonly tenantFromBaggage: boolean;
  readonly resolveTenant: ((req: unknown) => string | undefined) | undefined;
  readonly validateTenant: (tenantId: string) => boolean;
  readonly maxTenants: number;
  /** [header name, attribute key] pairs, keys precomputed. */
  readonly requestHeaders: readonly (readonly [string, string])[];
  readonly responseHeaders: readonly (readonly [string, string])[];
  readonly serverTiming: boolean;
  readonly traceresponse: boolean;
}

const DEFAULT_TENANT_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
// RFC 9110 token: what a header name may be.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function fail(option: string, expected: string, got: unknown): never {
  const shown = typeof got === 'function' ? 'a function' : JSON.stringify(got) ?? String(got);
  throw new TypeError(`otelMiddleware: option "${option}" must be ${expected}, got ${shown}`);
}

function headerList(option: string, names: unknown, prefix: string): (readonly [string, string])[] {
  if (names === undefined) return [];
  if (!Array.isArray(names)) fail(option, 'an array of header names', names);
  return names.map((name: unknown) => {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) fail(option, 'an array of header names', name);
    const lower = name.toLowerCase();
    return [lower, prefix + lower] as const;
  });
}

/** Validates options once, when the middleware is created. Throws a TypeError naming the option. */
export function resolveOptions<Req>(options: OtelMiddlewareOptions<Req> = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);

  const ignorePaths = new Set<string>();
  const ignorePatterns: RegExp[] = [];
  const ignorePredicates: ((req: unknown) => boolean)[] = [];
  const ignore = options.ignore === undefined ? [] : Array.isArray(options.ignore) ? options.ignore : [options.ignore];
  for (const matcher of ignore as unknown[]) {
    if (typeof matcher === 'string') ignorePaths.add(matcher);
    else if (matcher instanceof RegExp) ignorePatterns.push(statelessPattern(matcher));
    else if (typeof matcher === 'function') ignorePredicates.push(matcher as (req: unknown) => boolean);
    else fail('ignore', 'a string, RegExp or function (or an array of them)', matcher);
  }

  const trustIncoming = options.trustIncoming ?? true;
  if (typeof trustIncoming !== 'boolean' && typeof trustIncoming !== 'function') {
    fail('trustIncoming', 'a boolean or a function', trustIncoming);
  }

  const tenant = options.tenant ?? {};
  if (typeof tenant !== 'object' || tenant === null) fail('tenant', 'an object', tenant);
  const header = tenant.header ?? 'x-tenant-id';
  if (header !== false && (typeof header !== 'string' || !HEADER_NAME.test(header))) {
    fail('tenant.header', 'a header name or false', header);
  }
  const fromBaggage = tenant.fromBaggage ?? true;
  if (typeof fromBaggage !== 'boolean') fail('tenant.fromBaggage', 'a boolean', fromBaggage);
  if (tenant.resolveTenant !== undefined && typeof tenant.resolveTenant !== 'function') {
    fail('tenant.resolveTenant', 'a function', tenant.resolveTenant);
  }
  const validate = tenant.validate ?? DEFAULT_TENANT_PATTERN;
  let validateTenant: (tenantId: string) => boolean;
  if (validate instanceof RegExp) {
    const pattern = statelessPattern(validate);
    validateTenant = (tenantId) => pattern.test(tenantId);
  } else if (typeof validate === 'function') validateTenant = validate;
  else fail('tenant.validate', 'a RegExp or a function', validate);
  const maxTenants = tenant.maxTenants ?? 1000;
  if (!Number.isInteger(maxTenants) || maxTenants < 1) fail('tenant.maxTenants', 'a positive integer', maxTenants);

  const capture = options.captureHeaders ?? {};
  if (typeof capture !== 'object' || capture === null) fail('captureHeaders', 'an object', capture);
  const traceResponse = options.traceResponse ?? {};
  if (typeof traceResponse !== 'object' || traceResponse === null) fail('traceResponse', 'an object', traceResponse);
  const serverTiming = traceResponse.serverTiming ?? true;
  const traceresponse = traceResponse.traceresponse ?? false;
  if (typeof serverTiming !== 'boolean') fail('traceResponse.serverTiming', 'a boolean', serverTiming);
  if (typeof traceresponse !== 'boolean') fail('traceResponse.traceresponse', 'a boolean', traceresponse);

  return {
    ignoresAny: ignorePaths.size + ignorePatterns.length + ignorePredicates.length > 0,
    ignorePaths,
    ignorePatterns,
    ignorePredicates,
    trustIncoming: trustIncoming as ResolvedOptions['trustIncoming'],
    tenantHeader: header === false ? undefined : header.toLowerCase(),
    tenantFromBaggage: fromBaggage,
    resolveTenant: tenant.resolveTenant as ResolvedOptions['resolveTenant'],
    validateTenant,
    maxTenants,
    requestHeaders: headerList('captureHeaders.request', capture.request, 'http.request.header.'),
    responseHeaders: headerList('captureHeaders.response', capture.response, 'http.response.header.'),
    serverTiming,
    traceresponse,
  };
}

/** A global or sticky RegExp keeps lastIndex between test() calls and would fail every other match. */
function statelessPattern(pattern: RegExp): RegExp {
  return pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
}

/** The path of a request target, without the query string. */
export function pathOf(req: IncomingMessage): string {
  return pathOfTarget(req.url);
}

/**
 * The path of a request target: `/a/b` of `/a/b?x=1`, and of the absolute form
 * `http://host/a/b?x=1` that servers must accept too (RFC 9112, section 3.2.2).
 */
export function pathOfTarget(target: string | undefined): string {
  if (target === undefined) return '/';
  let path = target;
  if (path.charCodeAt(0) !== 47 /* / */) {
    const scheme = path.indexOf('://');
    const slash = scheme === -1 ? -1 : path.indexOf('/', scheme + 3);
    path = slash === -1 ? (scheme === -1 ? path : '/') : path.slice(slash);
  }
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

export function isIgnored(options: ResolvedOptions, path: string, req: unknown): boolean {
  if (isIgnoredPath(options, path)) return true;
  for (const predicate of options.ignorePredicates) if (predicate(req)) return true;
  return false;
}

/** The string and RegExp rules alone. */
export function isIgnoredPath(options: ResolvedOptions, path: string): boolean {
  if (options.ignorePaths.has(path)) return true;
  for (const pattern of options.ignorePatterns) if (pattern.test(path)) return true;
  return false;
}
