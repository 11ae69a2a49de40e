/**
 * The OpenTelemetry SDK packages, loaded from the application's own `@opentelemetry/sdk-node`.
 *
 * Why: the kit must not choose the SDK line (2.x or 3.x) for the application, and must not load
 * an SDK at all where only the middleware is used. So nothing here runs until `initTelemetry()`
 * (or another SDK-backed call) asks, and every package is resolved from the location of the
 * app's `@opentelemetry/sdk-node`, which depends on all of them: the kit gets exactly the copies
 * the app's SDK uses, under npm, pnpm and Yarn alike. See docs/design.md#one-sdk-the-apps.
 */
import { createRequire } from 'node:module';

const SDK_NODE = '@opentelemetry/sdk-node';

let sdkRequire: NodeJS.Require | undefined;

/** A `require` that resolves from the application's `@opentelemetry/sdk-node`. */
function requireFromSdk(): NodeJS.Require {
  if (sdkRequire !== undefined) return sdkRequire;
  let entry: string;
  try {
    entry = require.resolve(SDK_NODE);
  } catch {
    throw new Error(
      `@motadata/otel: initTelemetry() needs ${SDK_NODE} in the application ` +
        `(npm i ${SDK_NODE}: 0.30x for OpenTelemetry JS 3.x, 0.223.x for 2.x)`,
    );
  }
  return (sdkRequire = createRequire(entry));
}

/** Loads an SDK package as the application's `@opentelemetry/sdk-node` sees it. */
export function sdkPackage<T>(name: string): T {
  return requireFromSdk()(name) as T;
}

/**
 * Loads a package the application installs itself (an optional peer such as
 * `@opentelemetry/instrumentation-http`), with an error that says what to install.
 */
export function peerPackage<T>(name: string, wantedFor: string): T {
  try {
    return require(name) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error(`@motadata/otel: ${wantedFor} needs ${name} in the application (npm i ${name})`, { cause: err });
  }
}

/**
 * A package that is part of the SDK: from the app's `@opentelemetry/sdk-node` when it has one,
 * else as the application itself resolves it (an app that assembled its SDK by hand).
 */
export function sdkOrAppPackage<T>(name: string): T {
  try {
    return sdkPackage<T>(name);
  } catch {
    return require(name) as T;
  }
}

/** The part of the Logs API the kit uses. */
export interface LogsApi {
  readonly logs: {
    getLoggerProvider(): { getLogger(name: string, version?: string): unknown };
    disable(): void;
  };
}

/** The Logs API: in `@opentelemetry/api` from 1.10 (OpenTelemetry JS 3.x), `@opentelemetry/api-logs` before. */
export function logsApi(): LogsApi {
  const api = require('@opentelemetry/api') as Partial<LogsApi>;
  if (api.logs !== undefined) return api as LogsApi;
  return sdkOrAppPackage<LogsApi>('@opentelemetry/api-logs');
}
