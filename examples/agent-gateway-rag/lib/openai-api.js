'use strict';
// OpenAI's wire format for the gateway's /v1/chat/completions and /v1/embeddings: the request
// checks, the response bodies, the stream's chunks and the error shape, as the `openai` package
// and other OpenAI-compatible clients read them.
// See https://platform.openai.com/docs/api-reference/chat and .../embeddings
const { randomBytes } = require('node:crypto');

/** The paths whose errors take OpenAI's shape. */
const OPENAI_PATHS = new Set(['/v1/chat/completions', '/v1/embeddings']);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** An error with OpenAI's `type`, `param` and `code`. */
class OpenAiError extends Error {
  constructor(status, message, { type = 'invalid_request_error', param = null, code = null } = {}) {
    super(message);
    this.name = 'OpenAiError';
    this.status = status;
    this.expose = true;
    Object.assign(this, { type, param, code });
  }
}

const invalid = (message, param = null) => new OpenAiError(400, message, { param });
const modelNotFound = (model) => new OpenAiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });

/**
 * The status and body of an error on an OpenAI path: `{ error: { message, type, param, code } }`.
 * The simulator's errors keep their meaning (unknown model 404, outage 502); an error the
 * framework raised (bad JSON, too large) is the caller's; anything else is ours, without detail.
 */
function openAiError(err) {
  if (err instanceof OpenAiError) return reply(err.status, err.message, err);
  if (err?.name === 'ProviderError') {
    if (err.kind === 'model_not_found') return reply(404, err.message, { param: 'model', code: err.kind });
    if (err.status >= 500) return reply(502, err.message, { type: 'server_error', code: err.kind });
    return reply(400, err.message, { param: 'model', code: err.kind });
  }
  const status = err?.status ?? err?.statusCode;
  if (Number.isInteger(status) && status >= 400 && status < 500) return reply(status, String(err.message), {});
  return reply(500, 'The server had an error while processing your request.', { type: 'server_error' });
}

function reply(status, message, { type = 'invalid_request_error', param = null, code = null }) {
  return { status, body: { error: { message, type, param, code } } };
}

/** A chat request's model, prompt (the messages' text) and streaming choices, checked. */
function checkChat(body, knownModel) {
  const { model, messages, stream = false, stream_options: streamOptions } = body;
  if (typeof model !== 'string' || model === '') throw invalid('you must provide a model parameter', 'model');
  if (!knownModel(model)) throw modelNotFound(model);
  if (!Array.isArray(messages) || messages.length === 0) throw invalid("'messages' must be a non-empty array", 'messages');
  const texts = messages.map((message, i) => {
    if (message === null || typeof message !== 'object' || !ROLES.has(message.role)) throw invalid(`Invalid value for 'messages[${i}].role'`, `messages[${i}].role`);
    const content = typeof message.content === 'string' ? message.content : Array.isArray(message.content) ? message.content.map((part) => part?.text ?? '').join('') : undefined;
    if (content === undefined) throw invalid(`Invalid type for 'messages[${i}].content'`, `messages[${i}].content`);
    return content;
  });
  if (typeof stream !== 'boolean') throw invalid("Invalid type for 'stream': expected a boolean", 'stream');
  if (streamOptions !== undefined && streamOptions !== null && !stream) throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  return { model, prompt: texts.join('\n'), stream, includeUsage: streamOptions?.include_usage === true };
}

/** What every chunk and completion of one answer shares. */
function answerHead(model) {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

const usageOf = (promptTokens, completionTokens) => ({ prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });

function completion(head, text, promptTokens, completionTokens) {
  return {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: usageOf(promptTokens, completionTokens),
    system_fingerprint: null,
  };
}

/**
 * The SSE events of a streamed answer: the role, one chunk per token, the finish reason, then
 * with `includeUsage` a last chunk with no choices and the usage (every other chunk carries
 * `usage: null`), then `[DONE]`. `finish(sent)` runs after the last token and returns the
 * usage to send.
 */
async function* chatEvents(head, tokens, includeUsage, finish) {
  const event = (choices, usage) => {
    const chunk = { id: head.id, object: 'chat.completion.chunk', created: head.created, model: head.model, system_fingerprint: null, choices };
    if (includeUsage) chunk.usage = usage ?? null;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  };
  const delta = (d, finishReason = null) => [{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }];
  yield event(delta({ role: 'assistant', content: '', refusal: null }));
  let sent = 0;
  for await (const piece of tokens) {
    sent++;
    yield event(delta({ content: piece }));
  }
  const usage = finish(sent);
  yield event(delta({}, 'stop'));
  if (includeUsage) yield event([], usageOf(usage.promptTokens, usage.completionTokens));
  yield 'data: [DONE]\n\n';
}

/** An embeddings answer; `base64` encodes each vector as little-endian float32, as OpenAI does. */
function embeddings(model, vectors, encoding, promptTokens) {
  const encode = encoding === 'base64' ? (v) => Buffer.from(new Float32Array(v).buffer).toString('base64') : (v) => v;
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: encode(vector) })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/** The gateway's answer to whether its cache answered: `hit` or `miss` (a streamed answer has none). */
const CACHE_HEADER = 'x-gateway-cache';

module.exports = { CACHE_HEADER, OPENAI_PATHS, OpenAiError, invalid, modelNotFound, openAiError, checkChat, answerHead, completion, chatEvents, embeddings };
