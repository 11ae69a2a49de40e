import type { Context } from '@opentelemetry/api';

/** The SDK's `SpanProcessor` interface, structurally: the kit's types name no SDK package. */
export interface SpanProcessorLike {
  onStart(span: never, parentContext: Context): void;
  onEnd(span: never): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * A span processor that takes more processors after the provider is built. The SDK's tracer
 * provider accepts processors only in its constructor, and `configureExporter()` must be able to
 * add an exporter to a running process.
 */
export class AddableSpanProcessor implements SpanProcessorLike {
  private processors: readonly SpanProcessorLike[];

  constructor(initial: readonly SpanProcessorLike[] = []) {
    this.processors = initial;
  }

  /** Adds a processor; spans that start from now on reach it. */
  add(processor: SpanProcessorLike): void {
    // Copy-on-write: a span ending while we add sees a consistent list.
    this.processors = [...this.processors, processor];
  }

  onStart(span: never, parentContext: Context): void {
    for (const processor of this.processors) processor.onStart(span, parentContext);
  }

  onEnd(span: never): void {
    for (const processor of this.processors) processor.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown()));
  }
}
