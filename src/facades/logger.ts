import { context, diag, propagation, trace } from '@opentelemetry/api';
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import pino from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { currentRequest } from '../request-otel';
import { logsApi } from '../sdk';
import { activeTelemetry } from '../telemetry';
import { ATTR_TENANT_ID } from '../semconv';
import { KIT_NAME, KIT_VERSION } from '../version';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a log call carries besides its message. */
export interface LogDetails {
  /**
   * Structured fields, written as top-level JSON fields and as log record attributes. A field
   * named like one the logger writes itself (`level`, `time`, `message`, `component`,
   * `trace_id`, `span_id`, `tenant.id`) is written as `extra.<name>` instead of replacing it.
   * Objects go to the OTel record as JSON (cycles as `"[Circular]"`), bigints as decimal strings.
   */
  extra?: Record<string, unknown>;
  /** An error: its type, message and stack are logged. */
  err?: unknown;
}

export interface OTELLoggerOptions {
  /**
   * Lowest level written. Without it, `LOG_LEVEL` in any case (`trace` counts as debug,
   * `warning` as warn, `fatal` as error; another value gives info and a diagnostic warning).
   * @default 'info'
   */
  level?: LogLevel;
  /** Where JSON lines go: anything with `write(line)`, such as a stream. @default standard output */
  destination?: { write(line: string): unknown };
  /** Also emit each record through the OTel Logs API (OTLP log export). @default true */
  emitOtel?: boolean;
  /**
   * The shape of each JSON line. `default`: `time`, `level`, `component`, `message`, `trace_id`,
   * `span_id`, `tenant.id` (what Loki's derived fields and most log tools read). `ecs`: Elastic
   * Common Schema for Elasticsearch and Kibana: `@timestamp`, `log.level`, `message`,
   * `ecs.version`, `service.name`, `log.logger`, `trace.id`, `span.id`, `tenant.id`, `error.*`.
   * See docs/logs.md.
   * @default 'default'
   */
  format?: 'default' | 'ecs';
  /** `service.name` of ECS lines. @default the service name `initTelemetry()` was given, else `OTEL_SERVICE_NAME` */
  serviceName?: string;
}

/** Trace correlation fields of the active context: trace_id, span_id and tenant.id when known. */
export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  'tenant.id'?: string;
}

/**
 * The active trace's ids and the request's tenant, for any logger. Use it as pino's `mixin`
 * (`pino({ mixin: traceFields })`) or in a winston format
 * (`format((info) => Object.assign(info, traceFields()))()`) to get the same correlation as
 * `OTELLogger`.
 */
export function traceFields(): TraceFields {
  const active = context.active();
  const fields: TraceFields = {};
  const spanContext = trace.getSpanContext(active);
  if (spanContext !== undefined && spanContext.traceId !== '00000000000000000000000000000000') {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const tenant = currentRequest(active)?.tenantId ?? propagation.getBaggage(active)?.getEntry(ATTR_TENANT_ID)?.value;
  if (tenant !== undefined) fields['tenant.id'] = tenant;
  return fields;
}

// The Logs API's SeverityNumber values (the same in @opentelemetry/api 1.10 and api-logs).
const SEVERITY: Record<LogLevel, number> = { debug: 5, info: 9, warn: 13, error: 17 };

/** The part of an OpenTelemetry logger (Logs API) the logger uses. */
interface OtelLogger {
  emit(record: { severityNumber: number; severityText: string; body: string; attributes: Attributes; context: ReturnType<typeof context.active> }): void;
}

/**
 * Structured JSON logs correlated with traces, on pino: each line has time, level, component,
 * message, the extra fields, trace_id/span_id (inside a span) and tenant.id (inside a request),
 * and error type/message/stack. The same record goes through the OTel Logs API, so
 * `initTelemetry({ logs: { exporter: 'otlp' } })` ships it with the trace context attached.
 * @example
 * const log = new OTELLogger('rag');
 * log.info('vector search done', { extra: { results: 5 } });
 * log.error('provider failed', { err, extra: { provider: 'openai' } });
 */
export class OTELLogger {
  private readonly pino: PinoLogger;
  private readonly emitOtel: boolean;
  private readonly ecs: boolean;
  private loggerProvider: unknown;
  private otelLogger: OtelLogger | undefined;

  constructor(
    readonly component: string,
    options: OTELLoggerOptions = {},
  ) {
    if (typeof component !== 'string' || component === '') throw new TypeError(`OTELLogger: component must be a non-empty string, got ${JSON.stringify(component)}`);
    const level = options.level ?? levelFromEnv(process.env['LOG_LEVEL']);
    if (!Object.hasOwn(SEVERITY, level)) throw new TypeError(`OTELLogger: level must be one of ${Object.keys(SEVERITY).join(', ')}, got ${JSON.stringify(level)}`);
    this.emitOtel = options.emitOtel ?? true;
    const format = options.format ?? 'default';
    if (format !== 'default' && format !== 'ecs') throw new TypeError(`OTELLogger: format must be 'default' or 'ecs', got ${JSON.stringify(format)}`);
    this.ecs = format === 'ecs';
    const destination = (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: false });
    this.pino = this.ecs
      ? pino(
          {
            level,
            base: { 'ecs.version': ECS_VERSION, 'service.name': options.serviceName ?? serviceName(), 'log.logger': component },
            messageKey: 'message',
            timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
            formatters: { level: (label) => ({ 'log.level': label }) },
            mixin: ecsTraceFields,
          },
          destination,
        )
      : pino(
          {
            level,
            base: { component },
            messageKey: 'message',
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label) => ({ level: label }) },
            mixin: traceFields,
          },
          destination,
        );
  }

  debug(message: string, details?: LogDetails): void {
    this.log('debug', message, details);
  }
  info(message: string, details?: LogDetails): void {
    this.log('info', message, details);
  }
  warn(message: string, details?: LogDetails): void {
    this.log('warn', message, details);
  }
  error(message: string, details?: LogDetails): void {
    this.log('error', message, details);
  }

  /** Writes what is buffered (pino writes asynchronously to stdout). */
  flush(): void {
    this.pino.flush();
  }

  private log(level: LogLevel, message: string, details: LogDetails | undefined): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields = extraFields(details?.extra);
    const err = details?.err;
    if (err !== undefined) fields['error'] = errorFields(err);
    this.pino[level](this.ecs ? ecsFields(fields) : fields, message);
    if (this.emitOtel) this.emit(level, message, fields);
  }

  private emit(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    const provider = logsApi().logs.getLoggerProvider();
    if (provider !== this.loggerProvider) {
      this.loggerProvider = provider;
      this.otelLogger = provider.getLogger(KIT_NAME, KIT_VERSION) as OtelLogger;
    }
    const attributes: Attributes = { component: this.component };
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'error') continue;
      const attribute = attributeValue(value);
      if (attribute !== undefined) attributes[key] = attribute;
    }
    const error = fields['error'] as ReturnType<typeof errorFields> | undefined;
    if (error !== undefined) {
      attributes['exception.type'] = error.type;
      attributes['exception.message'] = error.message;
      if (error.stack !== undefined) attributes['exception.stacktrace'] = error.stack;
    }
    const tenant = traceFields()['tenant.id'];
    if (tenant !== undefined) attributes[ATTR_TENANT_ID] = tenant;
    // The active context carries the span: the SDK puts its trace and span ids on the record.
    this.otelLogger!.emit({ severityNumber: SEVERITY[level], severityText: level.toUpperCase(), body: message, attributes, context: context.active() });
  }
}

/** Names the logger writes on every line: an `extra` field of the same name must not replace them. */
const RESERVED_FIELDS = new Set(['level', 'time', 'message', 'component', 'trace_id', 'span_id', 'tenant.id', '@timestamp', 'log.level', 'log.logger', 'ecs.version', 'service.name', 'trace.id', 'span.id', 'error']);

// The ECS version whose field names ECS lines use. See https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html
const ECS_VERSION = '8.11.0';

/** The trace fields under their ECS names (`trace.id`, `span.id`). */
function ecsTraceFields(): Record<string, string> {
  const fields = traceFields();
  const ecs: Record<string, string> = {};
  if (fields.trace_id !== undefined) ecs['trace.id'] = fields.trace_id;
  if (fields.span_id !== undefined) ecs['span.id'] = fields.span_id;
  if (fields['tenant.id'] !== undefined) ecs['tenant.id'] = fields['tenant.id'];
  return ecs;
}

/** A line's fields with the error under ECS's names (`error.type`, `error.message`, `error.stack_trace`). */
function ecsFields(fields: Record<string, unknown>): Record<string, unknown> {
  const error = fields['error'] as ReturnType<typeof errorFields> | undefined;
  if (error === undefined) return fields;
  const { error: _error, ...rest } = fields;
  rest['error.type'] = error.type;
  rest['error.message'] = error.message;
  if (error.stack !== undefined) rest['error.stack_trace'] = error.stack;
  return rest;
}

/** The service this process is: as initTelemetry() named it, else OTEL_SERVICE_NAME. */
function serviceName(): string | undefined {
  const fromResource = activeTelemetry()?.resource.attributes['service.name'];
  return typeof fromResource === 'string' ? fromResource : process.env['OTEL_SERVICE_NAME'];
}

function extraFields(extra: Record<string, unknown> | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (extra === undefined || extra === null) return fields;
  for (const key of Object.keys(extra)) fields[RESERVED_FIELDS.has(key) ? `extra.${key}` : key] = extra[key];
  return fields;
}

const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'error' };

/** LOG_LEVEL is shared with other tools: any case and their names are read; nothing in it may stop the service. */
function levelFromEnv(value: string | undefined): LogLevel {
  if (value === undefined || value.trim() === '') return 'info';
  const key = value.trim().toLowerCase();
  if (Object.hasOwn(LEVEL_ALIASES, key)) return LEVEL_ALIASES[key];
  diag.warn(`OTELLogger: LOG_LEVEL=${JSON.stringify(value)} is not a log level (debug, info, warn, error); logging at info`);
  return 'info';
}

/** A log record attribute for any field value; never throws (a log call must not fail the caller). */
function attributeValue(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'undefined':
      return undefined;
    case 'bigint':
    case 'symbol':
    case 'function':
      return String(value);
    default:
      try {
        return JSON.stringify(value, jsonSafe) ?? String(value);
      } catch {
        return JSON.stringify(value, cycleSafe()) ?? String(value);
      }
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A replacer that writes an object met again below itself as "[Circular]". */
function cycleSafe(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return value;
    // `this` is the object holding the value: drop the ancestors we have left.
    while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
    if (ancestors.includes(value)) return '[Circular]';
    ancestors.push(value);
    return value;
  };
}

function errorFields(err: unknown): { type: string; message: string; stack?: string } {
  if (err instanceof Error) {
    const fields: { type: string; message: string; stack?: string } = { type: err.constructor?.name ?? err.name, message: err.message };
    if (err.stack !== undefined) fields.stack = err.stack;
    return fields;
  }
  return { type: typeof err, message: String(err) };
}
