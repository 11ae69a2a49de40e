import { createContextKey } from '@opentelemetry/api';
import type { Baggage, Context, Span } from '@opentelemetry/api';
import { ATTR_TENANT_ID } from './semconv';
import { propagation, trace } from './bound';
import { isValidTenant } from './tenant';

// The keys under which @opentelemetry/api keeps the active span and the baggage, learnt from the
// API itself (a probe context records the key each accessor asks for) rather than copied from
// its source: they are `Symbol.for` strings shared by every copy of the API in a process.
function keyReadBy(read: (probe: Context) => unknown): symbol {
  let asked: symbol | undefined;
  const probe: Context = {
    getValue(key: symbol): unknown {
      asked = key;
      return undefined;
    },
    setValue: () => probe,
    deleteValue: () => probe,
  };
  read(probe);
  if (asked === undefined) throw new Error('@motadata/otel: could not learn a context key from @opentelemetry/api');
  return asked;
}
const SPAN_KEY = keyReadBy((probe) => trace.getSpan(probe));
const BAGGAGE_KEY = keyReadBy((probe) => propagation.getBaggage(probe));

const acceptAny = (): boolean => true;

/** The request a context belongs to, for code deep in a handler (component helpers, loggers). */
export const REQUEST_KEY = createContextKey('motadata.otel.request');

/**
 * The context a request's handlers run in: its SERVER span, the tenant in the baggage and the
 * request's own telemetry, over the context the request arrived with (`parent`).
 *
 * Why not `parent.setValue(...)` three times: @opentelemetry/api's `BaseContext` copies its Map
 * and makes three closures on every `setValue`, so the span, the baggage (two more objects with
 * a Map each) and the request cost three contexts per request, on sampled and unsampled requests
 * alike. This is one object, and the baggage is built only when something reads it (an outgoing
 * call's propagator, a logger). `Context` is an interface in the API; reads and writes behave as
 * they would on the copies: a derived context (`setValue`, `deleteValue`, e.g. a child span's)
 * is an ordinary `BaseContext` holding the same values.
 */
export class RequestContext implements Context {
  private baggage: Baggage | undefined | null = null; // null: not built yet
  private flat: Context | undefined;

  constructor(
    private readonly parent: Context,
    /** The SERVER span, or undefined when `parent` already holds it (instrumentation-http's). */
    private readonly span: Span | undefined,
    /** The request's telemetry: its tenant, read when the baggage is first built. */
    private readonly request: { readonly tenantId: string | undefined },
    /** Whether the baggage in `parent` is the caller's and may be read and passed on. */
    private readonly parentBaggage = true,
    /** The middleware's tenant validation: a caller's `tenant.id` it rejects is not passed on. */
    private readonly validTenant: (tenantId: string) => boolean = acceptAny,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY && this.span !== undefined) return this.span;
    if (key === BAGGAGE_KEY) return this.baggage === null ? (this.baggage = this.buildBaggage()) : this.baggage;
    if (key === REQUEST_KEY) return this.request;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.flatten().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.flatten().deleteValue(key);
  }

  /**
   * The caller's baggage, with `tenant.id` set to the request's tenant when there is one. With
   * none, a caller's `tenant.id` that fails the middleware's validation is dropped: it was
   * rejected for this request, so it is neither passed on nor logged from the baggage.
   */
  private buildBaggage(): Baggage | undefined {
    const incoming = this.parentBaggage ? propagation.getBaggage(this.parent) : undefined;
    const tenantId = this.request.tenantId;
    if (tenantId === undefined) {
      const callers = incoming?.getEntry(ATTR_TENANT_ID)?.value;
      if (callers === undefined || isValidTenant(this.validTenant, callers)) return incoming;
      const rest = incoming!.removeEntry(ATTR_TENANT_ID);
      return rest.getAllEntries().length === 0 ? undefined : rest;
    }
    if (incoming?.getEntry(ATTR_TENANT_ID)?.value === tenantId) return incoming;
    return incoming === undefined
      ? propagation.createBaggage({ [ATTR_TENANT_ID]: { value: tenantId } })
      : incoming.setEntry(ATTR_TENANT_ID, { value: tenantId });
  }

  // The same values as a chain of BaseContexts, built once: contexts derived from this one
  // (child spans, tracedFetch's CLIENT span) are then ordinary API contexts.
  private flatten(): Context {
    if (this.flat !== undefined) return this.flat;
    let flat = this.parent;
    if (this.span !== undefined) flat = flat.setValue(SPAN_KEY, this.span);
    const baggage = this.getValue(BAGGAGE_KEY) as Baggage | undefined;
    if (baggage !== undefined) flat = flat.setValue(BAGGAGE_KEY, baggage);
    else if (!this.parentBaggage) flat = flat.deleteValue(BAGGAGE_KEY);
    return (this.flat = flat.setValue(REQUEST_KEY, this.request));
  }
}
