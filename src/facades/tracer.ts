import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { injectTraceHeaders } from '../fetch';
import { sdkPackage } from '../sdk';
import type { SpanExporterLike } from '../sdk-types';
import { reportingFailures } from '../export-failures';
import { activeTelemetry, warnLegacyJaeger } from '../telemetry';
import { jaegerOtlpUrl } from '../telemetry-options';
import { KIT_NAME, KIT_VERSION } from '../version';
import { runInSpan } from './run';
import { OTELSpan } from './span';

/** A span kind by name, or the API's enum. */
export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface StartTraceOptions {
  attributes?: Attributes;
  /** @default 'internal' */
  kind?: SpanKindName | SpanKind;
  links?: Link[];
}

export interface StartSpanOptions {
  /** The parent: a span handle, an OTel span or a context. Default: the active span. */
  parent?: OTELSpan | Span | Context;
  attributes?: Attributes;
  kind?: SpanKindName | SpanKind;
}

/** A serialisable trace context for queues, job payloads and child processes. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
  baggage?: string;
}

/** Exporter kinds `configureExporter()` adds at run time. */
export interface ExporterConfig {
  /**
   * `jaeger` is OTLP to Jaeger's own OTLP receiver: `http://<jaeger-host>:4318/v1/traces`
   * (Jaeger ingests OTLP natively since 1.35; the Jaeger exporter is deprecated).
   */
  type: 'otlp' | 'jaeger' | 'zipkin' | 'console';
  /** Full URL: `http://collector:4318/v1/traces`, `http://zipkin:9411/api/v2/spans`. Not used by console. */
  endpoint?: string;
  headers?: Record<string, string>;
}

const KINDS: Record<SpanKindName, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

function spanKind(kind: SpanKindName | SpanKind | undefined): SpanKind {
  if (kind === undefined) return SpanKind.INTERNAL;
  if (typeof kind === 'number' && kind in SpanKind) return kind;
  const named = KINDS[kind as SpanKindName];
  if (named === undefined) throw new TypeError(`span kind must be one of ${Object.keys(KINDS).join(', ')}, got ${JSON.stringify(kind)}`);
  return named;
}

function spanOptions(kind: SpanKind, attributes: Attributes | undefined, links: Link[] | undefined): SpanOptions {
  const options: SpanOptions = { kind };
  if (attributes !== undefined) options.attributes = attributes;
  if (links !== undefined) options.links = links;
  return options;
}

/**
 * A tracer with the facades' span vocabulary over the OpenTelemetry API. Its spans are real
 * OTel spans in the active context, so they nest with the middleware's SERVER span and any other instrumentation.
 * @example
 * const tracer = new OTELTracer({ serviceName: 'rag' });
 * const answer = await tracer.startTrace('rag.query', async (span) => {
 *   span.setAttribute('rag.query.length', query.length);
 *   return search(query);
 * });
 */
export class OTELTracer {
  readonly serviceName: string | undefined;
  readonly environment: string | undefined;

  /**
   * `serviceName` names the instrumentation scope of this tracer's spans (the service itself is
   * named once per process by `initTelemetry({ serviceName })`, on the resource); `environment`
   * is kept for reference. Neither is stamped on every span.
   */
  constructor(options: { serviceName?: string; environment?: string } = {}) {
    this.serviceName = options.serviceName;
    this.environment = options.environment;
  }

  private get tracer(): Tracer {
    // Looked up per call: a tracer taken before initTelemetry() (or before a restart) would
    // keep the old provider.
    return trace.getTracer(this.serviceName ?? KIT_NAME, KIT_VERSION);
  }

  /**
   * Runs `fn(span)` in a new span and ends it when `fn` returns or its promise settles. Outside
   * any span this starts a new trace; inside one (an HTTP request handled by the middleware, or
   * another `startTrace`) the span nests under the active span, so one user request stays one
   * trace. A throw or rejection records the exception, sets ERROR and is rethrown.
   */
  startTrace<T>(name: string, fn: (span: OTELSpan) => T, options: StartTraceOptions = {}): T {
    return runInSpan(this.tracer, name, spanOptions(spanKind(options.kind), options.attributes, options.links), context.active(), fn);
  }

  /** Like `startTrace`, as a child of `options.parent` (a span handle, span or context), else of the active span. */
  startSpan<T>(name: string, fn: (span: OTELSpan) => T, options: StartSpanOptions = {}): T {
    const parent = options.parent;
    const parentContext =
      parent === undefined
        ? context.active()
        : parent instanceof OTELSpan
          ? trace.setSpan(context.active(), parent.span)
          : isContext(parent)
            ? parent
            : trace.setSpan(context.active(), parent);
    return runInSpan(this.tracer, name, spanOptions(spanKind(options.kind), options.attributes, undefined), parentContext, fn);
  }

  /**
   * The active trace context as a plain object (`traceparent`, `tracestate`, `baggage`), to put
   * into a queue message or a job payload; `withContext()` continues the trace on the other side.
   * Outside a trace `traceparent` is an empty string.
   */
  getContext(): TraceCarrier {
    const headers = injectTraceHeaders<Record<string, string>>({});
    const carrier: TraceCarrier = { traceparent: headers['traceparent'] ?? '' };
    if (headers['tracestate'] !== undefined) carrier.tracestate = headers['tracestate'];
    if (headers['baggage'] !== undefined) carrier.baggage = headers['baggage'];
    return carrier;
  }

  /**
   * Runs `fn` in the trace context of `carrier` (from `getContext()`), so spans it starts join
   * that trace. A malformed carrier is ignored and `fn` starts a fresh trace.
   */
  withContext<T>(carrier: Partial<TraceCarrier> | null | undefined, fn: () => T): T {
    const headers: Record<string, string> = {};
    if (carrier !== null && typeof carrier === 'object') {
      for (const key of ['traceparent', 'tracestate', 'baggage'] as const) {
        const value = carrier[key];
        if (typeof value === 'string') headers[key] = value;
      }
    }
    return context.with(propagation.extract(ROOT_CONTEXT, headers), fn);
  }

  /**
   * Sends spans to one more exporter from now on, next to those `initTelemetry()` set up.
   * @throws TypeError for an unknown type or a malformed endpoint; Error before `initTelemetry()`.
   * @example tracer.configureExporter({ type: 'jaeger', endpoint: 'http://jaeger:4318/v1/traces' });
   */
  configureExporter(config: ExporterConfig): void {
    const telemetry = activeTelemetry();
    if (telemetry === undefined) throw new Error('configureExporter: call initTelemetry() first');
    telemetry.addSpanExporter(createExporter(config));
  }
}

function isContext(value: unknown): value is Context {
  return typeof (value as Context).getValue === 'function' && typeof (value as Context).setValue === 'function';
}

function createExporter(config: ExporterConfig): SpanExporterLike {
  const types = ['otlp', 'jaeger', 'zipkin', 'console'];
  if (config === null || typeof config !== 'object' || !types.includes(config.type)) {
    throw new TypeError(`configureExporter: "type" must be one of ${types.join(', ')}, got ${JSON.stringify(config?.type)}`);
  }
  if (config.type === 'console') {
    const { ConsoleSpanExporter } = sdkPackage<typeof import('@opentelemetry/sdk-trace')>('@opentelemetry/sdk-trace');
    return new ConsoleSpanExporter();
  }
  const endpoint = config.endpoint;
  let url: URL | undefined;
  try {
    url = typeof endpoint === 'string' ? new URL(endpoint) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(`configureExporter: "endpoint" must be an http(s) URL for ${config.type}, got ${JSON.stringify(endpoint)}`);
  }
  let href = url.href;
  const jaegerOtlp = config.type === 'zipkin' ? undefined : jaegerOtlpUrl(href);
  if (jaegerOtlp !== undefined) {
    warnLegacyJaeger('configureExporter() endpoint', href, jaegerOtlp);
    href = jaegerOtlp;
  }
  const exporterConfig = config.headers ? { url: href, headers: config.headers } : { url: href };
  if (config.type === 'zipkin') {
    const { ZipkinExporter } = sdkPackage<typeof import('@opentelemetry/exporter-zipkin')>('@opentelemetry/exporter-zipkin');
    return reportingFailures(new ZipkinExporter(exporterConfig), 'spans', href);
  }
  const { OTLPTraceExporter } = sdkPackage<typeof import('@opentelemetry/exporter-trace-otlp-proto')>('@opentelemetry/exporter-trace-otlp-proto');
  return reportingFailures(new OTLPTraceExporter(exporterConfig), 'spans', href);
}
