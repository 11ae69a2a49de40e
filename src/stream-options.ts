import { diag } from '@opentelemetry/api';

const log = diag.createComponentLogger({ namespace: '@motadata/otel/stream' });

/** What a handler tells the kit about the streamed GenAI response it sends. */
export interface StreamOptions {
  /** The model generating the stream, `gen_ai.request.model`. */
  model?: string;
  /** The provider, `gen_ai.provider.name`. */
  provider?: string;
  /**
   * The GenAI operation, `gen_ai.operation.name`.
   * @default 'chat'
   */
  operation?: string;
  /** Prompt tokens, known before the first output token: a non-negative safe integer. */
  inputTokens?: number;
  /**
   * USD per input and per output token. With it, a stream the handler records no cost for (the
   * client went away first) still costs `inputTokens * input + outputTokens * output`.
   */
  price?: { input?: number; output?: number };
}

/** `req.otel.stream()` options: the stream's, and how many output tokens a chunk holds. */
export interface StreamChunksOptions<T> extends StreamOptions {
  /**
   * Output tokens in one chunk (a chunk with none, such as a role-only delta, is not the first token).
   * @default () => 1
   */
  tokensOf?: (chunk: T) => number;
}

/** Checked before anything else, so a bad call starts no stream. */
export function checkChunks(chunks: unknown, tokensOf: unknown): void {
  if (chunks === null || typeof (chunks as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] !== 'function') {
    throw new TypeError(`stream: expected an async iterable of chunks, got ${chunks === null ? 'null' : typeof chunks}`);
  }
  if (tokensOf !== undefined && typeof tokensOf !== 'function') throw new TypeError(`stream: "tokensOf" must be a function, got ${typeof tokensOf}`);
}

export function checkTokens(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TypeError(`stream: "${field}" must be a non-negative safe integer, got ${String(value)}`);
  return value;
}

/** `price`, checked: USD per input and output token, each finite and non-negative (0 when left out). */
export function checkPrice(price: unknown, caller = 'stream'): { input: number; output: number } {
  const p = price as { input?: unknown; output?: unknown } | null;
  const valid = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
  if (typeof p !== 'object' || p === null || !valid(p.input) || !valid(p.output)) {
    throw new TypeError(`${caller}: "price" must be { input?, output? }, each a finite non-negative number of USD per token`);
  }
  return { input: (p.input as number | undefined) ?? 0, output: (p.output as number | undefined) ?? 0 };
}

/** A name option, checked: a non-empty string, or undefined. */
export function checkName(field: string, value: unknown, caller = 'stream'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TypeError(`${caller}: "${field}" must be a non-empty string, got ${typeof value === 'string' ? '""' : typeof value}`);
  return value;
}

/** A chunk's tokens from the handler's `tokensOf`; a bad answer counts none rather than breaking the stream. */
export function tokensIn<T>(tokensOf: (chunk: T) => number, chunk: T): number {
  try {
    const tokens = tokensOf(chunk);
    if (Number.isSafeInteger(tokens) && tokens >= 0) return tokens;
    log.warn(`tokensOf returned ${String(tokens)}, not a non-negative integer; the chunk counts no tokens`);
  } catch (err) {
    log.warn('tokensOf threw; the chunk counts no tokens', err);
  }
  return 0;
}
