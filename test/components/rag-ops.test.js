'use strict';
const assert = require('node:assert/strict');
const { rag, llmops, mlops, METRIC_NAMES } = require('@motadata/otel');
const { startMemoryTelemetry, metricPoint } = require('../support/telemetry');
const { spansByName, assertChildOf, assertFailed } = require('./support');

describe('RAG helpers', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  it('traces a query: embedding, vector search and response under rag.query', async () => {
    const answer = await rag.query({ query: 'how do I rotate a key?', tenantId: 'acme' }, async () => {
      const vector = await rag.generateEmbedding(async () => [0.1, 0.2, 0.3, 0.4]);
      const hits = await rag.searchVectors(async () => vector.slice(0, 2));
      return rag.generateResponse(async () => ({ text: `found ${hits.length}`, tokens: 42 }));
    });
    assert.equal(answer.text, 'found 2');
    const s = spansByName(telemetry);
    const query = s['rag.query'][0];
    assert.equal(query.attributes['rag.tenant_id'], 'acme');
    assert.equal(query.attributes['rag.query.length'], 22);
    for (const name of ['rag.embedding.generate', 'rag.vector.search', 'rag.response.generate']) assertChildOf(s[name][0], query);
    assert.equal(s['rag.embedding.generate'][0].attributes['embedding.dimension'], 4);
    assert.equal(s['rag.vector.search'][0].attributes['results.count'], 2);
    assert.equal(s['rag.response.generate'][0].attributes['response.tokens'], 42);
    for (const name of [METRIC_NAMES.RAG_QUERY_DURATION, METRIC_NAMES.RAG_EMBEDDING_DURATION, METRIC_NAMES.RAG_SEARCH_DURATION, METRIC_NAMES.RAG_GENERATION_DURATION]) {
      const point = await metricPoint(telemetry, name, { status: 'success' });
      assert.equal(point.value.count, 1, name);
      assert.equal(point.descriptor.unit, 's');
    }
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.RAG_QUERIES_COMPLETED, { status: 'success' })).value, 1);
  });

  it('traces ingestion: process, embed, store under rag.document.ingest', async () => {
    await rag.ingestDocument({ documentId: 'doc-1' }, async () => {
      const chunks = await rag.processDocument(async () => ['a', 'b', 'c']);
      await rag.generateEmbedding(async () => chunks.map(() => [1, 0]));
      await rag.storeDocument(async () => undefined);
    });
    const s = spansByName(telemetry);
    const ingest = s['rag.document.ingest'][0];
    assert.equal(ingest.attributes['document.id'], 'doc-1');
    for (const name of ['rag.document.process', 'rag.embedding.generate', 'rag.document.store']) assertChildOf(s[name][0], ingest);
    assert.equal(s['rag.document.process'][0].attributes['chunks.count'], 3);
    assert.equal(s['rag.embedding.generate'][0].attributes['embeddings.count'], 3);
    assert.equal(s['rag.embedding.generate'][0].attributes['embedding.dimension'], 2);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.RAG_DOCUMENTS_INGESTED, { status: 'success' })).value, 1);
  });

  it('records a failed search on every span up to the query and counts the query as an error', async () => {
    await assert.rejects(rag.query({ query: 'q' }, () => rag.searchVectors(async () => { throw new Error('index offline'); })), /index offline/);
    const s = spansByName(telemetry);
    assertFailed(s['rag.vector.search'][0], 'index offline');
    assertFailed(s['rag.query'][0], 'index offline');
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.RAG_QUERIES_COMPLETED, { status: 'error' })).value, 1);
  });
});

describe('LLMOps and MLOps helpers', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  it('traces an LLMOps operation and counts its cost and tokens per operation and model', async () => {
    await llmops.operation({ operation: 'evaluation', model: 'gpt-4o' }, async () => ({ score: 0.9, costUsd: 0.4, inputTokens: 9000, outputTokens: 300 }));
    const [span] = spansByName(telemetry)['llmops.evaluation'];
    assert.equal(span.attributes['llmops.operation'], 'evaluation');
    assert.equal(span.attributes['gen_ai.request.model'], 'gpt-4o');
    const labels = { operation: 'evaluation', model: 'gpt-4o' };
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.LLMOPS_OPERATIONS, { ...labels, status: 'success' })).value, 1);
    const cost = await metricPoint(telemetry, METRIC_NAMES.LLMOPS_COST, labels);
    assert.equal(cost.value, 0.4);
    assert.equal(cost.descriptor.unit, 'USD');
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.LLMOPS_TOKENS, { ...labels, 'gen_ai.token.type': 'input' })).value, 9000);
    await assert.rejects(llmops.operation({ operation: 'Eval Run', model: 'm' }, () => 1), /"operation" must be a lower-case name/);
  });

  it('traces a training job and predictions, with outcomes', async () => {
    await mlops.trainingJob({ jobId: 'job-1', model: 'churn' }, async () => {
      await mlops.predict({ model: 'churn', modelVersion: '7' }, async () => 0.82);
    });
    await assert.rejects(mlops.predict({ model: 'churn' }, () => { throw new Error('feature missing'); }), /feature missing/);
    const s = spansByName(telemetry);
    const job = s['mlops.training.job'][0];
    assert.equal(job.attributes['job.id'], 'job-1');
    assertChildOf(s['mlops.prediction'][0], job);
    assert.equal(s['mlops.prediction'][0].attributes['model.version'], '7');
    assertFailed(s['mlops.prediction'][1], 'feature missing');
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.MLOPS_PREDICTIONS, { model: 'churn', outcome: 'success' })).value, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.MLOPS_PREDICTIONS, { model: 'churn', outcome: 'error' })).value, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.MLOPS_PREDICTION_DURATION, { model: 'churn', outcome: 'success' })).value.count, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.MLOPS_TRAINING_JOBS, { model: 'churn', status: 'success' })).value, 1);
    assert.equal((await metricPoint(telemetry, METRIC_NAMES.MLOPS_TRAINING_DURATION, { model: 'churn', status: 'success' })).descriptor.unit, 's');
  });
});
