'use strict';
// examples/observability cannot run here (no Docker), so this checks what can be checked without
// it: every file parses, and the pieces are wired to each other (pipelines reference defined
// components, hosts are compose services, ports line up, mounted files exist).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { DEFAULT_OTLP_ENDPOINT } = require('../../examples/agent-gateway-rag/lib/service');

const DIR = path.join(__dirname, '..', '..', 'examples', 'observability');

function parse(file) {
  const text = fs.readFileSync(path.join(DIR, file), 'utf8');
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true });
  assert.equal(docs.length, 1, `${file} holds one YAML document`);
  assert.deepEqual(docs[0].errors.map(String), [], `${file} parses`);
  assert.deepEqual(docs[0].warnings.map(String), [], `${file} parses without warnings`);
  return docs[0].toJS();
}

/** "host:port" (or a URL) as { host, port }. */
function hostPort(endpoint) {
  const url = new URL(endpoint.includes('://') ? endpoint : `tcp://${endpoint}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** A compose service's published ports as { hostIp, host, container }. */
function published(service) {
  return (service.ports ?? []).map((p) => {
    const parts = String(p).split(':');
    assert.equal(parts.length, 3, `port "${p}" names the host address`);
    return { hostIp: parts[0], host: Number(parts[1]), container: Number(parts[2]) };
  });
}

describe('examples/observability: compose, collector, Prometheus and Grafana files', () => {
  const compose = parse('docker-compose.yml');
  const collector = parse('otel-collector-config.yaml');
  const prometheus = parse('prometheus.yml');
  const datasources = parse('grafana/provisioning/datasources/datasources.yaml');
  const services = compose.services;

  it('runs the collector, Jaeger, Prometheus and Grafana from pinned images', () => {
    assert.deepEqual(Object.keys(services).sort(), ['grafana', 'jaeger', 'otel-collector', 'prometheus']);
    for (const [name, service] of Object.entries(services)) {
      assert.match(service.image, /^[\w./-]+:[\w.-]+$/, `${name} names an image with a tag`);
      assert.doesNotMatch(service.image, /:latest$/, `${name} pins a version`);
    }
  });

  it('publishes every port on 127.0.0.1 only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of published(service)) assert.equal(port.hostIp, '127.0.0.1', `${name} ${port.host}`);
    }
  });

  it('mounts files that exist, and starts the collector with the mounted config', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        assert.ok(fs.existsSync(path.join(DIR, source)), `${name} mounts ${source}, which exists`);
      }
    }
    const configMount = services['otel-collector'].volumes.find((v) => v.startsWith('./otel-collector-config.yaml:')).split(':')[1];
    assert.ok(services['otel-collector'].command.includes(`--config=${configMount}`));
    const promMount = services.prometheus.volumes.find((v) => v.startsWith('./prometheus.yml:')).split(':')[1];
    assert.ok(services.prometheus.command.includes(`--config.file=${promMount}`));
    assert.ok(services.grafana.volumes.some((v) => v.split(':')[1] === '/etc/grafana/provisioning/datasources'));
  });

  it('defines every receiver, processor, exporter and extension a collector pipeline uses, and uses every one defined', () => {
    const used = { receivers: new Set(), processors: new Set(), exporters: new Set() };
    const pipelines = collector.service.pipelines;
    assert.deepEqual(Object.keys(pipelines).sort(), ['logs', 'metrics', 'traces']);
    for (const [name, pipeline] of Object.entries(pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters']) {
        for (const component of pipeline[kind] ?? []) {
          assert.ok(collector[kind] && component in collector[kind], `pipeline ${name}: ${kind.slice(0, -1)} "${component}" is defined`);
          used[kind].add(component);
        }
      }
      assert.ok(pipeline.receivers.length > 0 && pipeline.exporters.length > 0, `pipeline ${name} has a receiver and an exporter`);
    }
    for (const kind of ['receivers', 'processors', 'exporters']) {
      for (const component of Object.keys(collector[kind])) assert.ok(used[kind].has(component), `${kind.slice(0, -1)} "${component}" is used`);
    }
    for (const extension of collector.service.extensions) assert.ok(extension in collector.extensions, `extension ${extension} is defined`);
    // memory_limiter first, as the collector recommends; batch after it.
    for (const pipeline of Object.values(pipelines)) assert.deepEqual(pipeline.processors, ['memory_limiter', 'batch']);
  });

  it('takes OTLP where the services export by default, listening on all interfaces inside its container', () => {
    const { grpc, http } = collector.receivers.otlp.protocols;
    const ports = published(services['otel-collector']);
    const serviceDefault = hostPort(DEFAULT_OTLP_ENDPOINT);
    assert.equal(hostPort(http.endpoint).host, '0.0.0.0');
    assert.equal(hostPort(grpc.endpoint).host, '0.0.0.0');
    assert.ok(ports.some((p) => p.container === hostPort(http.endpoint).port && p.host === serviceDefault.port), 'the OTLP/HTTP port is published where the services export');
    assert.ok(ports.some((p) => p.container === hostPort(grpc.endpoint).port), 'the OTLP/gRPC port is published');
  });

  it('sends traces to Jaeger over OTLP/gRPC on a compose service', () => {
    const [exporterName] = collector.service.pipelines.traces.exporters;
    assert.match(exporterName, /^otlp_grpc(\/|$)/);
    const { host, port } = hostPort(collector.exporters[exporterName].endpoint);
    assert.equal(host, 'jaeger');
    assert.equal(port, 4317, "Jaeger's OTLP/gRPC receiver");
    assert.ok(host in services);
    assert.equal(collector.exporters[exporterName].tls.insecure, true);
    assert.ok(services['otel-collector'].depends_on.includes('jaeger'));
  });

  it('serves metrics on the Prometheus exporter port that Prometheus scrapes', () => {
    assert.deepEqual(collector.service.pipelines.metrics.exporters, ['prometheus']);
    const exporter = hostPort(collector.exporters.prometheus.endpoint);
    const targets = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets));
    assert.deepEqual(targets, [`otel-collector:${exporter.port}`]);
    assert.ok('otel-collector' in services);
    assert.equal(prometheus.scrape_configs[0].honor_labels, true, "keeps the exporter's job label (service.name)");
  });

  it('provisions Grafana with Prometheus and Jaeger on their compose hosts and ports', () => {
    assert.equal(datasources.apiVersion, 1);
    const byType = Object.fromEntries(datasources.datasources.map((d) => [d.type, d]));
    assert.deepEqual(Object.keys(byType).sort(), ['jaeger', 'prometheus']);
    const prom = hostPort(byType.prometheus.url);
    const jaeger = hostPort(byType.jaeger.url);
    assert.equal(prom.host, 'prometheus');
    assert.ok(published(services.prometheus).some((p) => p.container === prom.port));
    assert.equal(jaeger.host, 'jaeger');
    assert.ok(published(services.jaeger).some((p) => p.container === jaeger.port));
    assert.equal(datasources.datasources.filter((d) => d.isDefault).length, 1);
  });
});
