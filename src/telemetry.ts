import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { getBooleanFromEnv, getNumberFromEnv } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { defaultResource, detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes, serviceInstanceIdDetector } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  ConsoleLogRecordExporter,
  InMemoryLogRecordExporter,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import type { LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  AggregationType,
  ConsoleMetricExporter,
  MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { IMetricReader, MetricProducer, ResourceMetrics, ViewOptions } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { BufferConfig, ReadableSpan, Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createPropagator } from './propagation';
import { resolveTelemetryOptions } from './telemetry-options';
import type { ResolvedTelemetryOptions, SamplerChoice, TelemetryOptions } from './telemetry-options';
import { kitMetricProducer } from './kit-metrics';
import type { ReaderMetricProducer } from './aggregation';
import { ignoredByAnyMiddleware } from './lifecycle';
import { AddableSpanProcessor } from './span-processor';

/** The handle `initTelemetry()` returns. */
export interface Telemetry {
  /** The resource every span, metric and log record carries. */
  readonly resource: Resource;
  /**
   * Settles when every exporter is ready to serve. Rejects with a clear error when the
   * Prometheus port is taken; the process keeps running either way (and a warning is printed).
   */
  readonly ready: Promise<void>;
  /** Spans ended so far, with `traces.exporter: 'memory'`. */
  getFinishedSpans(): ReadableSpan[];
  /** Forgets the spans and log records kept in memory (between tests). */
  reset(): void;
  /** Collects the current metrics, with `metrics.exporter: 'memory'`. */
  collectMetrics(): Promise<ResourceMetrics>;
  /** Log records emitted so far, with `logs.exporter: 'memory'`. */
  getFinishedLogs(): ReadableLogRecord[];
  /** Sends spans to one more exporter from now on (batched). Used by `OTELTracer.configureExporter()`. */
  addSpanExporter(exporter: SpanExporter): void;
  /** Exports everything buffered now. */
  forceFlush(): Promise<void>;
  /**
   * Flushes spans, metrics and logs, stops the exporters and releases the global OpenTelemetry
   * registrations, so `initTelemetry()` can run again. Safe to call more than once.
   */
  shutdown(): Promise<void>;
}

/** Answers `collect()` on demand: the SDK's own pattern for pull-based metrics in tests. */
class OnDemandMetricReader extends MetricReader {
  constructor(metricProducers: MetricProducer[]) {
    super({ metricProducers });
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let active: Telemetry | undefined;

/** The telemetry started by `initTelemetry()` and not yet shut down, if any. */
export function activeTelemetry(): Telemetry | undefined {
  return active;
}

/**
 * Starts the OpenTelemetry Node SDK for this process: resource, sampler, exporters, the W3C
 * propagators and, optionally, instrumentation-http. Call it once, before creating servers.
 * @throws TypeError naming the option (or `OTEL_*` variable) when a setting is invalid.
 * @example
 * const telemetry = initTelemetry({ serviceName: 'gateway', traces: { exporter: 'otlp', endpoint: 'http://127.0.0.1:4318' } });
 * process.on('SIGTERM', () => telemetry.shutdown());
 */
export function initTelemetry(options: TelemetryOptions = {}): Telemetry {
  const resolved = resolveTelemetryOptions(options);
  if (active !== undefined) throw new Error('initTelemetry: telemetry is already started in this process; call shutdown() first');

  // OTEL_SDK_DISABLED: NodeSDK then registers nothing, so the kit starts nothing of its own
  // either (no Prometheus port, no aggregation nobody reads); the handle still works.
  const disabled = getBooleanFromEnv('OTEL_SDK_DISABLED');
  const resource = buildResource(resolved);
  const spanMemory = resolved.traces.exporters.includes('memory') ? new InMemorySpanExporter() : undefined;
  const spanProcessor = new AddableSpanProcessor(resolved.traces.exporters.flatMap((name) => spanProcessorsFor(name, resolved, spanMemory)));

  // Request durations and LLM cost are aggregated by the kit (see aggregation.ts) and reach
  // every reader through a producer of their own, which follows that reader's temporality.
  const readers: IMetricReader[] = [];
  const pending: Promise<void>[] = [];
  let onDemandReader: OnDemandMetricReader | undefined;
  const readerProducers: ReaderMetricProducer[] = [];
  for (const name of resolved.metrics.exporters) {
    const producer = kitMetricProducer.forReader();
    let reader: MetricReader | undefined;
    if (name === 'memory') reader = onDemandReader = new OnDemandMetricReader([producer]);
    else if (name === 'prometheus') {
      const exporter = new PrometheusExporter({ host: resolved.metrics.host, port: resolved.metrics.port, preventServerStart: true, metricProducers: [producer] });
      reader = exporter;
      if (!disabled) pending.push(startPrometheus(exporter, resolved.metrics.host, resolved.metrics.port));
    } else if (name === 'otlp' || name === 'console') {
      const exporter =
        name === 'console'
          ? new ConsoleMetricExporter()
          : resolved.metrics.protocol === 'http/json'
            ? new OTLPMetricExporterJson(otlpConfig(resolved.metrics.url, resolved.metrics.headers))
            : new OTLPMetricExporterProto(otlpConfig(resolved.metrics.url, resolved.metrics.headers));
      const { intervalMillis, timeoutMillis } = resolved.metrics;
      reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: intervalMillis, exportTimeoutMillis: timeoutMillis, metricProducers: [producer] });
    }
    if (reader === undefined) continue;
    producer.reader = reader;
    readers.push(reader);
    readerProducers.push(producer);
  }

  const logMemory = resolved.logs.exporters.includes('memory') ? new InMemoryLogRecordExporter() : undefined;
  const logProcessors: LogRecordProcessor[] = resolved.logs.exporters.flatMap((name): LogRecordProcessor[] => {
    if (name === 'memory') return [new SimpleLogRecordProcessor({ exporter: logMemory! })];
    if (name === 'console') return [new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() })];
    if (name === 'otlp') {
      const config = otlpConfig(resolved.logs.url, resolved.logs.headers);
      const exporter = resolved.logs.protocol === 'http/json' ? new OTLPLogExporterJson(config) : new OTLPLogExporterProto(config);
      return [new BatchLogRecordProcessor({ exporter, ...batchConfigFromEnv('OTEL_BLRP') })];
    }
    return [];
  });

  const views: ViewOptions[] = [];
  if (resolved.instrumentHttp) {
    // The middleware records http.server.request.duration with http.route and tenant.id;
    // instrumentation-http's copy of the same metric would double-count every request.
    views.push({
      meterName: '@opentelemetry/instrumentation-http',
      instrumentName: 'http.server.request.duration',
      aggregation: { type: AggregationType.DROP },
    });
  }

  // The middleware's path rules apply to instrumentation-http's span, which opens first.
  const instrumentations = resolved.instrumentHttp ? [new HttpInstrumentation({ ignoreIncomingRequestHook: ignoredByAnyMiddleware })] : [];
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    sampler: buildSampler(resolved.traces.sampler),
    spanProcessors: [spanProcessor],
    metricReaders: readers,
    views,
    logRecordProcessors: logProcessors,
    textMapPropagator: createPropagator(resolved.propagators),
    instrumentations,
  });
  sdk.start();
  kitMetricProducer.resource = resource;
  if (readers.length > 0 && !disabled) kitMetricProducer.enable(readerProducers);
  else kitMetricProducer.disable();

  // Host and process attributes resolve asynchronously; span export waits for them, so a test
  // that awaits `ready` reads its spans as soon as they end.
  pending.push(resource.waitForAsyncAttributes?.() ?? Promise.resolve());
  const ready = Promise.all(pending).then(() => undefined);
  ready.catch(() => undefined); // reported by startPrometheus; never an unhandled rejection

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
      return resourceMetrics;
    },
    getFinishedLogs() {
      if (logMemory === undefined) throw new Error('getFinishedLogs: start telemetry with logs.exporter "memory"');
      return logMemory.getFinishedLogRecords();
    },
    addSpanExporter(exporter) {
      spanProcessor.add(new BatchSpanProcessor(exporter, batchConfigFromEnv()));
    },
    async forceFlush() {
      await Promise.all([spanProcessor.forceFlush(), ...readers.map((r) => r.forceFlush())]);
      await (logs.getLoggerProvider() as { forceFlush?: () => Promise<void> }).forceFlush?.();
    },
    shutdown() {
      shutdownPromise ??= sdk
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
          logs.disable();
          if (active === telemetry) {
            active = undefined;
            kitMetricProducer.disable();
          }
        });
      return shutdownPromise;
    },
  };
  active = telemetry;
  return telemetry;
}

function otlpConfig(url: string, headers: Record<string, string> | undefined): { url: string; headers?: Record<string, string> } {
  return headers === undefined ? { url } : { url, headers };
}

/**
 * The OTEL_BSP_* settings (spans) or OTEL_BLRP_* (log records). The SDK 2.x batch processors no
 * longer read them themselves (NodeSDK does, for the processors it builds; the kit builds its
 * own), so they are read here. Unset or unreadable ones (the SDK warns) keep the SDK's defaults.
 */
export function batchConfigFromEnv(prefix: 'OTEL_BSP' | 'OTEL_BLRP' = 'OTEL_BSP'): BufferConfig {
  const config: BufferConfig = {};
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

function spanProcessorsFor(name: string, resolved: ResolvedTelemetryOptions, memory: InMemorySpanExporter | undefined): SpanProcessor[] {
  const { url, zipkinUrl, protocol, headers } = resolved.traces;
  switch (name) {
    case 'memory':
      // Simple, not batched: a test reads a span as soon as it ends.
      return [new SimpleSpanProcessor(memory!)];
    case 'console':
      return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
    case 'zipkin':
      return [new BatchSpanProcessor(new ZipkinExporter({ url: zipkinUrl }), batchConfigFromEnv())];
    case 'otlp':
    case 'jaeger': {
      const config = otlpConfig(url, headers);
      // Batched: export runs off the request path, and the queue is bounded (2048 spans by
      // default, OTEL_BSP_MAX_QUEUE_SIZE), so a dead collector costs dropped spans, not memory.
      return [new BatchSpanProcessor(protocol === 'http/json' ? new OTLPTraceExporterJson(config) : new OTLPTraceExporterProto(config), batchConfigFromEnv())];
    }
    default:
      return [];
  }
}

function buildSampler(choice: SamplerChoice): Sampler {
  switch (choice.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratioSampler(choice.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratioSampler(choice.ratio) });
  }
}

// The ends of the range are the constant samplers, which decide the same: the SDK's ratio
// sampler would still match every new trace id against a regexp and fold it into 32 bits
// (~2k instructions per request under callgrind, 1% of a sampled Koa request).
function ratioSampler(ratio: number): Sampler {
  if (ratio >= 1) return new AlwaysOnSampler();
  if (ratio <= 0) return new AlwaysOffSampler();
  return new TraceIdRatioBasedSampler(ratio);
}

/**
 * defaults < detected (a random `service.instance.id`, host, process, then OTEL_RESOURCE_ATTRIBUTES
 * and OTEL_SERVICE_NAME) < explicit options. `service.instance.id` (a UUID per process, as semconv
 * recommends) keeps two replicas' cumulative series apart once a collector merges them.
 */
function buildResource(resolved: ResolvedTelemetryOptions): Resource {
  const explicit = { ...resolved.resourceAttributes };
  if (resolved.serviceName !== undefined) explicit[ATTR_SERVICE_NAME] = resolved.serviceName;
  return defaultResource()
    .merge(detectResources({ detectors: [serviceInstanceIdDetector, hostDetector, processDetector, envDetector] }))
    .merge(resourceFromAttributes(explicit));
}

function startPrometheus(exporter: PrometheusExporter, host: string, port: number): Promise<void> {
  return exporter.startServer().catch((err: NodeJS.ErrnoException) => {
    const reason = err.code === 'EADDRINUSE' ? 'is already in use' : `could not be opened (${err.code ?? err.message})`;
    const error = new Error(`initTelemetry: metrics.port ${port} on ${host} ${reason}; the Prometheus endpoint is not served. Choose another metrics.port.`, { cause: err });
    process.emitWarning(error.message, 'MotadataOtelWarning');
    throw error;
  });
}
