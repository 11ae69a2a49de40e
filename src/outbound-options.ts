/**
 * Which outgoing requests `instrumentOutbound()` traces, and which headers each one carries.
 *
 * Why baggage goes to internal hosts only by default: the kit's baggage carries `tenant.id`
 * (and whatever a caller's baggage holds), which names a customer of the service. Trace headers
 * are opaque random ids, safe to send anywhere and what joins a downstream service to the trace,
 * so they go to every host, as the official instrumentations do. Baggage is business data: sent to
 * a third-party API (`api.openai.com`) it hands the provider the tenant list of the service and
 * lands in its logs; W3C Baggage says "there is no built-in protection" and to "take care not to
 * include sensitive information" (https://www.w3.org/TR/baggage/#privacy-considerations). So a
 * host must be internal by the rules of {@link isInternalHost}, or listed, to receive it.
 */

/**
 * Which hosts a rule applies to:
 * - `'all'` / `'none'`: every host / no host;
 * - `'internal'`: the hosts {@link isInternalHost} accepts (this network, this cluster);
 * - a list: strings match a host name or IP (`'api.example.com'`, `'10.0.0.7'`, `'[::1]'`), with
 *   a port only that port (`'api.example.com:8443'`); `'*.example.com'` matches every subdomain
 *   of example.com (not example.com itself). RegExps are tested against the whole URL
 *   (`http://host:port/path?query`), so they can match a path;
 * - a function of the request's URL (its query included), called per request.
 */
export type OutboundMatcher = 'all' | 'none' | 'internal' | readonly (string | RegExp)[] | ((url: URL) => boolean);

/** Options of `instrumentOutbound()` and `initTelemetry({ outbound })`. */
export interface OutboundOptions {
  /**
   * Hosts that get `traceparent` and `tracestate` (or the formats of the installed propagator),
   * so that they join the trace. Others still get a CLIENT span.
   * @default 'all'
   */
  traceHeaders?: OutboundMatcher;
  /**
   * Hosts that get the `baggage` header, which carries `tenant.id`. Internal hosts only by
   * default: a third-party API never learns the tenant unless it is listed here (see the module
   * comment for why).
   * A list replaces the default; to add hosts to it, combine with {@link isInternalHost}.
   * @default 'internal'
   * @example baggage: (url) => isInternalHost(url.hostname) || url.hostname === 'billing.partner.example'
   */
  baggage?: OutboundMatcher;
  /**
   * Requests that get no span and no header: a dependency's health check polled every second,
   * a host you do not want in traces. The kit's own exporters are never traced either way.
   * @default 'none'
   * @example ignore: [/\/healthz$/, 'metadata.google.internal']
   */
  ignore?: OutboundMatcher;
}

/** Where a request goes, as far as the rules care: parsed once per origin. */
export interface OutboundHost {
  /** The host name or IP, lower-case, an IPv6 address without brackets. */
  readonly hostname: string;
  /** The port, explicit or the scheme's default; undefined when not known. */
  readonly port: number | undefined;
}

/** A list rule, split by kind when options are resolved. */
interface HostList {
  readonly hosts: readonly string[];
  readonly hostPorts: readonly string[];
  readonly suffixes: readonly { readonly suffix: string; readonly port: number | undefined }[];
  readonly patterns: readonly RegExp[];
}

const EMPTY_LIST: HostList = { hosts: [], hostPorts: [], suffixes: [], patterns: [] };

/** A rule resolved once: what the host decides alone, and what needs the URL. */
export class ResolvedMatcher {
  private readonly everyHost: boolean | undefined;
  private readonly internal: boolean;
  private readonly hosts: ReadonlySet<string>;
  private readonly hostPorts: ReadonlySet<string>;
  private readonly suffixes: HostList['suffixes'];
  private readonly patterns: readonly RegExp[];
  private readonly predicate: ((url: URL) => boolean) | undefined;

  constructor(rule: 'all' | 'none' | 'internal' | ((url: URL) => boolean) | HostList) {
    this.everyHost = rule === 'all' ? true : rule === 'none' ? false : undefined;
    this.internal = rule === 'internal';
    this.predicate = typeof rule === 'function' ? rule : undefined;
    const list = typeof rule === 'object' ? rule : EMPTY_LIST;
    this.hosts = new Set(list.hosts);
    this.hostPorts = new Set(list.hostPorts);
    this.suffixes = list.suffixes;
    this.patterns = list.patterns;
  }

  /** `'none'`: nothing ever matches. */
  get matchesNothing(): boolean {
    return this.everyHost === false;
  }

  /** The answer from the host alone, or undefined when the URL must be asked ({@link matchesUrl}). */
  matchesHost(host: OutboundHost): boolean | undefined {
    if (this.everyHost !== undefined) return this.everyHost;
    if (this.internal) return isInternalHost(host.hostname);
    if (this.predicate !== undefined) return undefined;
    if (this.hosts.has(host.hostname)) return true;
    if (host.port !== undefined && this.hostPorts.has(hostPort(host.hostname, host.port))) return true;
    for (const { suffix, port } of this.suffixes) {
      if (host.hostname.endsWith(suffix) && (port === undefined || port === host.port)) return true;
    }
    return this.patterns.length === 0 ? false : undefined;
  }

  /** The answer for a request whose host alone did not decide: the RegExps, then the function. */
  matchesUrl(href: string): boolean {
    for (const pattern of this.patterns) if (pattern.test(href)) return true;
    return this.predicate !== undefined && this.predicate(new URL(href)) === true;
  }
}

/** The validated options. */
export interface ResolvedOutboundOptions {
  readonly traceHeaders: ResolvedMatcher;
  readonly baggage: ResolvedMatcher;
  readonly ignore: ResolvedMatcher;
}

/** `host:port`, with an IPv6 address in brackets, as list entries are normalized. */
function hostPort(hostname: string, port: number): string {
  return hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

// A DNS name or an IPv4 address: letters, digits, hyphens, underscores (seen in internal names)
// and dots; an IPv6 address in brackets.
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/;
const IPV6 = /^[0-9a-f:.]+$/;

/**
 * Validates options once (a TypeError naming the option), so nothing throws per request.
 * `caller` and `prefix` name the option as the user wrote it: `initTelemetry`, `outbound.`.
 */
export function resolveOutboundOptions(options: unknown, caller: string, prefix = ''): ResolvedOutboundOptions {
  const fail = (option: string, expected: string, got: unknown): TypeError => {
    let shown: string;
    try {
      shown = got instanceof RegExp || typeof got === 'function' ? String(got) : (JSON.stringify(got) ?? String(got));
    } catch {
      shown = String(got);
    }
    return new TypeError(`${caller}: option "${prefix}${option}" must be ${expected}, got ${shown}`);
  };
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${caller}: ${prefix === '' ? 'options' : `option "${prefix.replace(/\.$/, '')}"`} must be an object${prefix === '' ? '' : ' or a boolean'}, got ${JSON.stringify(options)}`);
  }
  const given = options as OutboundOptions;
  return {
    traceHeaders: resolveMatcher(given.traceHeaders ?? 'all', 'traceHeaders', fail),
    baggage: resolveMatcher(given.baggage ?? 'internal', 'baggage', fail),
    ignore: resolveMatcher(given.ignore ?? 'none', 'ignore', fail),
  };
}

const EXPECTED = `'all', 'none', 'internal', a list of host names (optionally with a port or a leading '*.') and RegExps, or a function of the URL`;

function resolveMatcher(value: unknown, option: string, fail: (option: string, expected: string, got: unknown) => TypeError): ResolvedMatcher {
  if (value === 'all' || value === 'none' || value === 'internal') return new ResolvedMatcher(value);
  if (typeof value === 'function') return new ResolvedMatcher(value as (url: URL) => boolean);
  if (!Array.isArray(value)) throw fail(option, EXPECTED, value);
  const list = { hosts: [] as string[], hostPorts: [] as string[], suffixes: [] as { suffix: string; port: number | undefined }[], patterns: [] as RegExp[] } satisfies HostList;
  value.forEach((entry: unknown, i) => {
    if (entry instanceof RegExp) {
      // `test` on a global or sticky RegExp resumes from lastIndex: it would alternate per request.
      list.patterns.push(entry.global || entry.sticky ? new RegExp(entry.source, entry.flags.replace(/[gy]/g, '')) : entry);
      return;
    }
    const parsed = typeof entry === 'string' ? parseHostEntry(entry) : undefined;
    if (parsed === undefined) throw fail(`${option}[${i}]`, 'a host name, `host:port`, `*.domain` or a RegExp', entry);
    if (parsed.wildcard) list.suffixes.push({ suffix: `.${parsed.hostname}`, port: parsed.port });
    else if (parsed.port !== undefined) list.hostPorts.push(hostPort(parsed.hostname, parsed.port));
    else list.hosts.push(parsed.hostname);
  });
  return new ResolvedMatcher(list);
}

/** `host`, `host:port`, `*.domain[:port]`, `[v6]`, `[v6]:port` or a bare IPv6 address. */
function parseHostEntry(entry: string): { hostname: string; port: number | undefined; wildcard: boolean } | undefined {
  let text = entry.trim().toLowerCase();
  let port: number | undefined;
  let hostname: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return undefined;
    hostname = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      port = parsePort(rest.slice(1));
      if (port === undefined) return undefined;
    }
    return IPV6.test(hostname) && hostname.includes(':') ? { hostname, port, wildcard: false } : undefined;
  }
  const colons = text.split(':').length - 1;
  if (colons > 1) return IPV6.test(text) ? { hostname: text, port: undefined, wildcard: false } : undefined;
  if (colons === 1) {
    const at = text.indexOf(':');
    port = parsePort(text.slice(at + 1));
    if (port === undefined) return undefined;
    text = text.slice(0, at);
  }
  const wildcard = text.startsWith('*.');
  hostname = (wildcard ? text.slice(2) : text).replace(/\.$/, '');
  return HOST_NAME.test(hostname) ? { hostname, port, wildcard } : undefined;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

// Name suffixes that never leave a site: Kubernetes services (`svc`, `svc.cluster.local`),
// mDNS (`local`, RFC 6762), ICANN's private-use `internal`, and the loopback names (RFC 6761).
const INTERNAL_SUFFIXES = ['.internal', '.local', '.svc', '.cluster.local', '.localhost'];

/**
 * Whether a host is on this machine or this private network, where the default `baggage` rule
 * sends `tenant.id`: `localhost`, loopback (127.0.0.0/8, ::1), private (RFC 1918: 10/8,
 * 172.16/12, 192.168/16), shared carrier-grade (RFC 6598: 100.64/10), link-local (169.254/16,
 * fe80::/10) and unique-local IPv6 (fc00::/7) addresses, the unspecified address, single-label
 * names (`orders`, a Kubernetes service in the same namespace), and names under `.internal`,
 * `.local`, `.svc`, `.cluster.local` and `.localhost`. Anything else is taken as outside.
 * @param host a host name or IP address; an IPv6 address with or without brackets
 */
export function isInternalHost(host: string): boolean {
  let name = host.toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return false;
  if (name.includes(':')) return isInternalIpv6(name);
  const v4 = parseIpv4(name);
  if (v4 !== undefined) return isInternalIpv4(v4);
  if (!name.includes('.')) return true;
  for (const suffix of INTERNAL_SUFFIXES) if (name.endsWith(suffix)) return true;
  return false;
}

function parseIpv4(name: string): number[] | undefined {
  const parts = name.split('.');
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    octets.push(n);
  }
  return octets;
}

function isInternalIpv4([a, b]: number[]): boolean {
  return (
    a === 0 || // "this network", 0.0.0.0
    a === 127 || // loopback
    a === 10 || // RFC 1918
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) || // RFC 6598
    (a === 169 && b === 254) // link-local
  );
}

function isInternalIpv6(name: string): boolean {
  const zone = name.indexOf('%'); // fe80::1%eth0
  const address = zone === -1 ? name : name.slice(0, zone);
  if (!IPV6.test(address)) return false;
  // An IPv4-mapped address (::ffff:10.0.0.1) is the IPv4 address.
  const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped !== null) {
    const v4 = parseIpv4(mapped[1]);
    return v4 !== undefined && isInternalIpv4(v4);
  }
  const groups = expandIpv6(address);
  if (groups === undefined) return false;
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] <= 1) return true; // :: and ::1
  const first = groups[0];
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80; // ULA fc00::/7, link-local fe80::/10
}

/** The eight 16-bit groups of an IPv6 address (no embedded IPv4), or undefined. */
function expandIpv6(address: string): number[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
    return groups.some(Number.isNaN) ? undefined : groups;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing < 1 ? undefined : [...head, ...new Array<number>(missing).fill(0), ...tail];
}
