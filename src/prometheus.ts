/**
 * The Prometheus endpoint of `initTelemetry({ metrics: { exporter: 'prometheus' } })`, with the
 * names the OpenTelemetry Collector gives the same metrics (prometheus-names.ts), so one
 * dashboard serves both paths. The SDK's exporter has no option for them: it writes
 * `http_server_request_duration` with `# UNIT ... s`, which the compatibility spec does not
 * allow. So the app's `PrometheusExporter` stays the metric reader (its own server never
 * starts); this server collects from it, renames a copy of the collection and writes it with
 * the SDK's `PrometheusSerializer`. Unit and attribute names the serializer still changes (`:`,
 * `__`) are the rare cases where the two paths can differ. See docs/prometheus.md.
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { prometheusLabelName, prometheusName } from './prometheus-names';
import type { PrometheusMetricKind } from './prometheus-names';
import { sdkPackage } from './sdk';
import { WARNING_TYPE } from './export-failures';

const log = diag.createComponentLogger({ namespace: '@motadata/otel/prometheus' });

/** The metric reader to give the SDK and the endpoint that serves it. */
export interface PrometheusEndpoint {
  /** The SDK's `PrometheusExporter` (typed loosely: the kit's declarations name no SDK package); its shutdown also closes the endpoint. */
  readonly reader: object;
  /** Listens on the host and port; rejects with an error naming `metrics.port` (also a process warning) when it cannot. */
  start(): Promise<void>;
}

/** A Prometheus endpoint on `host:port` at the SDK exporter's path (`/metrics`), loaded from the app's SDK. */
export function prometheusEndpoint(host: string, port: number): PrometheusEndpoint {
  const { PrometheusExporter, PrometheusSerializer } = sdkPackage<typeof import('@opentelemetry/exporter-prometheus')>('@opentelemetry/exporter-prometheus');
  const { DataPointType } = sdkPackage<typeof import('@opentelemetry/sdk-metrics')>('@opentelemetry/sdk-metrics');
  const path = PrometheusExporter.DEFAULT_OPTIONS.endpoint;
  // The exporter's own defaults: no prefix, no timestamps, target_info and otel_scope_* labels.
  const serializer = new PrometheusSerializer();
  const kindOf = (metric: MetricData): PrometheusMetricKind => {
    if (metric.dataPointType === DataPointType.SUM) return metric.isMonotonic ? 'counter' : 'updowncounter';
    return metric.dataPointType === DataPointType.GAUGE ? 'gauge' : 'histogram';
  };

  // Unref'd, as the SDK's exporter's server is: the endpoint never holds the process open.
  const server = createServer((req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      res.statusCode = 400;
      res.end('Bad Request');
      return;
    }
    if (pathname === path) void scrape(res);
    else {
      res.statusCode = 404;
      res.end();
    }
  }).unref();

  class KitPrometheusReader extends PrometheusExporter {
    override async onShutdown(): Promise<void> {
      await Promise.all([super.onShutdown(), close()]);
    }
  }
  const reader = new KitPrometheusReader({ host, port, preventServerStart: true });

  // As the SDK's exporter answers a scrape: 200, text/plain, the failure as a comment.
  async function scrape(res: ServerResponse): Promise<void> {
    res.statusCode = 200;
    res.setHeader('content-type', 'text/plain');
    try {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) log.error('metrics collection errors', ...errors);
      res.end(serializer.serialize(withPrometheusNames(resourceMetrics, kindOf)));
    } catch (err) {
      res.end(`# failed to export metrics: ${String(err)}`);
    }
  }

  function close(): Promise<void> {
    if (!server.listening) return Promise.resolve();
    server.closeAllConnections(); // a scraper's keep-alive connection would hold close() open
    return new Promise((resolve) => server.close(() => resolve()));
  }

  function start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject).on('error', (err) => log.error('Prometheus endpoint error', err));
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? 'is already in use' : `could not be opened (${err.code ?? err.message})`;
      const error = new Error(`initTelemetry: metrics.port ${port} on ${host} ${reason}; the Prometheus endpoint is not served. Choose another metrics.port.`, { cause: err });
      process.emitWarning(error.message, WARNING_TYPE);
      throw error;
    });
  }

  return { reader, start };
}

/** The part of the SDK's `ResourceMetrics` a renaming touches. */
interface Collection {
  readonly scopeMetrics: readonly { readonly metrics: readonly { readonly descriptor: { readonly name: string; readonly unit: string }; readonly dataPoints: readonly object[] }[] }[];
}
type MetricOf<T extends Collection> = T['scopeMetrics'][number]['metrics'][number];

/** A copy of a collection with Prometheus metric names, units and label names; the SDK's objects are not touched. */
export function withPrometheusNames<T extends Collection>(collected: T, kindOf: (metric: MetricOf<T>) => PrometheusMetricKind): T {
  const labelOf = new Map<string, string | undefined>(); // per scrape: a few keys, many points
  const label = (key: string): string | undefined => {
    if (!labelOf.has(key)) labelOf.set(key, prometheusLabelName(key));
    return labelOf.get(key);
  };
  return {
    ...collected,
    scopeMetrics: collected.scopeMetrics.map((scopeMetrics) => ({
      ...scopeMetrics,
      metrics: scopeMetrics.metrics.map((metric) => {
        const { name, unit } = prometheusName(metric.descriptor.name, metric.descriptor.unit, kindOf(metric));
        const dataPoints = (metric.dataPoints as { attributes: Attributes }[]).map((point) => ({ ...point, attributes: relabel(point.attributes, label) }));
        return { ...metric, descriptor: { ...metric.descriptor, name, unit }, dataPoints };
      }),
    })),
  };
}

/**
 * Attributes under their label names, in their order. Keys that meet on one label have their
 * values joined by `;` in the order of the keys, as the spec's "Metric Attributes" requires; a
 * key the collector refuses (only underscores once sanitized) is left out.
 */
function relabel(attributes: Attributes, label: (key: string) => string | undefined): Attributes {
  const keys = Object.keys(attributes);
  if (keys.every((key) => label(key) === key)) return attributes;
  const byLabel = new Map<string, string[]>();
  for (const key of keys) {
    const name = label(key);
    if (name !== undefined) byLabel.set(name, [...(byLabel.get(name) ?? []), key]);
  }
  const relabelled: Attributes = {};
  for (const [name, sources] of byLabel) {
    relabelled[name] = sources.length === 1 ? attributes[sources[0]] : sources.sort().map((key) => valueText(attributes[key])).join(';');
  }
  return relabelled;
}

/** An attribute value as the SDK's serializer writes it: strings as they are, others as JSON. */
function valueText(value: AttributeValue | undefined): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}
