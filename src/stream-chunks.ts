import type { ServerResponse } from 'node:http';

/** What the chunk iterator reports to: the request's GenAI stream. */
export interface ChunkCounter {
  readonly outputTokens: number;
  readonly closed: boolean;
  progress(outputTokens: number): void;
}

const CLOSED: unique symbol = Symbol('closed');
const noop = (): void => {};

/**
 * `chunks`, reporting each chunk's output tokens (one per chunk without `tokensOf`) as it is
 * handed on. When the response closes first (the client went away), iteration ends at once and
 * the source is told to stop (`return()`), so a handler's `for await` ends and the model stops
 * generating tokens nobody reads; a chunk still in flight then is neither handed on nor counted.
 */
export function streamChunks<T>(res: ServerResponse, counter: ChunkCounter, chunks: AsyncIterable<T>, tokensOf: ((chunk: T) => number) | undefined): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => new ChunkIterator(res, counter, chunks[Symbol.asyncIterator](), tokensOf) };
}

class ChunkIterator<T> implements AsyncIterator<T, unknown> {
  private done = false;
  private whenClosed: Promise<typeof CLOSED> | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly counter: ChunkCounter,
    private readonly source: AsyncIterator<T, unknown>,
    private readonly tokensOf: ((chunk: T) => number) | undefined,
  ) {}

  async next(): Promise<IteratorResult<T, unknown>> {
    if (this.done) return { done: true, value: undefined };
    if (this.counter.closed) return this.stop();
    const pending = this.source.next();
    const result = await Promise.race([pending, this.closed()]);
    if (result === CLOSED) {
      // Whatever the source still yields or throws is no one's now.
      pending.then(noop, noop);
      return this.stop();
    }
    if (result.done === true) this.done = true;
    else {
      const tokens = this.tokensOf === undefined ? 1 : this.tokensOf(result.value);
      if (tokens > 0) this.counter.progress(this.counter.outputTokens + tokens);
    }
    return result;
  }

  async return(value?: unknown): Promise<IteratorResult<T, unknown>> {
    if (!this.done) {
      this.done = true;
      await this.source.return?.(value);
    }
    return { done: true, value };
  }

  async throw(error?: unknown): Promise<IteratorResult<T, unknown>> {
    this.done = true;
    if (this.source.throw !== undefined) return this.source.throw(error);
    throw error;
  }

  private stop(): IteratorResult<T, unknown> {
    this.done = true;
    try {
      this.source.return?.().then(noop, noop);
    } catch {
      // A source whose return() throws has stopped as far as we are concerned.
    }
    return { done: true, value: undefined };
  }

  /** Settles when the response closes; one listener per iteration, added at its first wait. */
  private closed(): Promise<typeof CLOSED> {
    return (this.whenClosed ??= new Promise((resolve) => this.res.once('close', () => resolve(CLOSED))));
  }
}
