'use strict';
// What the demo (and the end-to-end test) sends: each tenant's documents, then a handful of tasks
// for two tenants, one repeated (the gateway cache answers it), one on the model that fails, and
// one whose answer the agent streams back as the gateway streams it.

const DOCUMENTS = [
  {
    tenant: 'acme',
    documentId: 'api-keys',
    title: 'Rotating API keys',
    text:
      'To rotate an API key without downtime, create a new key in Settings, deploy it to every service, then revoke the old key. ' +
      'Two keys can be active at once, so the rotation needs no maintenance window. Revoked keys stop working within one minute.',
  },
  {
    tenant: 'acme',
    documentId: 'on-call',
    title: 'On-call policy',
    text:
      'The platform team runs a weekly on-call rotation that starts every Monday at 09:00 UTC. ' +
      'Pages for severity one incidents must be acknowledged within five minutes.',
  },
  {
    tenant: 'acme',
    documentId: 'deploys',
    title: 'Deployments',
    text: 'Production deploys go through the release pipeline after two approvals. A rollback redeploys the previous release tag and takes under ten minutes.',
  },
  {
    tenant: 'globex',
    documentId: 'refunds',
    title: 'Refund policy',
    text:
      'Annual plans can be refunded in full within 30 days of purchase. After 30 days, an annual plan is refunded pro rata for the unused months. ' +
      'Monthly plans are not refundable.',
  },
  {
    tenant: 'globex',
    documentId: 'shipping',
    title: 'Shipping',
    text: 'Hardware orders ship within two business days from the Rotterdam warehouse. Express shipping is free for orders over 500 euros.',
  },
];

/**
 * `body`: the request; `expect`: the HTTP status the agent must answer with; `cacheHit`: every
 * gateway call hits the cache; `body.stream`: the answer comes as server-sent events.
 */
const TASKS = [
  { title: 'acme asks how to rotate an API key', tenant: 'acme', body: { prompt: 'How do I rotate an API key without downtime?', model: 'local-small' }, expect: 200 },
  {
    title: 'globex asks about a refund, with tools',
    tenant: 'globex',
    body: { prompt: 'Can we get a refund on our annual plan after 45 days?', model: 'local-large', useTools: true },
    expect: 200,
  },
  { title: 'acme repeats its question (gateway cache)', tenant: 'acme', body: { prompt: 'How do I rotate an API key without downtime?', model: 'local-small' }, expect: 200, cacheHit: true },
  { title: 'globex asks when hardware ships', tenant: 'globex', body: { prompt: 'When do hardware orders ship?', model: 'local-small' }, expect: 200 },
  { title: 'globex on fail-model (provider error)', tenant: 'globex', body: { prompt: 'Summarise the refund policy.', model: 'fail-model' }, expect: 502, fails: true },
  { title: 'acme asks when on-call starts, streamed', tenant: 'acme', body: { prompt: 'When does the on-call rotation start?', model: 'local-small', stream: true }, expect: 200 },
];

const TRACE_METRIC = /(?:^|,\s*)trace;desc=00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}/;

/** The trace id the service sent back in Server-Timing. */
function traceIdOf(response) {
  return TRACE_METRIC.exec(response.headers.get('server-timing') ?? '')?.[1];
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { error: text };
  }
}

/**
 * The agent's server-sent events as they arrive: `token` events, then `result` (or `error`).
 * `json` is the result (or error) event's payload; `stream` the tokens and when the first came.
 */
async function readEvents(response, started) {
  const stream = { tokens: 0, firstTokenMs: undefined };
  let json = { error: 'the stream ended without a result' };
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = parseJson(lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
      if (event === 'token') {
        stream.tokens += 1;
        stream.firstTokenMs ??= performance.now() - started;
      } else if (event === 'result' || event === 'error') json = data;
    }
  }
  return { json, stream };
}

async function post(url, body, headers) {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const read = response.headers.get('content-type')?.startsWith('text/event-stream') ? await readEvents(response, started) : { json: parseJson(await response.text()) };
  return { status: response.status, ...read, traceId: traceIdOf(response), ms: performance.now() - started };
}

/**
 * Loads the documents straight into rag, as an ingestion job would: rag is internal and reads the
 * tenant from W3C baggage.
 */
async function ingestDocuments(ragUrl, documents = DOCUMENTS) {
  const results = [];
  for (const { tenant, ...document } of documents) {
    results.push({ tenant, ...document, ...(await post(`${ragUrl}/v1/documents`, document, { baggage: `tenant.id=${encodeURIComponent(tenant)}` })) });
  }
  return results;
}

/** Sends the tasks to the agent one after another (the repeat must follow the original). */
async function runTasks(agentUrl, tasks = TASKS) {
  const results = [];
  for (const task of tasks) results.push({ ...task, ...(await post(`${agentUrl}/v1/tasks`, task.body, { 'x-tenant-id': task.tenant })) });
  return results;
}

module.exports = { DOCUMENTS, TASKS, ingestDocuments, runTasks, traceIdOf };
