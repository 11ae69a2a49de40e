import { ATTR_GEN_AI_REQUEST_MODEL, ATTR_GEN_AI_TOKEN_TYPE, GEN_AI_TOKEN_TYPE_VALUE_INPUT, GEN_AI_TOKEN_TYPE_VALUE_OUTPUT } from '../semconv';
import { METRIC_NAMES } from '../metric-catalogue';
import { SPAN_NAMES } from './names';
import { errorType } from '../error-type';
import { numberField, runComponent } from './run';
import type { ComponentFn } from './run';

// An operation name becomes part of a span name: keep it to a bounded, name-like vocabulary.
const OPERATION = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * LLMOps helpers: evaluations, fine-tuning runs, prompt experiments, batch jobs.
 * @example
 * await llmops.operation({ operation: 'evaluation', model: 'gpt-4o' }, async () => ({ score, costUsd: 0.4, inputTokens: 9000 }));
 */
export const llmops = Object.freeze({
  /**
   * `llmops.<operation>` (llmops.operation, gen_ai.request.model); llmops.operations,
   * llmops.operation.duration, and from the result's numeric `costUsd`, `inputTokens`,
   * `outputTokens`: llmops.cost and llmops.tokens.
   */
  operation<T>(op: { operation: string; model: string }, fn: ComponentFn<T>): Promise<T> {
    if (typeof op?.operation !== 'string' || !OPERATION.test(op.operation)) {
      return Promise.reject(new TypeError(`llmops.operation: "operation" must be a lower-case name like "evaluation", got ${JSON.stringify(op?.operation)}`));
    }
    const attributes = { 'llmops.operation': op.operation, [ATTR_GEN_AI_REQUEST_MODEL]: op.model };
    return runComponent(SPAN_NAMES.LLMOPS_PREFIX + op.operation, attributes, fn, (end) => {
      const labels = { ...end.base, operation: op.operation, model: op.model };
      end.metrics.incrementCounter(METRIC_NAMES.LLMOPS_OPERATIONS, { ...labels, status: end.status });
      end.metrics.recordHistogram(METRIC_NAMES.LLMOPS_DURATION, end.durationSeconds, { ...labels, status: end.status });
      const usd = numberField(end.result, 'costUsd');
      if (usd !== undefined) end.metrics.incrementCounter(METRIC_NAMES.LLMOPS_COST, labels, usd);
      const input = numberField(end.result, 'inputTokens');
      const output = numberField(end.result, 'outputTokens');
      if (input !== undefined) end.metrics.incrementCounter(METRIC_NAMES.LLMOPS_TOKENS, { ...labels, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT }, input);
      if (output !== undefined) end.metrics.incrementCounter(METRIC_NAMES.LLMOPS_TOKENS, { ...labels, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT }, output);
    });
  },
});

/**
 * MLOps helpers: training jobs and predictions.
 * @example
 * const label = await mlops.predict({ model: 'churn', modelVersion: '7' }, () => model.predict(features));
 */
export const mlops = Object.freeze({
  /** `mlops.training.job` (job.id, model.name); mlops.training.duration, mlops.training.jobs (model, status). */
  trainingJob<T>(job: { jobId: string; model: string }, fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.MLOPS_TRAINING_JOB, { 'job.id': job.jobId, 'model.name': job.model }, fn, (end) => {
      const labels = { ...end.base, model: job.model, status: end.status };
      end.metrics.recordHistogram(METRIC_NAMES.MLOPS_TRAINING_DURATION, end.durationSeconds, labels);
      end.metrics.incrementCounter(METRIC_NAMES.MLOPS_TRAINING_JOBS, end.error === undefined ? labels : { ...labels, error_type: errorType(end.error) });
    });
  },

  /** `mlops.prediction` (model.name, model.version); mlops.prediction.duration, mlops.predictions (model, outcome). */
  predict<T>(prediction: { model: string; modelVersion?: string }, fn: ComponentFn<T>): Promise<T> {
    const attributes = prediction.modelVersion === undefined ? { 'model.name': prediction.model } : { 'model.name': prediction.model, 'model.version': prediction.modelVersion };
    return runComponent(SPAN_NAMES.MLOPS_PREDICTION, attributes, fn, (end) => {
      end.metrics.recordHistogram(METRIC_NAMES.MLOPS_PREDICTION_DURATION, end.durationSeconds, { ...end.base, model: prediction.model, outcome: end.status });
      end.metrics.incrementCounter(METRIC_NAMES.MLOPS_PREDICTIONS, { ...end.base, model: prediction.model, outcome: end.status });
    });
  },
});
