'use strict';
// A local OpenAI-compatible server on 127.0.0.1 for the `openai` package: chat completions
// (JSON, or SSE chunks in OpenAI's wire format with an optional final usage chunk), embeddings,
// and OpenAI's error shape for the model `bad-model`.
const { listen } = require('./servers');

const RESPONSE_MODEL = 'stub-model-2025-01-01';
const USAGE = Object.freeze({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
const WORDS = ['Hello', ' there', '!'];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

function chunk(id, created, choices, usage) {
  const body = { id, object: 'chat.completion.chunk', created, model: RESPONSE_MODEL, system_fingerprint: null, choices };
  if (usage !== undefined) body.usage = usage;
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** The chat chunks the stub streams, as the client parses them (a test compares what it iterates). */
function chatChunks(id, created, includeUsage) {
  const usage = includeUsage ? null : undefined;
  const delta = (d, finish = null) => [{ index: 0, delta: d, logprobs: null, finish_reason: finish }];
  const chunks = [chunk(id, created, delta({ role: 'assistant', content: '' }), usage)];
  for (const word of WORDS) chunks.push(chunk(id, created, delta({ content: word }), usage));
  chunks.push(chunk(id, created, delta({}, 'stop'), usage));
  if (includeUsage) chunks.push(chunk(id, created, [], USAGE));
  return chunks;
}

async function handle(req, res, seen) {
  const body = await readJson(req);
  seen.push({ path: req.url, body });
  if (body.model === 'bad-model') {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'The model `bad-model` does not exist.', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }));
    return;
  }
  const id = `chatcmpl-${seen.length}`;
  const created = 1700000000;
  if (req.url === '/v1/embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const vector = new Float32Array([0.5, -0.25]);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: inputs.map((_, index) => ({ object: 'embedding', index, embedding })), model: RESPONSE_MODEL, usage: { prompt_tokens: 4, total_tokens: 4 } }));
    return;
  }
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const message = { role: 'assistant', content: WORDS.join(''), refusal: null };
    res.end(JSON.stringify({ id, object: 'chat.completion', created, model: RESPONSE_MODEL, choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }], usage: USAGE }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  for (const text of chatChunks(id, created, body.stream_options?.include_usage === true)) {
    if (res.destroyed) return;
    res.write(text);
    await pause(20);
  }
  res.end('data: [DONE]\n\n');
}

/** Starts the stub; `seen` lists every request it answered. */
async function startOpenAiStub() {
  const seen = [];
  const server = await listen((req, res) => handle(req, res, seen).catch((err) => res.destroy(err)));
  return { ...server, seen, baseURL: `${server.url}/v1` };
}

module.exports = { startOpenAiStub, RESPONSE_MODEL, USAGE, WORDS };
