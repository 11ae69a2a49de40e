/**
 * Export failures said out loud. The SDK reports a failed export through `diag`, which prints
 * nothing unless OTEL_LOG_LEVEL is set, so a newcomer whose collector is not running sees no
 * trace and no error. Each exporter the kit builds is wrapped: its first failed export prints one
 * warning naming the signal, the destination and the cause; later failures stay with `diag`.
 */

/** An SDK exporter of spans, metrics or log records: the methods the SDK calls on it. */
interface Exporter {
  export(items: unknown, resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
  selectAggregationTemporality?(instrumentType: unknown): unknown;
  selectAggregation?(instrumentType: unknown): unknown;
}

const FAILED = 1; // ExportResultCode.FAILED, the same on both SDK lines

/** Process warnings the kit emits are of this type, so an app can pick them out. */
export const WARNING_TYPE = 'MotadataOtelWarning';

/**
 * Wraps `exporter` so that its first failed export emits one process warning. `what` names the
 * signal and `destination` where it goes (`spans to http://localhost:4318/v1/traces`).
 */
export function reportingFailures<T extends object>(exporter: T, what: string, destination: string): T {
  const inner = exporter as unknown as Exporter;
  let reported = false;
  const wrapped: Exporter = {
    export(items, resultCallback) {
      inner.export(items, (result) => {
        if (result.code === FAILED && !reported) {
          reported = true;
          const cause = causeOf(result.error);
          process.emitWarning(
            `@motadata/otel: exporting ${what} to ${destination} failed${cause}. Is the collector running there? ` +
              'Telemetry is dropped until it is; requests are not affected. (Said once; OTEL_LOG_LEVEL=debug shows every failure.)',
            WARNING_TYPE,
          );
        }
        resultCallback(result);
      });
    },
    shutdown: () => inner.shutdown(),
  };
  if (inner.forceFlush !== undefined) wrapped.forceFlush = () => inner.forceFlush!();
  // A metric exporter's temporality and aggregation choices (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE).
  if (inner.selectAggregationTemporality !== undefined) wrapped.selectAggregationTemporality = (type) => inner.selectAggregationTemporality!(type);
  if (inner.selectAggregation !== undefined) wrapped.selectAggregation = (type) => inner.selectAggregation!(type);
  return wrapped as unknown as T;
}

/** ` (ECONNREFUSED)`, ` (HTTP 500)`, ... from an exporter's error, or nothing. */
function causeOf(error: Error | undefined): string {
  if (error === undefined) return '';
  const withCode = error as Error & { code?: unknown; cause?: { code?: unknown } };
  const code = withCode.code ?? withCode.cause?.code;
  if (typeof code === 'string' || typeof code === 'number') return ` (${String(code)})`;
  return error.message ? ` (${error.message})` : '';
}
