'use strict';
const assert = require('node:assert/strict');
const net = require('node:net');
const request = require('supertest');
const { trace } = require('@opentelemetry/api');
const { initTelemetry, activeTelemetry } = require('@motadata/otel');
const { FRAMEWORKS } = require('./support/apps');
const { listen, freePort } = require('./support/servers');

/** Runs `fn` with some environment variables set, restoring them after. */
async function withEnv(vars, fn) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const memory = { traces: { exporter: 'memory' }, metrics: { exporter: 'memory' }, logs: { exporter: 'none' } };

describe('initTelemetry()', () => {
  afterEach(() => activeTelemetry()?.shutdown());

  describe('bad options fail at start-up with the option and the allowed values', () => {
    const cases = [
      [{ traces: { sampleRatio: 1.5 } }, /option "traces\.sampleRatio" must be a number in \[0, 1\], got 1\.5/],
      [{ traces: { sampleRatio: -0.1 } }, /"traces\.sampleRatio" must be a number in \[0, 1\]/],
      [{ traces: { sampleRatio: 'all' } }, /"traces\.sampleRatio" must be a number in \[0, 1\], got "all"/],
      [{ traces: { exporter: 'jaegr' } }, /option "traces\.exporter" must be one of otlp, jaeger, console, zipkin, memory, none, got "jaegr"/],
      [{ metrics: { exporter: 'statsd' } }, /"metrics\.exporter" must be one of otlp, prometheus, console, memory, none/],
      [{ logs: { exporter: 'file' } }, /"logs\.exporter" must be one of otlp, console, memory, none/],
      [{ traces: { endpoint: 'not a url' } }, /option "traces\.endpoint" must be an http\(s\) URL/],
      [{ traces: { endpoint: 'ftp://collector:4318' } }, /"traces\.endpoint" must be an http\(s\) URL/],
      [{ metrics: { endpoint: '127.0.0.1:4318' } }, /"metrics\.endpoint" must be an http\(s\) URL/],
      [{ traces: { protocol: 'grpc' } }, /"traces\.protocol" must be one of http\/protobuf, http\/json/],
      [{ metrics: { port: 70000 } }, /"metrics\.port" must be a port number/],
      // The SDK's Prometheus exporter reads 0 as unset and would bind 9464.
      [{ metrics: { port: 0 } }, /option "metrics\.port" must be a port number in \[1, 65535\], got 0/],
      [{ metrics: { intervalMillis: 0 } }, /"metrics\.intervalMillis" must be a positive integer/],
      [{ instrumentHttp: 'yes' }, /"instrumentHttp" must be a boolean/],
      [{ serviceName: 42 }, /"serviceName" must be a non-empty string/],
    ];
    for (const [options, message] of cases) {
      it(`rejects ${JSON.stringify(options)}`, () => {
        assert.throws(() => initTelemetry(options), (err) => err instanceof TypeError && message.test(err.message));
        assert.equal(activeTelemetry(), undefined, 'nothing was started');
      });
    }

    it('names a bad environment variable', async () => {
      await withEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }, () => {
        assert.throws(() => initTelemetry(memory), /environment variable OTEL_TRACES_SAMPLER="sometimes" must be one of always_on/);
      });
      await withEnv({ OTEL_TRACES_EXPORTER: 'otlp,carrier-pigeon' }, () => {
        assert.throws(() => initTelemetry({ metrics: { exporter: 'none' } }), /OTEL_TRACES_EXPORTER="otlp,carrier-pigeon"/);
      });
      await withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost 4318' }, () => {
        assert.throws(() => initTelemetry({ metrics: { exporter: 'none' } }), /OTEL_EXPORTER_OTLP_ENDPOINT="localhost 4318" must be an http\(s\) URL/);
      });
    });
  });

  it('refuses a second start until the first is shut down', async () => {
    const first = initTelemetry(memory);
    assert.throws(() => initTelemetry(memory), /already started/);
    await first.shutdown();
    await first.shutdown(); // safe twice
    initTelemetry(memory);
  });

  describe('resource and precedence: options > OTEL_* > defaults', () => {
    it('sets service.name, service.version, deployment.environment.name and user attributes', async () => {
      const telemetry = initTelemetry({ ...memory, serviceName: 'gateway', serviceVersion: '1.2.3', environment: 'staging', resourceAttributes: { 'team.name': 'llm' } });
      await telemetry.ready;
      trace.getTracer('t').startSpan('x').end();
      const [span] = telemetry.getFinishedSpans();
      assert.equal(span.resource.attributes['service.name'], 'gateway');
      assert.equal(span.resource.attributes['service.version'], '1.2.3');
      assert.equal(span.resource.attributes['deployment.environment.name'], 'staging');
      assert.equal(span.resource.attributes['team.name'], 'llm');
      assert.equal(span.resource.attributes['telemetry.sdk.language'], 'nodejs');
      // A UUID per process, so two replicas' cumulative series stay apart behind a collector.
      assert.match(span.resource.attributes['service.instance.id'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('lets OTEL_RESOURCE_ATTRIBUTES set service.instance.id', async () => {
      await withEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-7' }, () => {
        assert.equal(initTelemetry(memory).resource.attributes['service.instance.id'], 'pod-7');
      });
    });

    it('takes OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, explicit options winning', async () => {
      await withEnv({ OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'team.name=env-team,region=eu' }, async () => {
        let telemetry = initTelemetry(memory);
        assert.equal(telemetry.resource.attributes['service.name'], 'from-env');
        assert.equal(telemetry.resource.attributes.region, 'eu');
        await telemetry.shutdown();
        telemetry = initTelemetry({ ...memory, serviceName: 'explicit', resourceAttributes: { 'team.name': 'explicit-team' } });
        assert.equal(telemetry.resource.attributes['service.name'], 'explicit');
        assert.equal(telemetry.resource.attributes['team.name'], 'explicit-team');
        assert.equal(telemetry.resource.attributes.region, 'eu');
      });
    });

    it('batches spans by OTEL_BSP_MAX_EXPORT_BATCH_SIZE and OTEL_BSP_SCHEDULE_DELAY', async () => {
      const { startOtlpReceiver } = require('./support/otlp-receiver');
      const receiver = await startOtlpReceiver();
      const exports = [];
      receiver.server.on('request', (req) => req.url === '/v1/traces' && exports.push(Date.now()));
      try {
        await withEnv({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '60000' }, async () => {
          const telemetry = initTelemetry({ serviceName: 'bsp', traces: { exporter: 'otlp', protocol: 'http/json', endpoint: receiver.url }, metrics: { exporter: 'none' }, logs: { exporter: 'none' } });
          try {
            const tracer = trace.getTracer('t');
            for (let i = 0; i < 4; i++) tracer.startSpan(`s${i}`).end();
            // Two full batches leave at once; with the SDK's defaults (512, 5 s) nothing would yet.
            const deadline = Date.now() + 3000;
            while (receiver.spans.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
            assert.equal(receiver.spans.length, 4);
            assert.equal(exports.length, 2);
          } finally {
            await telemetry.shutdown();
          }
        });
      } finally {
        await receiver.close();
      }
    });

    it('batches log records by OTEL_BLRP_MAX_EXPORT_BATCH_SIZE and OTEL_BLRP_SCHEDULE_DELAY', async () => {
      const { startOtlpReceiver } = require('./support/otlp-receiver');
      const { OTELLogger } = require('@motadata/otel');
      const receiver = await startOtlpReceiver();
      const exports = [];
      receiver.server.on('request', (req) => req.url === '/v1/logs' && exports.push(Date.now()));
      try {
        await withEnv({ OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BLRP_SCHEDULE_DELAY: '60000' }, async () => {
          const telemetry = initTelemetry({ serviceName: 'blrp', traces: { exporter: 'none' }, metrics: { exporter: 'none' }, logs: { exporter: 'otlp', protocol: 'http/json', endpoint: receiver.url } });
          try {
            const log = new OTELLogger('blrp', { destination: { write() {} } });
            for (let i = 0; i < 4; i++) log.info(`line ${i}`);
            // Two full batches leave at once; with the SDK's defaults (512, 1 s) nothing would within 300 ms.
            const deadline = Date.now() + 300;
            while (exports.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
            assert.equal(exports.length, 2);
          } finally {
            await telemetry.shutdown();
          }
        });
      } finally {
        await receiver.close();
      }
    });

    it('exports the kit\'s metrics as deltas when OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta', async () => {
      const { startOtlpReceiver } = require('./support/otlp-receiver');
      const { OTELMetrics, gateway } = require('@motadata/otel');
      const receiver = await startOtlpReceiver();
      try {
        await withEnv({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' }, async () => {
          const telemetry = initTelemetry({ serviceName: 'delta', traces: { exporter: 'none' }, logs: { exporter: 'none' }, metrics: { exporter: 'otlp', protocol: 'http/json', endpoint: receiver.url, intervalMillis: 60000 } });
          const app = await listen(FRAMEWORKS[0].create());
          try {
            const facade = new OTELMetrics();
            const round = async () => {
              facade.incrementCounter('gateway.cost', 1, { 'tenant.id': 'acme' });
              await gateway.checkCache({}, () => 'cached');
              await request(app.url).get('/v1/items/1').expect(200);
              await telemetry.forceFlush();
            };
            await round();
            await round();
            // A third collection with nothing new of the kit's: its series are left out, as the SDK's are.
            facade.incrementCounter('delta.test.events', 1);
            await telemetry.forceFlush();
            const exported = receiver.metrics.map((body) =>
              Object.fromEntries(body.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => [m.name, m])))),
            );
            assert.ok(exported.length >= 3, `${exported.length} metric exports`);
            const [first, second, third] = exported.slice(-3);
            const DELTA = 1;
            for (const metrics of [first, second]) {
              assert.equal(metrics['gateway.cost'].sum.aggregationTemporality, DELTA);
              assert.equal(metrics['gateway.cost'].sum.dataPoints[0].asDouble, 1);
              assert.equal(metrics['gateway.cache.hits'].sum.aggregationTemporality, DELTA);
              const duration = metrics['http.server.request.duration'].histogram;
              assert.equal(duration.aggregationTemporality, DELTA);
              assert.equal(Number(duration.dataPoints[0].count), 1);
            }
            // Each delta starts where the one before ended.
            assert.equal(second['gateway.cost'].sum.dataPoints[0].startTimeUnixNano, first['gateway.cost'].sum.dataPoints[0].timeUnixNano);
            assert.equal(third['delta.test.events'].sum.dataPoints[0].asDouble, 1);
            assert.equal(third['gateway.cost'], undefined);
            assert.equal(third['http.server.request.duration'], undefined);
          } finally {
            await app.close();
            await telemetry.shutdown();
          }
        });
      } finally {
        await receiver.close();
      }
    });

    it('reads OTEL_EXPORTER_PROMETHEUS_PORT and OTEL_EXPORTER_PROMETHEUS_HOST', async () => {
      const port = await freePort();
      await withEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: String(port), OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1' }, async () => {
        const telemetry = initTelemetry({ traces: { exporter: 'none' }, logs: { exporter: 'none' }, metrics: { exporter: 'prometheus' } });
        await telemetry.ready;
        assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
      });
    });

    it('starts nothing with OTEL_SDK_DISABLED=true: no Prometheus port, no spans', async () => {
      const port = await freePort();
      await withEnv({ OTEL_SDK_DISABLED: 'true' }, async () => {
        const telemetry = initTelemetry({ traces: { exporter: 'memory' }, logs: { exporter: 'none' }, metrics: { exporter: 'prometheus', host: '127.0.0.1', port } });
        await telemetry.ready;
        trace.getTracer('t').startSpan('x').end();
        assert.deepEqual(telemetry.getFinishedSpans(), []);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), (err) => err.cause?.code === 'ECONNREFUSED');
      });
    });

    it('samples by OTEL_TRACES_SAMPLER unless sampleRatio is given', async () => {
      await withEnv({ OTEL_TRACES_SAMPLER: 'always_off' }, async () => {
        let telemetry = initTelemetry(memory);
        await telemetry.ready;
        trace.getTracer('t').startSpan('x').end();
        assert.equal(telemetry.getFinishedSpans().length, 0);
        await telemetry.shutdown();
        telemetry = initTelemetry({ ...memory, traces: { exporter: 'memory', sampleRatio: 1 } });
        await telemetry.ready;
        trace.getTracer('t').startSpan('x').end();
        assert.equal(telemetry.getFinishedSpans().length, 1);
      });
    });

    it('with sampleRatio 0 samples no new trace but follows a sampled caller (ParentBased)', async () => {
      const telemetry = initTelemetry({ ...memory, traces: { exporter: 'memory', sampleRatio: 0 } });
      await telemetry.ready;
      const app = await listen(FRAMEWORKS[0].create());
      try {
        const unsampled = await request(app.url).get('/v1/items/1').expect(200);
        // No trace id for a trace that is never exported (and no header built for it).
        assert.equal(unsampled.headers['server-timing'], undefined);
        const sampled = await request(app.url).get('/v1/items/1').set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01').expect(200);
        assert.match(sampled.headers['server-timing'], /^trace;desc=00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const spans = telemetry.getFinishedSpans();
        assert.equal(spans.length, 1);
        assert.equal(spans[0].spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
        // Metrics do not depend on sampling: both requests, with their route.
        const { metricPoint } = require('./support/telemetry');
        const point = await metricPoint(telemetry, 'http.server.request.duration', { 'http.route': '/v1/items/:id' });
        assert.equal(point.value.count, 2);
      } finally {
        await app.close();
      }
    });
  });

  describe('with a Prometheus endpoint', () => {
    it('serves the kit\'s metrics on the given host and port', async () => {
      const port = await freePort();
      const telemetry = initTelemetry({ serviceName: 'prom', traces: { exporter: 'none' }, logs: { exporter: 'none' }, metrics: { exporter: 'prometheus', host: '127.0.0.1', port } });
      await telemetry.ready;
      const app = await listen(FRAMEWORKS[0].create());
      try {
        await request(app.url).post('/v1/generate').set('x-tenant-id', 'acme').expect(200);
        await request(app.url).get('/v1/items/3').set('x-tenant-id', 'acme').expect(200);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        assert.match(text, /http_server_request_duration_seconds_bucket\{[^}]*http_route="\/v1\/items\/:id"[^}]*tenant_id="acme"[^}]*le="0\.005"\} \d+/);
        assert.match(text, /gateway_cost_USD_total\{[^}]*tenant_id="acme"[^}]*\} 0\.003/);
      } finally {
        await app.close();
      }
    });

    it('reports a port already in use as a clear error, never a crash', async () => {
      const blocker = net.createServer();
      await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address();
      const warnings = [];
      const onWarning = (w) => warnings.push(w);
      process.on('warning', onWarning);
      try {
        const telemetry = initTelemetry({ traces: { exporter: 'none' }, logs: { exporter: 'none' }, metrics: { exporter: 'prometheus', host: '127.0.0.1', port } });
        await assert.rejects(telemetry.ready, (err) => new RegExp(`metrics\\.port ${port} on 127\\.0\\.0\\.1 is already in use`).test(err.message));
        await new Promise((resolve) => setImmediate(resolve));
        assert.ok(warnings.some((w) => w.message.includes(`metrics.port ${port}`)));
      } finally {
        process.off('warning', onWarning);
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });

  describe('when the collector is down or failing', () => {
    for (const [name, behaviour] of [
      ['refusing connections', null],
      ['answering 500', (req, res) => { req.resume(); res.statusCode = 500; res.end(); }],
      ['hanging', (req) => req.resume()],
    ]) {
      it(`serves requests normally with the collector ${name}`, async function () {
        this.timeout(10000);
        let collector;
        let endpoint;
        if (behaviour === null) {
          const closed = await listen(() => {});
          endpoint = closed.url;
          await closed.close();
        } else {
          collector = await listen(behaviour);
          endpoint = collector.url;
        }
        // Export every 50 ms, so exports fail (or hang) while the requests run; a 500 ms export
        // timeout bounds how long shutdown() may wait for the collector.
        const telemetry = await withEnv({ OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_TIMEOUT: '500' }, () =>
          initTelemetry({ serviceName: 'resilient', traces: { exporter: 'otlp', endpoint }, metrics: { exporter: 'otlp', endpoint, intervalMillis: 100 }, logs: { exporter: 'none' } }),
        );
        const app = await listen(FRAMEWORKS[0].create());
        try {
          // Every request answers 200. With the hanging collector, a request that waited on an
          // export would never answer (no timing threshold here: speed is the bench's to show).
          for (let round = 0; round < 5; round++) {
            await Promise.all(Array.from({ length: 20 }, (_, i) => request(app.url).get(`/v1/items/${i}`).expect(200)));
            await new Promise((resolve) => setTimeout(resolve, 60));
          }
        } finally {
          await app.close();
          // shutdown() resolves, the collector down or not: a SIGTERM handler awaits it. Without an
          // export timeout it would take OTLP's default 10 s; this test's limit is 10 s in all.
          await telemetry.shutdown();
          await collector?.close();
        }
      });
    }
  });
});
