import type { Span } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import { checkCost, recordCostMetrics } from './cost';
import type { CheckedCost, LlmCost } from './cost';
import type { KitInstruments } from './instruments';
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_MOTADATA_COST_USD,
} from './semconv';
import { GenAiStream } from './stream';
import { checkChunks } from './stream-options';
import type { StreamChunksOptions, StreamOptions } from './stream-options';

/** What the usage of a request reads of the request when it records metrics. */
interface UsageLabels {
  /** The tenant as metric attributes carry it (capped). */
  readonly metricTenant: string | undefined;
  readonly route: string | undefined;
}

/**
 * One request's LLM usage: the cost and tokens `recordCost()` adds up on its SERVER span and
 * records as metrics with its tenant and route, and its streamed GenAI response, whose usage the
 * handler's `recordCost` gives or, when it gives none, the stream's close does, once.
 */
export class RequestUsage {
  private costUsd = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  /** The streamed GenAI response, once a handler reports one. */
  private genAi: GenAiStream | undefined = undefined;

  constructor(
    private readonly span: Span,
    private readonly instruments: KitInstruments,
    private readonly labels: UsageLabels,
  ) {}

  recordCost(cost: LlmCost): void {
    let checked: CheckedCost | undefined = checkCost(cost);
    if (this.genAi !== undefined) checked = this.genAi.reconcile(cost, checked);
    if (checked !== undefined) this.add(checked);
  }

  stream<T>(res: ServerResponse, chunks: AsyncIterable<T>, options?: StreamChunksOptions<T>): AsyncIterable<T> {
    checkChunks(chunks, options?.tokensOf);
    return this.genAiStream(options).chunks(res, chunks, options?.tokensOf);
  }

  streamStarted(options?: StreamOptions): void {
    this.genAiStream(options).started();
  }

  streamProgress(outputTokens: number): void {
    // Assigned once the call is known good: a bad call starts no stream.
    const stream = this.genAi ?? new GenAiStream(this.span);
    stream.progress(outputTokens);
    this.genAi = stream;
  }

  /** At the response's close: the stream's usage unless the handler recorded it, then its latency metrics. */
  close(startTime: number, errorType: string | undefined, tenant: string | undefined, route: string | undefined): void {
    const stream = this.genAi;
    if (stream === undefined) return;
    const usage = stream.close();
    if (usage !== undefined) this.add(usage);
    stream.recordLatency(startTime, errorType, tenant, route);
  }

  private genAiStream(options: StreamOptions | undefined): GenAiStream {
    const stream = this.genAi ?? new GenAiStream(this.span);
    if (options !== undefined) stream.configure(options);
    return (this.genAi = stream);
  }

  private add(checked: CheckedCost): void {
    // The span carries the request's totals: several calls add up.
    this.costUsd += checked.usd ?? 0;
    this.inputTokens += checked.inputTokens ?? 0;
    this.outputTokens += checked.outputTokens ?? 0;
    const span = this.span;
    if (span.isRecording()) {
      if (checked.model !== undefined) span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, checked.model);
      if (checked.provider !== undefined) span.setAttribute(ATTR_GEN_AI_PROVIDER_NAME, checked.provider);
      // Only what was given: a cost-only call is not "zero tokens".
      if (checked.inputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, this.inputTokens);
      if (checked.outputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, this.outputTokens);
      if (checked.usd !== undefined) span.setAttribute(ATTR_MOTADATA_COST_USD, this.costUsd);
    }
    recordCostMetrics(this.instruments, this.labels.metricTenant, this.labels.route, checked);
  }
}
