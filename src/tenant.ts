import { diag } from '@opentelemetry/api';
import { propagation } from './bound';
import type { Context } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { ResolvedOptions } from './options';
import { ATTR_TENANT_ID } from './semconv';

const log = diag.createComponentLogger({ namespace: '@motadata/otel/tenant' });

/** Why a tenant id was dropped: the `reason` attribute of `tenant.rejected`. */
export type TenantRejection = 'invalid';

/**
 * The tenant of a request: the configured header, else the caller's baggage, else the user's
 * resolver. Returns the raw candidate, which the caller validates (and counts when rejected);
 * `undefined` when no source had one.
 */
export function findTenant(
  options: ResolvedOptions,
  req: IncomingMessage,
  source: unknown,
  incoming: Context | undefined,
): string | undefined {
  if (options.tenantHeader !== undefined) {
    const value = req.headers[options.tenantHeader];
    // A repeated header is ambiguous: Node joins most duplicates with ", ", which the default
    // pattern rejects; an array (set-cookie style) is refused outright.
    if (typeof value === 'string' && value !== '') return value;
  }
  if (options.tenantFromBaggage && incoming !== undefined) {
    const entry = propagation.getBaggage(incoming)?.getEntry(ATTR_TENANT_ID);
    if (entry !== undefined && entry.value !== '') return entry.value;
  }
  return resolveTenant(options, source);
}

let warnedAsync = false;

/** The user's `resolveTenant` answer, if any; a throw or a promise is no answer (and logged). */
export function resolveTenant(options: ResolvedOptions, source: unknown): string | undefined {
  if (options.resolveTenant === undefined) return undefined;
  try {
    const resolved: unknown = options.resolveTenant(source);
    if (typeof resolved === 'string') return resolved === '' ? undefined : resolved;
    if (typeof (resolved as PromiseLike<unknown> | undefined)?.then === 'function') {
      // The tenant is needed synchronously (span, metrics, outgoing baggage): an async lookup
      // belongs in the app's auth middleware, which the resolver can then read.
      (resolved as Promise<unknown>).then(undefined, () => undefined);
      if (!warnedAsync) {
        warnedAsync = true;
        log.warn('tenant.resolveTenant returned a promise; it must return the tenant id synchronously (read what your auth middleware set on the request)');
      }
    }
  } catch (err) {
    log.warn('tenant.resolveTenant threw; the request continues without a tenant', err);
  }
  return undefined;
}

/** Whether the middleware's `tenant.validate` accepts an id; a validator that throws rejects it (logged). */
export function isValidTenant(validateTenant: ResolvedOptions['validateTenant'], candidate: string): boolean {
  try {
    return Boolean(validateTenant(candidate));
  } catch (err) {
    log.warn('tenant.validate threw; the tenant id is rejected', err);
    return false;
  }
}
