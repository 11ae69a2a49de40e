import { SpanStatusCode } from '@opentelemetry/api';
import type { AttributeValue, Attributes, Span } from '@opentelemetry/api';

/** `'ok'` or `'error'`: the facades' span status words. */
export type SpanStatusName = 'ok' | 'error';

/**
 * The span handle the facades and component helpers pass to your function: a small
 * vocabulary over a real OpenTelemetry span (`span`). Setters chain.
 */
export class OTELSpan {
  private statusSet: SpanStatusName | undefined = undefined;

  constructor(
    /** The underlying OpenTelemetry span. */
    readonly span: Span,
  ) {}

  /**
   * The status set through this handle, if any. Kept here because an unsampled span keeps none,
   * and the helpers' `status` metric attribute must not depend on sampling. `'ok'` is final, as
   * the spec makes it for the span.
   */
  get status(): SpanStatusName | undefined {
    return this.statusSet;
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.span.setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    this.span.setAttributes(attributes);
    return this;
  }

  addEvent(name: string, attributes?: Attributes): this {
    this.span.addEvent(name, attributes);
    return this;
  }

  /** Records an exception event; the status is left to `setStatus` (or to the helper on a throw). */
  recordException(error: unknown): this {
    this.span.recordException(error instanceof Error ? error : String(error));
    return this;
  }

  /** `'ok'` or `'error'` (with a message), as OTel's OK / ERROR. */
  setStatus(status: SpanStatusName, message?: string): this {
    if (status !== 'ok' && status !== 'error') throw new TypeError(`setStatus: status must be 'ok' or 'error', got ${JSON.stringify(status)}`);
    if (this.statusSet !== 'ok') this.statusSet = status;
    this.span.setStatus(
      status === 'ok' ? { code: SpanStatusCode.OK } : message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message },
    );
    return this;
  }
}
