'use strict';
// The Prometheus names the kit serves must be the ones the OpenTelemetry Collector's Prometheus
// exporters write for the same OTLP metric (github.com/prometheus/otlptranslator with the
// collector's defaults), so a dashboard works on either path.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { METRIC_CATALOGUE } = require('@motadata/otel');
const { prometheusName, prometheusLabelName } = require('../dist/src/prometheus-names.js');
const { withPrometheusNames } = require('../dist/src/prometheus.js');

// Every metric the kit records: Prometheus name and the unit word of its `# UNIT` line ('' = none).
const CATALOGUE_NAMES = {
  'agent.task.duration': ['agent_task_duration_seconds', 'seconds'],
  'agent.tasks.executed': ['agent_tasks_executed_total', ''],
  'agent.memory.retrieval.duration': ['agent_memory_retrieval_duration_seconds', 'seconds'],
  'agent.memory.updates': ['agent_memory_updates_total', ''],
  'gateway.request.duration': ['gateway_request_duration_seconds', 'seconds'],
  'gateway.cache.hits': ['gateway_cache_hits_total', ''],
  'gateway.cache.misses': ['gateway_cache_misses_total', ''],
  'gateway.provider.calls': ['gateway_provider_calls_total', ''],
  'gateway.tokens.used': ['gateway_tokens_used_total', ''],
  'gateway.cost': ['gateway_cost_USD_total', 'USD'],
  'gen_ai.client.token.usage': ['gen_ai_client_token_usage', ''],
  'gen_ai.client.operation.duration': ['gen_ai_client_operation_duration_seconds', 'seconds'],
  'gen_ai.server.request.duration': ['gen_ai_server_request_duration_seconds', 'seconds'],
  'gen_ai.server.time_to_first_token': ['gen_ai_server_time_to_first_token_seconds', 'seconds'],
  'gen_ai.server.time_per_output_token': ['gen_ai_server_time_per_output_token_seconds', 'seconds'],
  'rag.query.duration': ['rag_query_duration_seconds', 'seconds'],
  'rag.embedding.duration': ['rag_embedding_duration_seconds', 'seconds'],
  'rag.search.duration': ['rag_search_duration_seconds', 'seconds'],
  'rag.generation.duration': ['rag_generation_duration_seconds', 'seconds'],
  'rag.queries.completed': ['rag_queries_completed_total', ''],
  'rag.documents.ingested': ['rag_documents_ingested_total', ''],
  'llmops.operations': ['llmops_operations_total', ''],
  'llmops.operation.duration': ['llmops_operation_duration_seconds', 'seconds'],
  'llmops.cost': ['llmops_cost_USD_total', 'USD'],
  'llmops.tokens': ['llmops_tokens_total', ''],
  'mlops.training.duration': ['mlops_training_duration_seconds', 'seconds'],
  'mlops.training.jobs': ['mlops_training_jobs_total', ''],
  'mlops.prediction.duration': ['mlops_prediction_duration_seconds', 'seconds'],
  'mlops.predictions': ['mlops_predictions_total', ''],
  'http.server.request.duration': ['http_server_request_duration_seconds', 'seconds'],
  'tenant.rejected': ['tenant_rejected_total', ''],
};

/** A file of the repository, also from a line workspace (.lines/<line>/test), which has no docs/. */
function repoFile(relative) {
  for (let dir = path.join(__dirname, '..'); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, relative))) return path.join(dir, relative);
    if (dir === path.dirname(dir)) throw new Error(`${relative} not found above ${__dirname}`);
  }
}

describe('prometheusName()', () => {
  describe('every metric in METRIC_CATALOGUE', () => {
    it('has an expected Prometheus name here', () => {
      assert.deepEqual(Object.keys(CATALOGUE_NAMES).sort(), Object.keys(METRIC_CATALOGUE).sort());
    });
    it('is listed in docs/prometheus.md with its unit, Prometheus name and type', () => {
      const doc = fs.readFileSync(repoFile('docs/prometheus.md'), 'utf8');
      const rows = [...doc.matchAll(/^\| `([^`]+)` \| `([^`]*)` \| `([^`]+)` \| (\w+) \|$/gm)].map(([, otelName, unit, name, type]) => [otelName, { unit, name, type }]);
      const expected = Object.entries(METRIC_CATALOGUE).map(([otelName, { unit, kind }]) => [otelName, { unit, name: prometheusName(otelName, unit, kind).name, type: kind }]);
      assert.equal(rows.length, expected.length, 'one row per metric');
      assert.deepEqual(Object.fromEntries(rows), Object.fromEntries(expected));
    });
    for (const [otelName, [name, unit]] of Object.entries(CATALOGUE_NAMES)) {
      it(`names ${otelName} ${name}`, () => {
        const { kind, unit: otelUnit } = METRIC_CATALOGUE[otelName];
        assert.deepEqual(prometheusName(otelName, otelUnit, kind), { name, unit });
      });
    }
  });

  // [OTel name, unit, kind, Prometheus name, UNIT word]
  const cases = {
    'converts UCUM units to words and appends them': [
      ['queue.wait', 's', 'histogram', 'queue_wait_seconds', 'seconds'],
      ['queue.wait', 'ms', 'histogram', 'queue_wait_milliseconds', 'milliseconds'],
      ['cache.size', 'By', 'gauge', 'cache_size_bytes', 'bytes'],
      ['heap.limit', 'MiBy', 'gauge', 'heap_limit_mebibytes', 'mebibytes'],
      ['batch.age', 'min', 'gauge', 'batch_age_minutes', 'minutes'],
      ['gpu.temperature', 'Cel', 'gauge', 'gpu_temperature_celsius', 'celsius'],
      ['disk.used', '%', 'gauge', 'disk_used_percent', 'percent'],
      ['upload.size', ' By ', 'histogram', 'upload_size_bytes', 'bytes'],
    ],
    'spells out rates with per': [
      ['network.throughput', 'By/s', 'gauge', 'network_throughput_bytes_per_second', 'bytes_per_second'],
      ['vehicle.speed', 'm/s', 'gauge', 'vehicle_speed_meters_per_second', 'meters_per_second'],
      ['prompt.rate', '{prompt}/min', 'gauge', 'prompt_rate_per_min', 'per_min'],
      ['prompt.rate', '{prompt}/h', 'gauge', 'prompt_rate_per_hour', 'per_hour'],
      ['cost.rate', 'USD/mo', 'gauge', 'cost_rate_USD_per_month', 'USD_per_month'],
      ['reads', '1/s', 'gauge', 'reads_per_second', 'per_second'],
      ['payload.size', 'By/{request}', 'histogram', 'payload_size_bytes', 'bytes'],
    ],
    'drops units in braces': [
      ['llm.tokens', '{token}', 'counter', 'llm_tokens_total', ''],
      ['queue.depth', '{message}', 'gauge', 'queue_depth', ''],
      ['embeddings', '{vector}', 'histogram', 'embeddings', ''],
    ],
    'appends other units as written, sanitized, case kept': [
      ['invoice.amount', 'USD', 'counter', 'invoice_amount_USD_total', 'USD'],
      ['invoice.amount', 'EUR', 'histogram', 'invoice_amount_EUR', 'EUR'],
      ['requests.served', 'requests', 'counter', 'requests_served_total', ''],
      ['page.loads', 'page-views', 'updowncounter', 'page_loads_page_views', 'page_views'],
    ],
    'adds _total to monotonic counters only, moving it to the end': [
      ['jobs.completed', '', 'counter', 'jobs_completed_total', ''],
      ['jobs.completed.total', '', 'counter', 'jobs_completed_total', ''],
      ['total.jobs', '', 'counter', 'jobs_total', ''],
      ['jobs.in_flight', '{job}', 'updowncounter', 'jobs_in_flight', ''],
      ['jobs.total', '', 'updowncounter', 'jobs_total', ''],
      ['jobs.total', '', 'gauge', 'jobs_total', ''],
    ],
    'adds _ratio to gauges of unit 1 only': [
      ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio', 'ratio'],
      ['cache.hit.ratio', '1', 'gauge', 'cache_hit_ratio', 'ratio'],
      ['ratio.of.hits', '1', 'gauge', 'of_hits_ratio', 'ratio'],
      ['retries', '1', 'counter', 'retries_total', ''],
      ['batch.fill', '1', 'histogram', 'batch_fill', ''],
      ['connections', '1', 'updowncounter', 'connections', ''],
    ],
    'does not repeat a unit the name already has': [
      ['task.duration.seconds', 's', 'histogram', 'task_duration_seconds', 'seconds'],
      ['cost.USD', 'USD', 'counter', 'cost_USD_total', 'USD'],
      ['bytes.received', 'By', 'counter', 'bytes_received_total', ''],
      ['seconds.behind.primary', 's', 'gauge', 'seconds_behind_primary', ''],
      ['transfer.bytes', 'By/s', 'gauge', 'transfer_bytes_per_second', 'bytes_per_second'],
    ],
    'replaces invalid characters with _ and collapses runs': [
      ['http..server--requests', '', 'counter', 'http_server_requests_total', ''],
      ['_leading.and.trailing_', '', 'gauge', 'leading_and_trailing', ''],
      ['snake__case___name', '', 'gauge', 'snake_case_name', ''],
      ['name (of the metric)', '', 'gauge', 'name_of_the_metric', ''],
      ['queue/wait', 's', 'histogram', 'queue_wait_seconds', 'seconds'],
      ['recording:rule', '', 'gauge', 'recording:rule', ''],
      // The collector keeps the `_` a unit's trailing invalid character leaves (the SDK's serializer then collapses it).
      ['cost', 'US$', 'counter', 'cost_US__total', ''],
    ],
    'keeps a name from starting with a digit': [
      ['5xx.responses', '{response}', 'counter', '_5xx_responses_total', ''],
    ],
  };
  for (const [title, vectors] of Object.entries(cases)) {
    describe(title, () => {
      for (const [otelName, unit, kind, name, unitWord] of vectors) {
        it(`${otelName} [${unit}] ${kind} -> ${name}`, () => {
          assert.deepEqual(prometheusName(otelName, unit, kind), { name, unit: unitWord });
        });
      }
    });
  }
});

describe('prometheusLabelName()', () => {
  const labels = [
    ['tenant.id', 'tenant_id'],
    ['http.response.status_code', 'http_response_status_code'],
    ['gen_ai.token.type', 'gen_ai_token_type'],
    ['already_valid', 'already_valid'],
    ['a..b', 'a_b'],
    ['a__b', 'a_b'],
    ['name (of the host)', 'name_of_the_host_'],
    ['2fa.enabled', 'key_2fa_enabled'],
    ['_private', 'key_private'],
    ['ünicode', 'key_nicode'],
    ['__reserved__', '__reserved__'],
    ['__a..b__', '__a_b__'],
    ['...', 'key_'],
    ['____', undefined],
  ];
  for (const [key, label] of labels) {
    it(`${key} -> ${label}`, () => assert.equal(prometheusLabelName(key), label));
  }
});

describe('withPrometheusNames()', () => {
  const kindOf = (metric) => metric.kind;
  const deepFreeze = (o) => {
    for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
    return Object.freeze(o);
  };
  const point = (attributes) => ({ attributes, startTime: [0, 0], endTime: [1, 0], value: 1 });
  const collected = () =>
    deepFreeze({
      resource: { attributes: { 'service.name': 'svc' } },
      scopeMetrics: [
        {
          scope: { name: '@motadata/otel', version: '1.0.0' },
          metrics: [
            { kind: 'counter', descriptor: { name: 'gateway.cost', unit: 'USD', description: 'd' }, dataPoints: [point({ 'tenant.id': 'acme' })] },
            { kind: 'gauge', descriptor: { name: 'pool.use', unit: '1', description: 'd' }, dataPoints: [point({ 'a.b': 'dot', a_b: 'underscore', '____': 'gone', 'z.last': 1 })] },
          ],
        },
      ],
    });

  it('renames a copy and leaves the SDK objects as they were', () => {
    const input = collected();
    const before = JSON.stringify(input);
    const output = withPrometheusNames(input, kindOf);
    assert.equal(JSON.stringify(input), before);
    const [cost, pool] = output.scopeMetrics[0].metrics;
    assert.deepEqual(cost.descriptor, { name: 'gateway_cost_USD_total', unit: 'USD', description: 'd' });
    assert.deepEqual(cost.dataPoints[0].attributes, { tenant_id: 'acme' });
    assert.deepEqual(pool.descriptor, { name: 'pool_use_ratio', unit: 'ratio', description: 'd' });
    assert.equal(output.resource, input.resource, 'target_info is the SDK serializer\'s');
    assert.equal(output.scopeMetrics[0].scope, input.scopeMetrics[0].scope, 'otel_scope_* labels are the SDK serializer\'s');
  });

  it('joins the values of keys that meet on one label with ; in key order and leaves out refused keys', () => {
    const pool = withPrometheusNames(collected(), kindOf).scopeMetrics[0].metrics[1];
    assert.deepEqual(pool.dataPoints[0].attributes, { a_b: 'dot;underscore', z_last: 1 });
  });
});
