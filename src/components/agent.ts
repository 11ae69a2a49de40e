import type { Attributes } from '@opentelemetry/api';
import { METRIC_NAMES } from '../metric-catalogue';
import { SPAN_NAMES } from './names';
import { errorType } from '../error-type';
import { numberField, runComponent } from './run';
import type { ComponentFn } from './run';

/** Identifies an agent task. */
export interface AgentTask {
  agentId: string;
  taskId: string;
  taskType: string;
}

/**
 * Agent framework helpers: each runs your function in its span, a child of the active span
 * (inside an HTTP request: of the SERVER span), and records the agent metrics (docs/reference.md).
 * @example
 * await agent.executeTask({ agentId: 'planner', taskId, taskType: 'answer' }, async () => {
 *   const memories = await agent.retrieveMemory(() => memory.search(prompt));
 *   return agent.callLlm(async () => ({ ...(await llm(prompt)), tokens: 150, cost: 0.002 }));
 * });
 */
export const agent = Object.freeze({
  /** `agent.task.execute` (agent.id, task.id, task.type); agent.task.duration, agent.tasks.executed. */
  executeTask<T>(task: AgentTask, fn: ComponentFn<T>): Promise<T> {
    const attributes: Attributes = { 'agent.id': task.agentId, 'task.id': task.taskId, 'task.type': task.taskType };
    return runComponent(SPAN_NAMES.AGENT_TASK_EXECUTE, attributes, fn, (end) => {
      const labels = { ...end.base, 'task.type': task.taskType };
      end.metrics.recordHistogram(METRIC_NAMES.AGENT_TASK_DURATION, end.durationSeconds, labels);
      end.metrics.incrementCounter(
        METRIC_NAMES.AGENT_TASKS_EXECUTED,
        end.error === undefined ? { ...labels, status: end.status } : { ...labels, status: end.status, error_type: errorType(end.error) },
      );
    });
  },

  /** `agent.memory.retrieve`; `fn` returns the memories (memory.count); agent.memory.retrieval.duration. */
  retrieveMemory<T extends readonly unknown[]>(fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.AGENT_MEMORY_RETRIEVE, {}, fn, (end) => {
      if (Array.isArray(end.result)) end.handle.setAttribute('memory.count', end.result.length);
      end.metrics.recordHistogram(METRIC_NAMES.AGENT_MEMORY_RETRIEVAL_DURATION, end.durationSeconds, { ...end.base, status: end.status });
    });
  },

  /** `agent.memory.update` (memory.type, memory.id); agent.memory.updates (memory_type). */
  updateMemory<T>(memory: { memoryType: string; memoryId: string }, fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.AGENT_MEMORY_UPDATE, { 'memory.type': memory.memoryType, 'memory.id': memory.memoryId }, fn, (end) => {
      end.metrics.incrementCounter(METRIC_NAMES.AGENT_MEMORY_UPDATES, { ...end.base, memory_type: memory.memoryType, status: end.status });
    });
  },

  /** `agent.tool.execute` (tools.count). */
  executeTools<T>(tools: { toolsCount: number }, fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.AGENT_TOOL_EXECUTE, { 'tools.count': tools.toolsCount }, fn);
  },

  /** `agent.llm.call`; numeric `tokens` and `cost` fields of the result become llm.tokens and llm.cost. */
  callLlm<T>(fn: ComponentFn<T>): Promise<T> {
    return runComponent(SPAN_NAMES.AGENT_LLM_CALL, {}, fn, (end) => {
      const tokens = numberField(end.result, 'tokens');
      const cost = numberField(end.result, 'cost');
      if (tokens !== undefined) end.handle.setAttribute('llm.tokens', tokens);
      if (cost !== undefined) end.handle.setAttribute('llm.cost', cost);
    });
  },
});
