import type { Span } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import { ATTR_ERROR_TYPE } from './bound';
import { MAX_USD_PER_CALL } from './cost';
import type { CheckedCost, LlmCost } from './cost';
import { genAiAttributes, genAiInstruments } from './genai-metrics';
import { ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_REQUEST_MODEL, EVENT_GEN_AI_FIRST_TOKEN } from './semconv';
import { streamChunks } from './stream-chunks';
import { checkName, checkPrice, checkTokens, tokensIn } from './stream-options';
import type { StreamOptions } from './stream-options';

/** How the stream's usage was recorded: not yet, by the handler's `recordCost()`, or by the kit at the response's close. */
type Settled = 'no' | 'by-handler' | 'at-close';

// Amounts within a billionth of a dollar of what was already recorded count as the same amount:
// a handler's own price arithmetic (rounded, summed differently) must not leave a residue.
const USD_EPSILON = 1e-9;

/**
 * One request's streamed GenAI response: when its first output token went out, how many have,
 * and whether its usage is recorded. Its usage is recorded once: by the handler's `recordCost()`
 * for the streamed operation (what it gives replaces the progress), else by the kit when the
 * response closes; a `recordCost()` after that records only what exceeds it.
 */
export class GenAiStream {
  model: string | undefined;
  provider: string | undefined;
  operation: string | undefined;
  outputTokens = 0;
  private inputTokens: number | undefined;
  private price: { readonly input: number; readonly output: number } | undefined;
  private firstTokenAt: number | undefined;
  private settled: Settled = 'no';
  private readonly credit = { inputTokens: 0, outputTokens: 0, usd: 0 };
  /** The response has closed: no more progress, and chunk iteration ends. */
  closed = false;

  constructor(private readonly span: Span) {}

  /** Checks every option first, so bad options change nothing. */
  configure(options: StreamOptions): void {
    if (typeof options !== 'object' || options === null) throw new TypeError(`stream: expected an options object, got ${String(options)}`);
    const model = checkName('model', options.model);
    const provider = checkName('provider', options.provider);
    const operation = checkName('operation', options.operation);
    const inputTokens = options.inputTokens === undefined ? undefined : checkTokens('inputTokens', options.inputTokens);
    const price = options.price === undefined ? undefined : checkPrice(options.price);
    if (model !== undefined) this.model = model;
    if (provider !== undefined) this.provider = provider;
    if (operation !== undefined) this.operation = operation;
    if (inputTokens !== undefined) this.inputTokens = inputTokens;
    if (price !== undefined) this.price = price;
    const span = this.span;
    if (span.isRecording()) {
      if (model !== undefined) span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, model);
      if (provider !== undefined) span.setAttribute(ATTR_GEN_AI_PROVIDER_NAME, provider);
    }
  }

  /** The first output token went out now (later calls keep the first moment). */
  started(): void {
    if (this.firstTokenAt !== undefined || this.closed) return;
    this.firstTokenAt = performance.now();
    if (this.span.isRecording()) this.span.addEvent(EVENT_GEN_AI_FIRST_TOKEN);
  }

  /** `outputTokens` output tokens have gone out so far; the first that counts one is the first token. */
  progress(outputTokens: number): void {
    const tokens = checkTokens('outputTokens', outputTokens);
    if (this.closed || this.settled === 'by-handler') return;
    if (tokens > 0) this.started();
    if (tokens > this.outputTokens) this.outputTokens = tokens;
  }

  /** Wraps `chunks` (see checkChunks) so each one reports its tokens, and iteration ends when the response closes. */
  chunks<T>(res: ServerResponse, chunks: AsyncIterable<T>, tokensOf: ((chunk: T) => number) | undefined): AsyncIterable<T> {
    return streamChunks(res, this, chunks, tokensOf === undefined ? undefined : (chunk) => tokensIn(tokensOf, chunk));
  }

  /** Whether a `recordCost()` call is about this stream: the same operation, and model when both name one. */
  private owns(cost: LlmCost): boolean {
    if ((cost.operation ?? 'chat') !== (this.operation ?? 'chat')) return false;
    return cost.model === undefined || this.model === undefined || cost.model === this.model;
  }

  /** The part of a `recordCost()` call to record, given what this stream has recorded. */
  reconcile(cost: LlmCost, checked: CheckedCost): CheckedCost | undefined {
    if (this.settled === 'by-handler' || !this.owns(cost)) return checked;
    if (this.settled === 'no') {
      this.settled = 'by-handler';
      const inputTokens = checked.inputTokens ?? this.inputTokens;
      const outputTokens = checked.outputTokens ?? (this.outputTokens > 0 ? this.outputTokens : undefined);
      if (outputTokens !== undefined) this.outputTokens = outputTokens;
      this.model ??= checked.model;
      this.provider ??= checked.provider;
      const usd = checked.usd ?? this.usdOf(inputTokens, outputTokens);
      return { ...checked, inputTokens, outputTokens, usd, model: checked.model ?? this.model, provider: checked.provider ?? this.provider };
    }
    // Recorded at the response's close already: that much of this call is not new.
    const inputTokens = this.takeCredit('inputTokens', checked.inputTokens);
    const outputTokens = this.takeCredit('outputTokens', checked.outputTokens);
    const usd = this.takeCredit('usd', checked.usd);
    if (inputTokens === undefined && outputTokens === undefined && usd === undefined) return undefined;
    return { ...checked, inputTokens, outputTokens, usd };
  }

  /** At the response's close: the usage to record now, unless the handler recorded it. */
  close(): CheckedCost | undefined {
    this.closed = true;
    if (this.settled !== 'no') return undefined;
    this.settled = 'at-close';
    const inputTokens = this.inputTokens;
    const outputTokens = this.firstTokenAt !== undefined || this.outputTokens > 0 ? this.outputTokens : undefined;
    const usd = this.usdOf(inputTokens, outputTokens);
    this.credit.inputTokens = inputTokens ?? 0;
    this.credit.outputTokens = outputTokens ?? 0;
    this.credit.usd = usd ?? 0;
    if (inputTokens === undefined && outputTokens === undefined) return undefined;
    return { usd, inputTokens, outputTokens, model: this.model, provider: this.provider, operation: this.operation ?? 'chat' };
  }

  /**
   * The GenAI server metrics, when the response closes. Time to first token and per output token
   * are for successful responses only, as semconv defines them; the per-token time divides what
   * followed the first token by the tokens after it.
   * See https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/#generative-ai-model-server-metrics
   */
  recordLatency(startTime: number, errorType: string | undefined, tenant: string | undefined, route: string | undefined): void {
    const endTime = performance.now();
    const instruments = genAiInstruments();
    const attributes = genAiAttributes(this, tenant, route);
    if (errorType !== undefined) {
      instruments.serverRequestDuration.record((endTime - startTime) / 1000, { ...attributes, [ATTR_ERROR_TYPE]: errorType });
      return;
    }
    instruments.serverRequestDuration.record((endTime - startTime) / 1000, attributes);
    const first = this.firstTokenAt;
    if (first === undefined) return;
    instruments.timeToFirstToken.record((first - startTime) / 1000, attributes);
    if (this.outputTokens > 1) instruments.timePerOutputToken.record((endTime - first) / 1000 / (this.outputTokens - 1), attributes);
  }

  private usdOf(inputTokens: number | undefined, outputTokens: number | undefined): number | undefined {
    const price = this.price;
    if (price === undefined) return undefined;
    return Math.min((inputTokens ?? 0) * price.input + (outputTokens ?? 0) * price.output, MAX_USD_PER_CALL);
  }

  private takeCredit(field: 'inputTokens' | 'outputTokens' | 'usd', amount: number | undefined): number | undefined {
    if (amount === undefined) return undefined;
    const covered = Math.min(amount, this.credit[field]);
    this.credit[field] -= covered;
    const rest = amount - covered;
    return rest > (field === 'usd' ? USD_EPSILON : 0) ? rest : undefined;
  }
}
