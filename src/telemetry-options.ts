import type { Attributes } from '@opentelemetry/api';
import { DEFAULT_PROPAGATORS, PROPAGATOR_NAMES } from './propagation';
import type { PropagatorName } from './propagation';
import { resolveOutboundOptions } from './outbound-options';
import type { OutboundOptions, ResolvedOutboundOptions } from './outbound-options';

export type TraceExporterName = 'otlp' | 'jaeger' | 'console' | 'zipkin' | 'memory' | 'none';
export type MetricExporterName = 'otlp' | 'prometheus' | 'console' | 'memory' | 'none';
export type LogExporterName = 'otlp' | 'console' | 'memory' | 'none';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Options of `initTelemetry()`. Explicit options win over `OTEL_*` variables, which win over defaults. */
export interface TelemetryOptions {
  /** `service.name`. Env: `OTEL_SERVICE_NAME`. @default 'unknown_service:node' */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name` (`production`, `staging`, ...). */
  environment?: string;
  /** More resource attributes. Env: `OTEL_RESOURCE_ATTRIBUTES` (explicit ones win). */
  resourceAttributes?: Attributes;
  traces?: {
    /**
     * Where spans go. `jaeger` is OTLP to Jaeger's own OTLP receiver (port 4318): current Jaeger
     * ingests OTLP natively and the Jaeger exporter is deprecated. Env: `OTEL_TRACES_EXPORTER`.
     * @default 'otlp'
     */
    exporter?: TraceExporterName;
    /**
     * OTLP base URL (`/v1/traces` is appended) or, for `zipkin`, the full URL.
     * Env: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (full), `OTEL_EXPORTER_OTLP_ENDPOINT` (base).
     * @default 'http://localhost:4318' (zipkin: 'http://localhost:9411/api/v2/spans')
     */
    endpoint?: string;
    /** OTLP encoding. Env: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`. @default 'http/protobuf' */
    protocol?: OtlpProtocol;
    /** Extra headers on OTLP requests (an API key). */
    headers?: Record<string, string>;
    /**
     * Share of new traces that are sampled, in [0, 1]; a caller's decision is followed
     * (ParentBased(TraceIdRatioBased); at 1 and 0 AlwaysOn / AlwaysOff, which decide the same). Env: `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`.
     * @default 1
     */
    sampleRatio?: number;
    /**
     * Set the W3C Trace Context Level 2 `random-trace-id` flag (`-03`) on traces this process
     * starts. Off by default: OpenTelemetry Go before its 2026 releases and Rust before March 2026
     * read any flag bit besides "sampled" as an invalid `traceparent` and start a new trace. A
     * caller's flag is kept either way, as Level 2 requires.
     * @default false
     */
    randomTraceIdFlag?: boolean;
  };
  metrics?: {
    /** Env: `OTEL_METRICS_EXPORTER`. @default 'otlp' */
    exporter?: MetricExporterName;
    /** OTLP base URL (`/v1/metrics` is appended). Env as for traces, `_METRICS_`. */
    endpoint?: string;
    protocol?: OtlpProtocol;
    headers?: Record<string, string>;
    /** Push interval of `otlp` and `console`. Env: `OTEL_METRIC_EXPORT_INTERVAL`. @default 60000 */
    intervalMillis?: number;
    /**
     * Prometheus: the port of the pull endpoint, in [1, 65535] (the SDK's exporter reads 0 as
     * "unset"). Env: `OTEL_EXPORTER_PROMETHEUS_PORT`. @default 9464
     */
    port?: number;
    /**
     * Prometheus: the address it listens on. Every interface by default, as the SDK's exporter
     * does, so a Prometheus on another host can scrape it; `'127.0.0.1'` keeps the tenant and
     * cost series on this machine. Env: `OTEL_EXPORTER_PROMETHEUS_HOST`. @default '0.0.0.0'
     */
    host?: string;
  };
  logs?: {
    /** Where `OTELLogger` records go through the OTel Logs API. Env: `OTEL_LOGS_EXPORTER`. @default 'otlp' */
    exporter?: LogExporterName;
    endpoint?: string;
    protocol?: OtlpProtocol;
    headers?: Record<string, string>;
  };
  /**
   * Trace-context formats read from requests and written by `tracedFetch`/`injectHeaders`, in
   * order: `tracecontext` (W3C, with the Level 2 rules), `baggage` (W3C), `b3` (single header),
   * `b3multi` (`X-B3-*`), `jaeger` (deprecated), `xray` (`X-Amzn-Trace-Id`), `ottrace`
   * (`ot-tracer-*`), or `['none']`. Env: `OTEL_PROPAGATORS`.
   * @default ['tracecontext', 'baggage']
   */
  propagators?: PropagatorName[];
  /**
   * Also run `@opentelemetry/instrumentation-http` (outgoing `http` calls get CLIENT spans; the
   * middleware then enriches its SERVER span instead of opening one). Must be started before
   * `http` is first used by a server. @default false
   */
  instrumentHttp?: boolean;
  /**
   * Every outgoing HTTP request made inside a trace (global `fetch`, undici, `node:http` and
   * `https`: axios, got, the `openai` package) gets a CLIENT span and the trace headers, with no
   * call-site change, through Node's diagnostics channels (see `instrumentOutbound()`). The
   * options say which hosts get trace headers and baggage (by default baggage, which carries
   * `tenant.id`, goes to internal hosts only) and which requests are ignored. `false` turns it off.
   * @default true
   */
  outbound?: OutboundOptions | boolean;
}

export interface ResolvedTelemetryOptions {
  readonly serviceName: string | undefined;
  readonly resourceAttributes: Attributes;
  readonly traces: {
    readonly exporters: readonly TraceExporterName[];
    /** The OTLP traces URL (exporters `otlp` and `jaeger`). */
    readonly url: string;
    /** The endpoint given, when it was Jaeger's legacy collector and `url` is Jaeger's OTLP receiver instead. */
    readonly legacyJaegerEndpoint: string | undefined;
    /** Zipkin's span endpoint (exporter `zipkin`); a separate URL, as the two can run together. */
    readonly zipkinUrl: string;
    readonly protocol: OtlpProtocol;
    readonly headers: Record<string, string> | undefined;
    readonly sampler: SamplerChoice;
    readonly randomTraceIdFlag: boolean;
  };
  readonly metrics: {
    readonly exporters: readonly MetricExporterName[];
    readonly url: string;
    readonly protocol: OtlpProtocol;
    readonly headers: Record<string, string> | undefined;
    readonly intervalMillis: number;
    /** Export timeout of the push readers: OTEL_METRIC_EXPORT_TIMEOUT, at most the interval (the SDK requires it). */
    readonly timeoutMillis: number;
    readonly port: number;
    readonly host: string;
  };
  readonly logs: {
    readonly exporters: readonly LogExporterName[];
    readonly url: string;
    readonly protocol: OtlpProtocol;
    readonly headers: Record<string, string> | undefined;
  };
  readonly propagators: readonly PropagatorName[];
  readonly instrumentHttp: boolean;
  readonly outbound: ResolvedOutboundOptions | false;
}

/** A sampler by the spec's `OTEL_TRACES_SAMPLER` names, with its ratio where one applies. */
export type SamplerChoice =
  | { readonly kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { readonly kind: 'traceidratio' | 'parentbased_traceidratio'; readonly ratio: number };

const TRACE_EXPORTERS: readonly TraceExporterName[] = ['otlp', 'jaeger', 'console', 'zipkin', 'memory', 'none'];
const METRIC_EXPORTERS: readonly MetricExporterName[] = ['otlp', 'prometheus', 'console', 'memory', 'none'];
const LOG_EXPORTERS: readonly LogExporterName[] = ['otlp', 'console', 'memory', 'none'];
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
const DEFAULT_OTLP_BASE = 'http://localhost:4318';
const DEFAULT_ZIPKIN_URL = 'http://localhost:9411/api/v2/spans';

type Env = Readonly<Record<string, string | undefined>>;

function optionError(option: string, expected: string, got: unknown): TypeError {
  return new TypeError(`initTelemetry: option "${option}" must be ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
}
function envError(variable: string, expected: string, got: string): TypeError {
  return new TypeError(`initTelemetry: environment variable ${variable}=${JSON.stringify(got)} must be ${expected}`);
}

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A comma-separated enum list, each name once, lower-cased: the spec reads enum values in any
 * case. Empty entries are dropped, so `,` is an empty list, read as unset.
 */
function envList(value: string): string[] {
  return [...new Set(value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))];
}

function oneOf<T extends string>(allowed: readonly T[], option: string, explicit: unknown, envName: string, env: Env, fallback: T): T[] {
  if (explicit !== undefined) {
    if (typeof explicit !== 'string' || !allowed.includes(explicit as T)) throw optionError(option, `one of ${allowed.join(', ')}`, explicit);
    return [explicit as T];
  }
  const fromEnv = envValue(env, envName);
  if (fromEnv === undefined) return [fallback];
  const names = envList(fromEnv);
  if (names.length === 0) return [fallback];
  for (const name of names) if (!allowed.includes(name as T)) throw envError(envName, `a comma-separated list of ${allowed.join(', ')}`, fromEnv);
  // `none` wins, as the spec says for OTEL_*_EXPORTER lists.
  return names.includes('none') ? ['none' as T] : (names as T[]);
}

function checkUrl(url: string, source: string, isEnv: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw isEnv ? envError(source, 'an http(s) URL', url) : optionError(source, 'an http(s) URL such as "http://127.0.0.1:4318"', url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw isEnv ? envError(source, 'an http(s) URL', url) : optionError(source, 'an http(s) URL such as "http://127.0.0.1:4318"', url);
  }
  return url;
}

/**
 * Jaeger's OTLP receiver for an endpoint that is Jaeger's legacy Thrift collector
 * (`http://jaeger:14268/api/traces`, the endpoint of the retired Jaeger exporter), which cannot
 * read OTLP; undefined for any other endpoint. Jaeger ingests OTLP on port 4318 since 1.35.
 * See https://www.jaegertracing.io/docs/latest/apis/#opentelemetry-protocol
 */
export function jaegerOtlpUrl(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  if (url.pathname.replace(/\/$/, '') !== '/api/traces' && url.port !== '14268') return undefined;
  return `${url.protocol}//${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:4318/v1/traces`;
}

/** `<base>/v1/<signal>`, as the OTLP exporter spec builds signal URLs from OTEL_EXPORTER_OTLP_ENDPOINT. */
function signalUrl(base: string, signal: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}v1/${signal}`;
}

function otlpUrl(option: string, explicit: unknown, env: Env, signal: 'traces' | 'metrics' | 'logs'): string {
  if (explicit !== undefined) {
    if (typeof explicit !== 'string') throw optionError(option, 'an http(s) URL', explicit);
    checkUrl(explicit, option, false);
    return new URL(explicit).pathname.endsWith(`/v1/${signal}`) ? explicit : signalUrl(explicit, signal);
  }
  const perSignal = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
  const full = envValue(env, perSignal);
  if (full !== undefined) return checkUrl(full, perSignal, true);
  const base = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base !== undefined) return signalUrl(checkUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT', true), signal);
  return signalUrl(DEFAULT_OTLP_BASE, signal);
}

function protocol(option: string, explicit: unknown, env: Env, signal: string): OtlpProtocol {
  if (explicit !== undefined) {
    if (!PROTOCOLS.includes(explicit as OtlpProtocol)) throw optionError(option, `one of ${PROTOCOLS.join(', ')}`, explicit);
    return explicit as OtlpProtocol;
  }
  for (const name of [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const given = envValue(env, name);
    if (given === undefined) continue;
    const value = given.toLowerCase();
    if (!PROTOCOLS.includes(value as OtlpProtocol)) throw envError(name, `one of ${PROTOCOLS.join(', ')} (grpc is not bundled)`, given);
    return value as OtlpProtocol;
  }
  return 'http/protobuf';
}

function headers(option: string, explicit: unknown): Record<string, string> | undefined {
  if (explicit === undefined) return undefined;
  if (typeof explicit !== 'object' || explicit === null || Object.values(explicit).some((v) => typeof v !== 'string')) {
    throw optionError(option, 'an object of string header values', explicit);
  }
  return explicit as Record<string, string>;
}

function ratio(option: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > 1) throw optionError(option, 'a number in [0, 1]', value);
  return value;
}

function sampler(explicitRatio: unknown, env: Env): SamplerChoice {
  if (explicitRatio !== undefined) return { kind: 'parentbased_traceidratio', ratio: ratio('traces.sampleRatio', explicitRatio) };
  const given = envValue(env, 'OTEL_TRACES_SAMPLER');
  if (given === undefined) return { kind: 'parentbased_always_on' };
  const name = given.toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(name)) throw envError('OTEL_TRACES_SAMPLER', `one of ${SAMPLERS.join(', ')}`, given);
  if (name === 'traceidratio' || name === 'parentbased_traceidratio') {
    const arg = envValue(env, 'OTEL_TRACES_SAMPLER_ARG');
    const value = arg === undefined ? 1 : Number(arg);
    if (Number.isNaN(value) || value < 0 || value > 1) throw envError('OTEL_TRACES_SAMPLER_ARG', 'a number in [0, 1]', arg!);
    return { kind: name, ratio: value };
  }
  return { kind: name as 'always_on' };
}

/**
 * The propagator names, each once, in order. `none` wins, as for OTEL_*_EXPORTER lists. Unlike the
 * SDK, which warns and drops a name it does not know, the kit refuses to start: a service that
 * silently stops joining its callers' traces is what the setting exists to prevent.
 */
function propagators(explicit: unknown, env: Env): readonly PropagatorName[] {
  const expected = `list of ${PROPAGATOR_NAMES.join(', ')}`;
  let names: string[];
  if (explicit !== undefined) {
    if (!Array.isArray(explicit) || explicit.length === 0 || explicit.some((n) => !PROPAGATOR_NAMES.includes(n as PropagatorName))) {
      throw optionError('propagators', `a non-empty ${expected}`, explicit);
    }
    names = explicit as string[];
  } else {
    const fromEnv = envValue(env, 'OTEL_PROPAGATORS');
    if (fromEnv === undefined) return DEFAULT_PROPAGATORS;
    names = envList(fromEnv);
    if (names.length === 0) return DEFAULT_PROPAGATORS;
    if (names.some((n) => !PROPAGATOR_NAMES.includes(n as PropagatorName))) throw envError('OTEL_PROPAGATORS', `a comma-separated ${expected}`, fromEnv);
  }
  const unique = [...new Set(names)] as PropagatorName[];
  return unique.includes('none') ? ['none'] : unique;
}

function section<T extends object>(option: string, value: unknown): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw optionError(option, 'an object', value);
  return value;
}

function optionalBoolean(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw optionError(option, 'a boolean', value);
  return value;
}

function optionalString(option: string, value: unknown): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value === '')) throw optionError(option, 'a non-empty string', value);
  return value;
}

/** Validates options and reads the environment once, at start-up. Throws a TypeError naming the culprit. */
export function resolveTelemetryOptions(options: TelemetryOptions = {}, env: Env = process.env): ResolvedTelemetryOptions {
  if (typeof options !== 'object' || options === null) throw optionError('options', 'an object', options);
  const traces = section<NonNullable<TelemetryOptions['traces']>>('traces', options.traces);
  const metricsOptions = section<NonNullable<TelemetryOptions['metrics']>>('metrics', options.metrics);
  const logs = section<NonNullable<TelemetryOptions['logs']>>('logs', options.logs);

  const resourceAttributes: Attributes = { ...section<Attributes>('resourceAttributes', options.resourceAttributes) };
  const serviceVersion = optionalString('serviceVersion', options.serviceVersion);
  const environment = optionalString('environment', options.environment);
  if (serviceVersion !== undefined) resourceAttributes['service.version'] = serviceVersion;
  if (environment !== undefined) resourceAttributes['deployment.environment.name'] = environment;

  const traceExporters = oneOf(TRACE_EXPORTERS, 'traces.exporter', traces.exporter, 'OTEL_TRACES_EXPORTER', env, 'otlp');
  // `traces.endpoint` is Zipkin's URL when the exporter is zipkin, else OTLP's. Only
  // OTEL_TRACES_EXPORTER can list both; the option would then be ambiguous.
  const zipkin = traceExporters.includes('zipkin');
  if (zipkin && traces.endpoint !== undefined && (traceExporters.includes('otlp') || traceExporters.includes('jaeger'))) {
    throw optionError('traces.endpoint', 'unset when the exporters are both zipkin and OTLP (use OTEL_EXPORTER_ZIPKIN_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)', traces.endpoint);
  }
  const zipkinEnv = envValue(env, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT');
  let zipkinUrl = DEFAULT_ZIPKIN_URL;
  if (zipkin && traces.endpoint !== undefined) zipkinUrl = checkUrl(String(traces.endpoint), 'traces.endpoint', false);
  else if (zipkin && zipkinEnv !== undefined) zipkinUrl = checkUrl(zipkinEnv, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', true);
  const legacyJaeger = !zipkin && typeof traces.endpoint === 'string' ? jaegerOtlpUrl(traces.endpoint) : undefined;
  const traceUrl = legacyJaeger ?? otlpUrl('traces.endpoint', zipkin ? undefined : traces.endpoint, env, 'traces');

  const interval = metricsOptions.intervalMillis ?? (envValue(env, 'OTEL_METRIC_EXPORT_INTERVAL') !== undefined ? Number(envValue(env, 'OTEL_METRIC_EXPORT_INTERVAL')) : 60000);
  if (!Number.isInteger(interval) || interval <= 0) {
    if (metricsOptions.intervalMillis !== undefined) throw optionError('metrics.intervalMillis', 'a positive integer (milliseconds)', interval);
    throw envError('OTEL_METRIC_EXPORT_INTERVAL', 'a positive integer (milliseconds)', String(envValue(env, 'OTEL_METRIC_EXPORT_INTERVAL')));
  }
  const timeoutEnv = envValue(env, 'OTEL_METRIC_EXPORT_TIMEOUT');
  const timeout = timeoutEnv === undefined ? 30000 : Number(timeoutEnv);
  if (!Number.isInteger(timeout) || timeout <= 0) throw envError('OTEL_METRIC_EXPORT_TIMEOUT', 'a positive integer (milliseconds)', String(timeoutEnv));
  const portEnv = envValue(env, 'OTEL_EXPORTER_PROMETHEUS_PORT');
  const port = metricsOptions.port ?? (portEnv === undefined ? 9464 : Number(portEnv));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    if (metricsOptions.port !== undefined) throw optionError('metrics.port', 'a port number in [1, 65535]', port);
    throw envError('OTEL_EXPORTER_PROMETHEUS_PORT', 'a port number in [1, 65535]', String(portEnv));
  }
  const host = optionalString('metrics.host', metricsOptions.host) ?? envValue(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? '0.0.0.0';

  if (options.instrumentHttp !== undefined && typeof options.instrumentHttp !== 'boolean') {
    throw optionError('instrumentHttp', 'a boolean', options.instrumentHttp);
  }

  return {
    serviceName: optionalString('serviceName', options.serviceName),
    resourceAttributes,
    traces: {
      exporters: traceExporters,
      url: traceUrl,
      legacyJaegerEndpoint: legacyJaeger === undefined ? undefined : traces.endpoint,
      zipkinUrl,
      protocol: protocol('traces.protocol', traces.protocol, env, 'TRACES'),
      headers: headers('traces.headers', traces.headers),
      sampler: sampler(traces.sampleRatio, env),
      randomTraceIdFlag: optionalBoolean('traces.randomTraceIdFlag', traces.randomTraceIdFlag) ?? false,
    },
    metrics: {
      exporters: oneOf(METRIC_EXPORTERS, 'metrics.exporter', metricsOptions.exporter, 'OTEL_METRICS_EXPORTER', env, 'otlp'),
      url: otlpUrl('metrics.endpoint', metricsOptions.endpoint, env, 'metrics'),
      protocol: protocol('metrics.protocol', metricsOptions.protocol, env, 'METRICS'),
      headers: headers('metrics.headers', metricsOptions.headers),
      intervalMillis: interval,
      timeoutMillis: Math.min(timeout, interval),
      port,
      host,
    },
    logs: {
      exporters: oneOf(LOG_EXPORTERS, 'logs.exporter', logs.exporter, 'OTEL_LOGS_EXPORTER', env, 'otlp'),
      url: otlpUrl('logs.endpoint', logs.endpoint, env, 'logs'),
      protocol: protocol('logs.protocol', logs.protocol, env, 'LOGS'),
      headers: headers('logs.headers', logs.headers),
    },
    propagators: propagators(options.propagators, env),
    instrumentHttp: options.instrumentHttp ?? false,
    outbound: options.outbound === false ? false : resolveOutboundOptions(options.outbound === true ? undefined : options.outbound, 'initTelemetry', 'outbound.'),
  };
}
