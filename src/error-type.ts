/**
 * `error.type` of a thrown value: its class name, as semconv recommends, or `_OTHER` for a value
 * that is no Error. The one definition for spans and the helpers' `error_type` metric attribute.
 * See https://opentelemetry.io/docs/specs/semconv/attributes-registry/error/
 */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name && error.constructor.name !== 'Object' ? error.constructor.name : error.name;
  return '_OTHER';
}
