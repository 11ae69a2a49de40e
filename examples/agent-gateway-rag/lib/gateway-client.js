'use strict';
// How agent and rag call the gateway: the official `openai` package, pointed at the gateway's
// OpenAI-compatible API. There is no tracing code here: initTelemetry() traces every outgoing
// request of the process (its `outbound` option), so each call gets a CLIENT span and
// `traceparent`, and, the gateway being an internal host, the tenant in `baggage`. genAiCall()
// times each call (`gen_ai.client.operation.duration`) and records the usage the gateway reports
// (`gen_ai.client.token.usage`), to the end of a stream.
//
// OpenAI's answers carry usage, not cost: a call's cost is its usage at the model's price, from
// the price list the gateway bills by (lib/model-simulator.js), which works the same for a
// stream, whose usage comes last. Whether the gateway's cache answered is its `x-gateway-cache`
// response header, read with `.withResponse()`.
const OpenAI = require('openai');
const { genAiCall } = require('@motadata/otel');
const { cost } = require('./model-simulator');
const { UpstreamError } = require('./http-json');

const { CACHE_HEADER } = require('./openai-api');

/** Tokens and cost of OpenAI's `usage` (prompt_tokens, completion_tokens) for `model`. */
function priced(model, usage) {
  const promptTokens = usage?.prompt_tokens ?? 0;
  const completionTokens = usage?.completion_tokens ?? 0;
  return { promptTokens, completionTokens, costUsd: cost(model, promptTokens, completionTokens) };
}

/**
 * The error a service answers with when the gateway failed: the gateway's status when it is the
 * caller's mistake (4xx), else 502, and the gateway's own message.
 */
function upstreamError(err, path) {
  if (err instanceof UpstreamError) return err;
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    return new UpstreamError(`${path} answered ${err.status}: ${err.error?.message ?? err.message}`, err.status, { cause: err });
  }
  return new UpstreamError(`${path} failed: ${err?.message ?? err}`, 502, { cause: err });
}

/**
 * @param {string} gatewayUrl the gateway's origin, e.g. http://127.0.0.1:8082
 */
function createGatewayClient(gatewayUrl, { timeoutMs = 10000 } = {}) {
  const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'local', maxRetries: 0, timeout: timeoutMs });

  /** One call through genAiCall, and the response's cache header. */
  async function call(options, path, request) {
    let cacheStatus;
    try {
      const data = await genAiCall(options, async () => {
        const { data, response } = await request().withResponse();
        cacheStatus = response.headers.get(CACHE_HEADER);
        return data;
      });
      return { data, cached: cacheStatus === 'hit' };
    } catch (err) {
      throw upstreamError(err, path);
    }
  }

  return {
    /** A chat completion: `{ text, promptTokens, completionTokens, costUsd, cached }`. */
    async chat({ model, messages }) {
      const { data, cached } = await call({ model }, '/v1/chat/completions', () => client.chat.completions.create({ model, messages }));
      return { text: data.choices[0]?.message.content ?? '', ...priced(model, data.usage), cached };
    },

    /** One vector per input: `{ vectors, promptTokens, completionTokens, costUsd, cached }`. */
    async embed({ model, input }) {
      const { data, cached } = await call({ model, operation: 'embeddings' }, '/v1/embeddings', () => client.embeddings.create({ model, input }));
      return { vectors: data.data.map((d) => d.embedding), ...priced(model, data.usage), cached };
    },

    /**
     * A streamed chat completion: the `openai` package's stream of chunks, the last one with the
     * usage (`stream_options.include_usage`). Rejects before any chunk when the gateway refuses.
     */
    async chatStream({ model, messages }) {
      try {
        return await genAiCall({ model }, () => client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } }));
      } catch (err) {
        throw upstreamError(err, '/v1/chat/completions');
      }
    },
  };
}

module.exports = { createGatewayClient, priced, upstreamError, CACHE_HEADER };
