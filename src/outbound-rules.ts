import type { ClientRequest } from 'node:http';
import type { Context, Span } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import { propagation, trace } from './bound';
import { injectHeaders } from './outbound-headers';
import type { HeaderTarget } from './outbound-headers';
import { isInternalHost } from './outbound-options';
import type { OutboundHost, ResolvedMatcher, ResolvedOutboundOptions } from './outbound-options';

/**
 * The rules of one `instrumentOutbound()` applied to requests: where each goes (parsed once per
 * origin), whether it is ignored, and which headers it gets.
 */

const log = diag.createComponentLogger({ namespace: '@motadata/otel/outbound' });

/** Destinations remembered per rule set; past this, new ones are worked out per request. */
const MAX_DESTINATIONS = 1000;

/** Where a request goes, parsed once per origin, with what the rules say of its host alone. */
export interface Destination extends OutboundHost {
  /** `scheme://host[:port]`, for url.full and the URL rules. */
  readonly origin: string;
  /** The rules' answers from the host; undefined where a RegExp or a function must see the URL. */
  readonly ignore: boolean | undefined;
  readonly traceHeaders: boolean | undefined;
  readonly baggage: boolean | undefined;
}

/** One `instrumentOutbound()` registration: its options and what they said of each destination. */
export class OutboundRules {
  private readonly origins = new Map<string, Destination | null>();
  private readonly httpHosts = new Map<string, Destination | null>();
  private readonly httpsHosts = new Map<string, Destination | null>();

  constructor(readonly options: ResolvedOutboundOptions) {}

  /** An undici request's destination, by its origin (`http://127.0.0.1:8080`). */
  fromOrigin(origin: string): Destination | undefined {
    let destination = this.origins.get(origin);
    if (destination === undefined) {
      destination = this.parse(origin, true);
      if (this.origins.size < MAX_DESTINATIONS) this.origins.set(origin, destination);
    }
    return destination ?? undefined;
  }

  /** A ClientRequest's destination, by its Host header (or host, when none is sent). */
  fromHttp(req: ClientRequest): Destination | undefined {
    const https = req.protocol === 'https:';
    const hostHeader = req.getHeader('host');
    const portKnown = typeof hostHeader === 'string';
    const authority = portKnown ? hostHeader : req.host.includes(':') && !req.host.startsWith('[') ? `[${req.host}]` : req.host;
    const cache = https ? this.httpsHosts : this.httpHosts;
    let destination = portKnown ? cache.get(authority) : undefined;
    if (destination === undefined) {
      destination = this.parse(`${https ? 'https' : 'http'}://${authority}`, portKnown);
      if (portKnown && cache.size < MAX_DESTINATIONS) cache.set(authority, destination);
    }
    return destination ?? undefined;
  }

  private parse(origin: string, portKnown: boolean): Destination | null {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return null;
    }
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = !portKnown ? undefined : url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
    const host: OutboundHost = { hostname, port };
    const { ignore, traceHeaders, baggage } = this.options;
    return { origin: url.origin, hostname, port, ignore: ignore.matchesHost(host), traceHeaders: traceHeaders.matchesHost(host), baggage: baggage.matchesHost(host) };
  }

  /** Whether the rules ignore this request (no span, no header). */
  ignores(destination: Destination, path: string): boolean {
    return destination.ignore ?? matchesUrl(this.options.ignore, 'ignore', destination, path, false);
  }

  /**
   * Injects the headers the rules allow for this destination: the trace headers of `span`'s
   * context, the baggage of `parent`'s. A header left out is simply not written; a caller's own
   * header of that name stays.
   */
  inject<C>(parent: Context, span: Span, destination: Destination, path: string, carrier: C, to: HeaderTarget<C>): void {
    const sendTrace = destination.traceHeaders ?? matchesUrl(this.options.traceHeaders, 'traceHeaders', destination, path, true);
    const hasBaggage = propagation.getBaggage(parent) !== undefined;
    const sendBaggage = hasBaggage && (destination.baggage ?? matchesUrl(this.options.baggage, 'baggage', destination, path, isInternalHost(destination.hostname)));
    if (!sendTrace && !sendBaggage) return;
    let ctx = sendTrace ? trace.setSpan(parent, span) : trace.deleteSpan(parent);
    if (hasBaggage && !sendBaggage) ctx = propagation.deleteBaggage(ctx);
    injectHeaders(ctx, carrier, to);
  }
}

/** A URL rule (RegExp or function) for one request; a function that throws gives the default. */
function matchesUrl(matcher: ResolvedMatcher, option: string, destination: Destination, path: string, fallback: boolean): boolean {
  try {
    return matcher.matchesUrl(destination.origin + path);
  } catch (err) {
    log.warn(`the outbound "${option}" function threw; its default applies`, err);
    return fallback;
  }
}
