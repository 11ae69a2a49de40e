import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Context, SpanOptions, Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { errorType } from '../error-type';
import { OTELSpan } from './span';

/** How a span run ended, for helpers that record metrics from it. */
export interface SpanOutcome<T> {
  readonly handle: OTELSpan;
  readonly durationSeconds: number;
  /** The thrown error or rejection reason; undefined on success. */
  readonly error: unknown;
  readonly result: T | undefined;
}

/**
 * Runs `fn(handle)` in a new span that is active for everything `fn` does, awaited or not, and
 * ends it when `fn` returns or its promise settles. A throw or rejection records the exception,
 * sets ERROR with its message and `error.type`, and is rethrown unchanged. `onEnd` runs before
 * the span ends (so it can still add attributes); a throw inside it is swallowed: telemetry
 * never changes the caller's result.
 */
export function runInSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  parent: Context,
  fn: (span: OTELSpan) => T,
  onEnd?: (outcome: SpanOutcome<Awaited<T>>) => void,
): T {
  const span = tracer.startSpan(name, options, parent);
  const handle = new OTELSpan(span);
  const started = performance.now();
  const finish = (error: unknown, result: Awaited<T> | undefined): void => {
    if (error !== undefined) {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error is recorded as String() renders it
      span.recordException(error instanceof Error ? error : String(error));
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error is recorded as String() renders it
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    if (onEnd !== undefined) {
      try {
        onEnd({ handle, durationSeconds: (performance.now() - started) / 1000, error, result });
      } catch {
        // A failing metric must not turn a success into a failure.
      }
    }
    span.end();
  };

  let returned: T;
  try {
    returned = context.with(trace.setSpan(parent, span), fn, undefined, handle);
  } catch (err) {
    finish(err ?? new Error(String(err)), undefined);
    throw err;
  }
  if (isPromiseLike(returned)) {
    // Adopted into a native promise first: a thenable's own `then` may not return one.
    return Promise.resolve(returned as PromiseLike<Awaited<T>>).then(
      (value) => {
        finish(undefined, value);
        return value;
      },
      (err: unknown) => {
        finish(err ?? new Error(String(err)), undefined);
        throw err;
      },
    ) as T;
  }
  finish(undefined, returned as Awaited<T>);
  return returned;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
