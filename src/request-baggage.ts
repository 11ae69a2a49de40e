import type { Baggage, BaggageEntry } from '@opentelemetry/api';
import { propagation } from './bound';
import { ATTR_TENANT_ID } from './semconv';
import { isValidTenant } from './tenant';

/** What the baggage of a request needs to know about it. */
export interface BaggageSource {
  /** The request's tenant, as known now (an auth middleware after the kit may supply it late). */
  readonly tenantId: string | undefined;
}

const EMPTY: Baggage = propagation.createBaggage();

/**
 * The baggage a request's handlers run with and pass downstream: the caller's entries, with the
 * request's `tenant.id` first. Built when first read (most requests make no outgoing call) and
 * again when the tenant changes, so a tenant an auth middleware supplies after the kit still goes
 * downstream.
 * - `tenant.id` goes first because propagators keep the first entries when the caller's baggage is
 *   at the W3C limits (180 entries, 8192 bytes; https://www.w3.org/TR/baggage/#limits): the
 *   caller's surplus is dropped, never the tenant the downstream services bill to.
 * - With no tenant, a caller's `tenant.id` the middleware's validation rejects is dropped: it was
 *   rejected for this request, so it is neither passed on nor logged from the baggage.
 * - An untrusted caller's baggage (`trustIncoming: false`) is not read at all.
 */
export class RequestBaggage implements Baggage {
  private built: Baggage | undefined;
  private builtFor: string | undefined;

  constructor(
    private readonly request: BaggageSource,
    /** The caller's baggage, when the caller is trusted. */
    private readonly incoming: Baggage | undefined,
    private readonly validTenant: (tenantId: string) => boolean,
  ) {}

  private current(): Baggage {
    const tenantId = this.request.tenantId;
    if (this.built === undefined || this.builtFor !== tenantId) {
      this.built = this.build(tenantId);
      this.builtFor = tenantId;
    }
    return this.built;
  }

  private build(tenantId: string | undefined): Baggage {
    const incoming = this.incoming;
    if (tenantId === undefined) {
      const callers = incoming?.getEntry(ATTR_TENANT_ID)?.value;
      if (callers === undefined || isValidTenant(this.validTenant, callers)) return incoming ?? EMPTY;
      return incoming!.removeEntry(ATTR_TENANT_ID);
    }
    // Entry by entry, not one object literal: an object puts integer-like keys ("7") before the
    // tenant, whatever order they were added in.
    let baggage = propagation.createBaggage({ [ATTR_TENANT_ID]: { value: tenantId } });
    if (incoming !== undefined) for (const [key, entry] of incoming.getAllEntries()) if (key !== ATTR_TENANT_ID) baggage = baggage.setEntry(key, entry);
    return baggage;
  }

  getEntry(key: string): BaggageEntry | undefined {
    return this.current().getEntry(key);
  }

  getAllEntries(): [string, BaggageEntry][] {
    return this.current().getAllEntries();
  }

  setEntry(key: string, entry: BaggageEntry): Baggage {
    return this.current().setEntry(key, entry);
  }

  removeEntry(key: string): Baggage {
    return this.current().removeEntry(key);
  }

  removeEntries(...keys: string[]): Baggage {
    return this.current().removeEntries(...keys);
  }

  clear(): Baggage {
    return this.current().clear();
  }
}
