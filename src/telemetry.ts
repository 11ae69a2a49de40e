import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import type * as SdkLogs from '@opentelemetry/sdk-logs';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type { MetricReader, IMetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createPropagator } from './propagation';
import { setRandomTraceIdFlag } from './tracecontext';
import { resolveTelemetryOptions } from './telemetry-options';
import type { ResolvedTelemetryOptions, SamplerChoice, TelemetryOptions } from './telemetry-options';
import { ignoredByAnyMiddleware } from './lifecycle';
import { AddableSpanProcessor } from './span-processor';
import { startOutbound } from './outbound';
import { logsApi, peerPackage, sdkPackage } from './sdk';
import { prometheusEndpoint } from './prometheus';
import type { CollectedMetrics, FinishedLogRecord, FinishedSpan, SpanExporterLike, TelemetryResource } from './sdk-types';
import { METRIC_HTTP_SERVER_REQUEST_DURATION } from './semconv';
import { WARNING_TYPE, reportingFailures } from './export-failures';

/** The handle `initTelemetry()` returns. */
export interface Telemetry {
  /** The resource every span, metric and log record carries. */
  readonly resource: TelemetryResource;
  /**
   * Settles when every exporter is ready to serve. Rejects with a clear error when the
   * Prometheus port is taken; the process keeps running either way (and a warning is printed).
   */
  readonly ready: Promise<void>;
  /** Spans ended so far, with `traces.exporter: 'memory'`. */
  getFinishedSpans(): FinishedSpan[];
  /** Forgets the spans and log records kept in memory (between tests). */
  reset(): void;
  /** Collects the current metrics, with `metrics.exporter: 'memory'`. */
  collectMetrics(): Promise<CollectedMetrics>;
  /** Log records emitted so far, with `logs.exporter: 'memory'`. */
  getFinishedLogs(): FinishedLogRecord[];
  /** Sends spans to one more exporter from now on (batched). Used by `OTELTracer.configureExporter()`. */
  addSpanExporter(exporter: SpanExporterLike): void;
  /** Exports everything buffered now. */
  forceFlush(): Promise<void>;
  /**
   * Flushes spans, metrics and logs, stops the exporters and releases the global OpenTelemetry
   * registrations, so `initTelemetry()` can run again. Safe to call more than once.
   */
  shutdown(): Promise<void>;
}

/** The SDK packages `initTelemetry()` builds with, from the application's sdk-node (see sdk.ts). */
interface Sdk {
  readonly core: typeof import('@opentelemetry/core');
  readonly resources: typeof import('@opentelemetry/resources');
  readonly trace: typeof SdkTrace;
  readonly metrics: typeof SdkMetrics;
  readonly logs: typeof SdkLogs;
}

function loadSdk(): Sdk {
  return {
    core: sdkPackage('@opentelemetry/core'),
    resources: sdkPackage('@opentelemetry/resources'),
    trace: sdkPackage('@opentelemetry/sdk-trace'),
    metrics: sdkPackage('@opentelemetry/sdk-metrics'),
    logs: sdkPackage('@opentelemetry/sdk-logs'),
  };
}

let active: Telemetry | undefined;

/** The telemetry started by `initTelemetry()` and not yet shut down, if any. */
export function activeTelemetry(): Telemetry | undefined {
  return active;
}

/**
 * Starts the application's OpenTelemetry Node SDK (`@opentelemetry/sdk-node`, 2.x or 3.x) for
 * this process: resource, sampler, exporters, the propagators and, optionally,
 * instrumentation-http. Call it once, before creating servers.
 * @throws TypeError naming the option (or `OTEL_*` variable) when a setting is invalid; Error
 * when `@opentelemetry/sdk-node` is not installed.
 * @example
 * const telemetry = initTelemetry({ serviceName: 'gateway', traces: { exporter: 'otlp', endpoint: 'http://127.0.0.1:4318' } });
 * process.on('SIGTERM', () => telemetry.shutdown());
 */
export function initTelemetry(options: TelemetryOptions = {}): Telemetry {
  const resolved = resolveTelemetryOptions(options);
  if (active !== undefined) throw new Error('initTelemetry: telemetry is already started in this process; call shutdown() first');
  const sdk = loadSdk();
  if (resolved.traces.legacyJaegerEndpoint !== undefined) warnLegacyJaeger('traces.endpoint', resolved.traces.legacyJaegerEndpoint, resolved.traces.url);
  const { NodeSDK } = sdkPackage<typeof import('@opentelemetry/sdk-node')>('@opentelemetry/sdk-node');

  // OTEL_SDK_DISABLED: NodeSDK then registers nothing, so the kit starts nothing of its own
  // either (no Prometheus port); the handle still works.
  const disabled = sdk.core.getBooleanFromEnv('OTEL_SDK_DISABLED');
  const resource = buildResource(sdk, resolved);
  const spanMemory = resolved.traces.exporters.includes('memory') ? new sdk.trace.InMemorySpanExporter() : undefined;
  const spanProcessor = new AddableSpanProcessor(resolved.traces.exporters.flatMap((name) => spanProcessorsFor(sdk, name, resolved, spanMemory)));

  const readers: IMetricReader[] = [];
  const pending: Promise<void>[] = [];
  let onDemandReader: MetricReader | undefined;
  for (const name of resolved.metrics.exporters) {
    if (name === 'memory') readers.push((onDemandReader = onDemandMetricReader(sdk)));
    else if (name === 'prometheus') {
      const prometheus = prometheusEndpoint(resolved.metrics.host, resolved.metrics.port);
      readers.push(prometheus.reader as IMetricReader);
      if (!disabled) pending.push(prometheus.start());
    } else if (name === 'otlp' || name === 'console') {
      const exporter =
        name === 'console'
          ? new sdk.metrics.ConsoleMetricExporter()
          : reportingFailures(
              new (otlpExporterClass<typeof import('@opentelemetry/exporter-metrics-otlp-proto')>('metrics', resolved.metrics.protocol).OTLPMetricExporter)(
                otlpConfig(resolved.metrics.url, resolved.metrics.headers),
              ),
              'metrics',
              resolved.metrics.url,
            );
      const { intervalMillis, timeoutMillis } = resolved.metrics;
      readers.push(new sdk.metrics.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: intervalMillis, exportTimeoutMillis: timeoutMillis }));
    }
  }

  const logMemory = resolved.logs.exporters.includes('memory') ? new sdk.logs.InMemoryLogRecordExporter() : undefined;
  const logProcessors: LogRecordProcessor[] = resolved.logs.exporters.flatMap((name): LogRecordProcessor[] => {
    if (name === 'memory') return [new sdk.logs.SimpleLogRecordProcessor({ exporter: logMemory! })];
    if (name === 'console') return [new sdk.logs.SimpleLogRecordProcessor({ exporter: new sdk.logs.ConsoleLogRecordExporter() })];
    if (name === 'otlp') {
      const { OTLPLogExporter } = otlpExporterClass<typeof import('@opentelemetry/exporter-logs-otlp-proto')>('logs', resolved.logs.protocol);
      const exporter = reportingFailures(new OTLPLogExporter(otlpConfig(resolved.logs.url, resolved.logs.headers)), 'log records', resolved.logs.url);
      return [new sdk.logs.BatchLogRecordProcessor({ exporter, ...batchConfigFromEnv(sdk, 'OTEL_BLRP') })];
    }
    return [];
  });

  const views: ViewOptions[] = [];
  const instrumentations: import('@opentelemetry/instrumentation').Instrumentation[] = [];
  if (resolved.instrumentHttp) {
    const { HttpInstrumentation } = peerPackage<typeof import('@opentelemetry/instrumentation-http')>('@opentelemetry/instrumentation-http', 'initTelemetry({ instrumentHttp: true })');
    // The middleware's path rules apply to instrumentation-http's span, which opens first.
    instrumentations.push(new HttpInstrumentation({ ignoreIncomingRequestHook: ignoredByAnyMiddleware }));
    // The middleware records http.server.request.duration with http.route and tenant.id;
    // instrumentation-http's copy of the same metric would double-count every request.
    views.push({
      meterName: '@opentelemetry/instrumentation-http',
      instrumentName: METRIC_HTTP_SERVER_REQUEST_DURATION,
      aggregation: { type: sdk.metrics.AggregationType.DROP },
    });
  }

  setRandomTraceIdFlag(resolved.traces.randomTraceIdFlag);
  const node = new NodeSDK({
    resource,
    autoDetectResources: false,
    sampler: buildSampler(sdk, resolved.traces.sampler),
    spanProcessors: [spanProcessor],
    metricReaders: readers,
    views,
    logRecordProcessors: logProcessors,
    textMapPropagator: createPropagator(resolved.propagators),
    instrumentations,
  });
  node.start();
  const stopOutbound = resolved.outbound === false || disabled ? undefined : startOutbound(resolved.outbound);

  // Host and process attributes resolve asynchronously; span export waits for them, so a test
  // that awaits `ready` reads its spans as soon as they end.
  pending.push(resource.waitForAsyncAttributes?.() ?? Promise.resolve());
  const ready = Promise.all(pending).then(() => undefined);
  ready.catch(() => undefined); // reported by the Prometheus endpoint's start(); never an unhandled rejection

  let shutdownPromise: Promise<void> | undefined;
  const telemetry: Telemetry = {
    resource,
    ready,
    getFinishedSpans() {
      if (spanMemory === undefined) throw new Error('getFinishedSpans: start telemetry with traces.exporter "memory"');
      return spanMemory.getFinishedSpans();
    },
    reset() {
      spanMemory?.reset();
      logMemory?.reset();
    },
    async collectMetrics() {
      if (onDemandReader === undefined) throw new Error('collectMetrics: start telemetry with metrics.exporter "memory"');
      const { resourceMetrics, errors } = await onDemandReader.collect();
      if (errors.length > 0) diag.warn('collectMetrics: some metrics could not be collected', errors);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed: tsc rejects ResourceMetrics as CollectedMetrics without it
      return resourceMetrics as unknown as CollectedMetrics;
    },
    getFinishedLogs() {
      if (logMemory === undefined) throw new Error('getFinishedLogs: start telemetry with logs.exporter "memory"');
      return logMemory.getFinishedLogRecords() as unknown as FinishedLogRecord[];
    },
    addSpanExporter(exporter) {
      spanProcessor.add(new sdk.trace.BatchSpanProcessor({ exporter, ...batchConfigFromEnv(sdk) }));
    },
    async forceFlush() {
      await Promise.all([spanProcessor.forceFlush(), ...readers.map((r) => r.forceFlush())]);
      await (logsApi().logs.getLoggerProvider() as { forceFlush?: () => Promise<void> }).forceFlush?.();
    },
    shutdown() {
      stopOutbound?.();
      shutdownPromise ??= node
        .shutdown()
        .catch((err: unknown) => diag.error('telemetry shutdown failed', err))
        .finally(() => {
          // NodeSDK leaves instrumentations patched after shutdown; a later initTelemetry()
          // without instrumentHttp must not find http still instrumented.
          for (const instrumentation of instrumentations) instrumentation.disable();
          // Release the globals so a later initTelemetry() (a test, a reload) can register again.
          trace.disable();
          metrics.disable();
          propagation.disable();
          context.disable();
          logsApi().logs.disable();
          setRandomTraceIdFlag(false);
          if (active === telemetry) active = undefined;
        });
      return shutdownPromise;
    },
  };
  active = telemetry;
  return telemetry;
}

/** A reader that answers `collect()` on demand: the SDK's own pattern for pull-based metrics in tests. */
function onDemandMetricReader(sdk: Sdk): MetricReader {
  class OnDemandMetricReader extends sdk.metrics.MetricReader {
    protected override onForceFlush(): Promise<void> {
      return Promise.resolve();
    }
    protected override onShutdown(): Promise<void> {
      return Promise.resolve();
    }
  }
  return new OnDemandMetricReader();
}

/** The OTLP exporter package of a signal in the chosen encoding, from the app's SDK. */
function otlpExporterClass<T>(signal: 'traces' | 'metrics' | 'logs', protocol: ResolvedTelemetryOptions['traces']['protocol']): T {
  const name = signal === 'traces' ? 'trace' : signal;
  return sdkPackage<T>(`@opentelemetry/exporter-${name}-otlp-${protocol === 'http/json' ? 'http' : 'proto'}`);
}

function otlpConfig(url: string, headers: Record<string, string> | undefined): { url: string; headers?: Record<string, string> } {
  return headers === undefined ? { url } : { url, headers };
}

/** The batch processors' queue and timing settings. */
interface BatchConfig {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/**
 * The OTEL_BSP_* settings (spans) or OTEL_BLRP_* (log records). The SDK's batch processors do not
 * read them themselves (NodeSDK does, for the processors it builds; the kit builds its own), so
 * they are read here. Unset or unreadable ones (the SDK warns) keep the SDK's defaults.
 */
function batchConfigFromEnv(sdk: Sdk, prefix: 'OTEL_BSP' | 'OTEL_BLRP' = 'OTEL_BSP'): BatchConfig {
  const config: BatchConfig = {};
  const { getNumberFromEnv } = sdk.core;
  const maxQueueSize = getNumberFromEnv(`${prefix}_MAX_QUEUE_SIZE`);
  const maxExportBatchSize = getNumberFromEnv(`${prefix}_MAX_EXPORT_BATCH_SIZE`);
  const scheduledDelayMillis = getNumberFromEnv(`${prefix}_SCHEDULE_DELAY`);
  const exportTimeoutMillis = getNumberFromEnv(`${prefix}_EXPORT_TIMEOUT`);
  if (maxQueueSize !== undefined) config.maxQueueSize = maxQueueSize;
  if (maxExportBatchSize !== undefined) config.maxExportBatchSize = maxExportBatchSize;
  if (scheduledDelayMillis !== undefined) config.scheduledDelayMillis = scheduledDelayMillis;
  if (exportTimeoutMillis !== undefined) config.exportTimeoutMillis = exportTimeoutMillis;
  return config;
}

function spanProcessorsFor(sdk: Sdk, name: string, resolved: ResolvedTelemetryOptions, memory: SdkTrace.InMemorySpanExporter | undefined): SpanProcessor[] {
  const { url, zipkinUrl, protocol, headers } = resolved.traces;
  switch (name) {
    case 'memory':
      // Simple, not batched: a test reads a span as soon as it ends.
      return [new sdk.trace.SimpleSpanProcessor({ exporter: memory! })];
    case 'console':
      return [new sdk.trace.SimpleSpanProcessor({ exporter: new sdk.trace.ConsoleSpanExporter() })];
    case 'zipkin': {
      const { ZipkinExporter } = sdkPackage<typeof import('@opentelemetry/exporter-zipkin')>('@opentelemetry/exporter-zipkin');
      const exporter = reportingFailures(new ZipkinExporter({ url: zipkinUrl }), 'spans', zipkinUrl);
      return [new sdk.trace.BatchSpanProcessor({ exporter, ...batchConfigFromEnv(sdk) })];
    }
    case 'otlp':
    case 'jaeger': {
      const { OTLPTraceExporter } = otlpExporterClass<typeof import('@opentelemetry/exporter-trace-otlp-proto')>('traces', protocol);
      // Batched: export runs off the request path, and the queue is bounded (2048 spans by
      // default, OTEL_BSP_MAX_QUEUE_SIZE), so a dead collector costs dropped spans, not memory.
      const exporter = reportingFailures(new OTLPTraceExporter(otlpConfig(url, headers)), 'spans', url);
      return [new sdk.trace.BatchSpanProcessor({ exporter, ...batchConfigFromEnv(sdk) })];
    }
    default:
      return [];
  }
}

function buildSampler(sdk: Sdk, choice: SamplerChoice): Sampler {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler } = sdk.trace;
  switch (choice.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratioSampler(sdk, choice.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratioSampler(sdk, choice.ratio) });
  }
}

// The ends of the range are the constant samplers, which decide the same and skip the ratio
// sampler's per-trace-id work (bench/hot-path.md).
function ratioSampler(sdk: Sdk, ratio: number): Sampler {
  if (ratio >= 1) return new sdk.trace.AlwaysOnSampler();
  if (ratio <= 0) return new sdk.trace.AlwaysOffSampler();
  return new sdk.trace.TraceIdRatioBasedSampler(ratio);
}

/**
 * defaults < detected (a random `service.instance.id`, host, process, then OTEL_RESOURCE_ATTRIBUTES
 * and OTEL_SERVICE_NAME) < explicit options. `service.instance.id` (a UUID per process, as semconv
 * recommends) keeps two replicas' cumulative series apart once a collector merges them.
 */
function buildResource(sdk: Sdk, resolved: ResolvedTelemetryOptions): TelemetryResource & ReturnType<typeof sdk.resources.defaultResource> {
  const { defaultResource, detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes, serviceInstanceIdDetector } = sdk.resources;
  const explicit = { ...resolved.resourceAttributes };
  if (resolved.serviceName !== undefined) explicit[ATTR_SERVICE_NAME] = resolved.serviceName;
  return defaultResource()
    .merge(detectResources({ detectors: [serviceInstanceIdDetector, hostDetector, processDetector, envDetector] }))
    .merge(resourceFromAttributes(explicit));
}

/** Says once, visibly, that a legacy Jaeger collector endpoint was replaced by Jaeger's OTLP receiver. */
export function warnLegacyJaeger(option: string, given: string, otlpUrl: string): void {
  process.emitWarning(
    `@motadata/otel: ${option} ${given} is Jaeger's legacy Thrift collector, which cannot read OTLP; sending OTLP to ${otlpUrl} (Jaeger's OTLP receiver) instead.`,
    WARNING_TYPE,
  );
}
