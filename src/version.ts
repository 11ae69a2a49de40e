/** Instrumentation scope of everything the kit emits. Kept in step with package.json by a test. */
export const KIT_NAME = '@motadata/otel';
export const KIT_VERSION = '0.2.0';
