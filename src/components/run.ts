import { context, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { kitMetrics } from '../facades/metrics';
import type { OTELMetrics } from '../facades/metrics';
import { runInSpan } from '../facades/run';
import type { SpanOutcome } from '../facades/run';
import type { OTELSpan } from '../facades/span';
import { currentRequest } from '../request-otel';
import { RequestTelemetry } from '../request-telemetry';
import { ATTR_TENANT_ID } from '../semconv';
import { KIT_NAME, KIT_VERSION } from '../version';

/** A helper's function: gets the span handle, returns a value or a promise. */
export type ComponentFn<T> = (span: OTELSpan) => T | Promise<T>;

/** What a component's metrics see when its span ends. */
export interface ComponentEnd<T> extends SpanOutcome<T> {
  /** `error` when the function threw or rejected, or set its span's status to `'error'`; else `success`. */
  readonly status: 'success' | 'error';
  /** Metric attributes every helper metric carries: `tenant.id` inside a request (capped). */
  readonly base: Attributes;
  readonly metrics: OTELMetrics;
}

/** The tenant and route of the HTTP request being handled, if any. */
export function requestInfo(): { tenantId?: string; metricTenant?: string; route?: string } {
  const request = currentRequest();
  if (request === undefined) return {};
  const info: { tenantId?: string; metricTenant?: string; route?: string } = {};
  if (request.tenantId !== undefined) info.tenantId = request.tenantId;
  const metricTenant = request instanceof RequestTelemetry ? request.metricTenant : request.tenantId;
  if (metricTenant !== undefined) info.metricTenant = metricTenant;
  if (request.route !== undefined) info.route = request.route;
  return info;
}

/**
 * Runs `fn` in a child span of the active span named `name`, with `attributes` plus the
 * request's `tenant.id` and `http.route`, then lets `record` turn the outcome into metrics.
 * Always returns a promise; errors are recorded on the span and rethrown unchanged.
 */
export function runComponent<T>(
  name: string,
  attributes: Attributes,
  fn: ComponentFn<T>,
  record?: (end: ComponentEnd<T>) => void,
): Promise<T> {
  if (typeof fn !== 'function') return Promise.reject(new TypeError(`${name}: expected a function, got ${typeof fn}`));
  const info = requestInfo();
  const spanAttributes: Attributes = { ...attributes };
  if (info.tenantId !== undefined) spanAttributes[ATTR_TENANT_ID] = info.tenantId;
  if (info.route !== undefined) spanAttributes[ATTR_HTTP_ROUTE] = info.route;
  const base: Attributes = info.metricTenant !== undefined ? { [ATTR_TENANT_ID]: info.metricTenant } : {};
  const tracer = trace.getTracer(KIT_NAME, KIT_VERSION);
  const onEnd =
    record === undefined
      ? undefined
      : (outcome: SpanOutcome<T>) => record({ ...outcome, status: statusOf(outcome), base, metrics: kitMetrics });
  try {
    return Promise.resolve(runInSpan(tracer, name, { attributes: spanAttributes }, context.active(), fn, onEnd as (o: SpanOutcome<Awaited<T | Promise<T>>>) => void));
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejects with what fn threw, unchanged
    return Promise.reject(err);
  }
}

function statusOf(outcome: SpanOutcome<unknown>): 'success' | 'error' {
  return outcome.error !== undefined || outcome.handle.status === 'error' ? 'error' : 'success';
}

/** A finite non-negative number from a result field, or undefined. */
export function numberField(result: unknown, field: string): number | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const value = (result as Record<string, unknown>)[field];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
