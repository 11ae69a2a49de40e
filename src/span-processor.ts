import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * A span processor that takes more processors after the provider is built. The SDK's tracer
 * provider accepts processors only in its constructor, and `configureExporter()` must be able to
 * add an exporter to a running process.
 */
export class AddableSpanProcessor implements SpanProcessor {
  private processors: readonly SpanProcessor[];

  constructor(initial: readonly SpanProcessor[] = []) {
    this.processors = initial;
  }

  /** Adds a processor; spans that start from now on reach it. */
  add(processor: SpanProcessor): void {
    // Copy-on-write: a span ending while we add sees a consistent list.
    this.processors = [...this.processors, processor];
  }

  onStart(span: Span, parentContext: Context): void {
    for (const processor of this.processors) processor.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    for (const processor of this.processors) processor.onEnd(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown()));
  }
}
