'use strict';
// A deterministic LOCAL MODEL SIMULATOR standing in for an LLM provider, so the example runs
// offline and every run gives the same answers, token counts and costs. It is not a model:
// - tokens are counted from the text (words and punctuation marks);
// - prices come from the table below (illustrative numbers, not any provider's price list);
// - "generation" is extractive: it answers with the context sentence that shares the most
//   words with the question;
// - embeddings are hashed bag-of-words vectors, so cosine similarity still ranks texts that share
//   words above texts that do not;
// - latency is configurable, and the model `fail-model` always fails like a provider outage;
// - a streamed generation yields the same answer token by token, a configurable delay apart.

/** USD per million tokens. Illustrative only. */
const PRICES = Object.freeze({
  'local-small': { input: 0.15, output: 0.6 },
  'local-large': { input: 2.5, output: 10 },
  'local-embed': { input: 0.02, output: 0 },
  'fail-model': { input: 0, output: 0 },
});

const EMBEDDING_MODELS = new Set(['local-embed']);
const DIMENSIONS = 256;
const STOP_WORDS = new Set(
  'a an and are as at be by can do does for from how i in is it of on or our the this to we what when where which who why with you your'.split(' '),
);

/**
 * An error the gateway maps to an HTTP status: 400 for a bad request, 502 for a provider failure.
 * `kind` says which: `model_not_found`, `model_not_supported` or `provider_unavailable` (not
 * `code`, which OpenTelemetry would take for the exception's type).
 */
class ProviderError extends Error {
  constructor(message, status, kind) {
    super(message);
    this.name = 'ProviderError';
    this.status = status;
    this.kind = kind;
    this.expose = true;
  }
}

/** Tokens as the simulator counts them: words and punctuation marks. */
function countTokens(text) {
  return (String(text).match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
}

/** The same tokens with the whitespace before each, so the pieces join back into the text. */
function tokenPieces(text) {
  return String(text).match(/\s*(?:[\p{L}\p{N}]+|[^\s\p{L}\p{N}])/gu) ?? [];
}

function words(text) {
  return (String(text).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
}

// FNV-1a, 32 bit: a stable hash, so the same word lands in the same dimension in every process.
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A unit vector of hashed word counts (the "hashing trick"); the sign bit halves collisions' bias. */
function embedText(text) {
  const vector = new Array(DIMENSIONS).fill(0);
  for (const word of words(text)) {
    const hash = fnv1a(word);
    vector[hash % DIMENSIONS] += hash & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((v) => Math.round((v / norm) * 1e6) / 1e6);
}

/** USD of a call: its tokens at the model's price, to the 8th decimal (the gateway bills this). */
function cost(model, promptTokens, completionTokens) {
  const price = PRICES[model];
  return Number(((promptTokens * price.input + completionTokens * price.output) / 1e6).toFixed(8));
}

/** USD per input and per output token of a model. */
function pricePerToken(model) {
  const price = PRICES[model];
  return { input: price.input / 1e6, output: price.output / 1e6 };
}

/** The sentence of the prompt's context that best answers its question (or task). */
function extractiveAnswer(prompt) {
  const lines = String(prompt).split('\n');
  const question = lines.find((l) => /^(question|task):/i.test(l)) ?? lines[lines.length - 1] ?? '';
  const asked = new Set(words(question.replace(/^(question|task):/i, '')));
  const sentences = lines
    .filter((l) => l !== question && !/^(context|instructions|respond)/i.test(l))
    .flatMap((l) => l.replace(/^\s*(\[\d+\]|-|research:)\s*/i, '').split(/(?<=[.!?])\s+/))
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !/:$/.test(s));
  let best;
  let bestScore = 0;
  for (const sentence of sentences) {
    const score = words(sentence).filter((w) => asked.has(w)).length;
    if (score > bestScore) [best, bestScore] = [sentence, score];
  }
  return best === undefined ? 'I could not find an answer in the context provided.' : best;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the simulator.
 * @param {{ latencyMs?: number, tokenDelayMs?: number, failModels?: string[] }} [options]
 *   latencyMs: base latency of a generation (embeddings take a fifth of it), plus 0.2 ms per
 *   output token; a streamed generation's first token comes after it. tokenDelayMs: the time
 *   between two tokens of a streamed generation. failModels: models that always fail with a
 *   provider error.
 */
function createModelSimulator({ latencyMs = 25, tokenDelayMs = 2, failModels = ['fail-model'] } = {}) {
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new TypeError(`latencyMs must be a non-negative number, got ${latencyMs}`);
  if (!Number.isFinite(tokenDelayMs) || tokenDelayMs < 0) throw new TypeError(`tokenDelayMs must be a non-negative number, got ${tokenDelayMs}`);
  const failing = new Set(failModels);

  function checkModel(model, kind) {
    if (failing.has(model)) throw new ProviderError(`local model simulator: model "${model}" is configured to fail (simulated provider outage)`, 502, 'provider_unavailable');
    if (!(model in PRICES)) throw new ProviderError(`unknown model "${model}"; known: ${Object.keys(PRICES).join(', ')}`, 400, 'model_not_found');
    if ((kind === 'embeddings') !== EMBEDDING_MODELS.has(model)) {
      throw new ProviderError(`model "${model}" does not support ${kind}`, 400, 'model_not_supported');
    }
  }

  // An async generator: it stops where its consumer does (return()), as a provider stream does.
  async function* pieces(text) {
    const all = tokenPieces(text);
    for (let i = 0; i < all.length; i++) {
      await sleep(i === 0 ? latencyMs : tokenDelayMs);
      yield all[i];
    }
  }

  return {
    provider: 'local-simulator',
    prices: PRICES,

    /** @returns {Promise<{ text, promptTokens, completionTokens, costUsd }>} */
    async generate({ model, prompt }) {
      checkModel(model, 'generation');
      const text = extractiveAnswer(prompt);
      const promptTokens = countTokens(prompt);
      const completionTokens = countTokens(text);
      await sleep(latencyMs + completionTokens * 0.2);
      return { text, promptTokens, completionTokens, costUsd: cost(model, promptTokens, completionTokens) };
    },

    /**
     * A streamed generation: the same answer as generate(), its tokens (text pieces) yielded by
     * `tokens` one at a time. Checks the model at once, so a bad one throws before any token.
     * @returns {{ promptTokens, completionTokens, tokens: AsyncGenerator<string> }}
     */
    stream({ model, prompt }) {
      checkModel(model, 'generation');
      const text = extractiveAnswer(prompt);
      return { promptTokens: countTokens(prompt), completionTokens: countTokens(text), tokens: pieces(text) };
    },

    cost,
    pricePerToken,

    /** @returns {Promise<{ vectors: number[][], promptTokens, completionTokens: 0, costUsd }>} */
    async embed({ model, input }) {
      checkModel(model, 'embeddings');
      const texts = Array.isArray(input) ? input : [input];
      const promptTokens = texts.reduce((sum, t) => sum + countTokens(t), 0);
      await sleep(latencyMs / 5);
      return { vectors: texts.map(embedText), promptTokens, completionTokens: 0, costUsd: cost(model, promptTokens, 0) };
    },
  };
}

module.exports = { createModelSimulator, ProviderError, countTokens, cost, PRICES, DIMENSIONS };
