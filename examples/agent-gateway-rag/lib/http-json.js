'use strict';

/** A downstream service answered with an error or could not be reached. */
class UpstreamError extends Error {
  constructor(message, status, options) {
    super(message, options);
    this.name = 'UpstreamError';
    // A 4xx from downstream is still the caller's mistake; anything else is a bad gateway.
    this.status = status >= 400 && status < 500 ? status : 502;
    this.expose = true;
  }
}

/**
 * POSTs JSON with the global `fetch` and returns the parsed answer. Plain `fetch`: initTelemetry()
 * gives the request its CLIENT span, `traceparent` and, to an internal host, the tenant in
 * `baggage`. Only `content-type` is sent by hand.
 * @throws UpstreamError on a network error, a timeout or a status of 400 and above.
 */
async function postJson(url, body, { timeoutMs = 10000 } = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new UpstreamError(`POST ${url} failed: ${err.message}`, 502, { cause: err });
  }
  const text = await response.text();
  let data;
  try {
    data = text === '' ? {} : JSON.parse(text);
  } catch {
    data = { error: text };
  }
  if (!response.ok) throw new UpstreamError(`${new URL(url).pathname} answered ${response.status}: ${data.error ?? text}`, response.status);
  return data;
}

/** Reads a JSON request body in Koa (which has no body parser of its own), up to `limit` bytes. */
async function readJsonBody(ctx, limit = 1 << 20) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > limit) ctx.throw(413, `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return ctx.throw(400, 'request body is not valid JSON');
  }
}

/** Throws a 400 with `message` unless `condition` holds. */
function check(condition, message) {
  if (!condition) throw Object.assign(new Error(message), { status: 400, expose: true });
}

/** The status an error stands for: its own `status`/`statusCode` (http-errors, Koa), else 500. */
function statusOf(err) {
  const status = err?.status ?? err?.statusCode;
  return Number.isInteger(status) && status >= 400 && status < 600 ? status : 500;
}

/** The JSON body of an error response: the message when it is meant for the caller. */
function errorBody(err, status = statusOf(err)) {
  return { error: status < 500 || err?.expose ? String(err?.message ?? err) : 'internal error' };
}

/**
 * Express error handler that answers in JSON. Register it after `otelErrorHandler()`, which has
 * recorded the error on the request's span by then. A response already under way (a stream of
 * server-sent events) ends with an `error` event instead.
 */
function expressJsonErrors() {
  // Express tells error handlers apart by their four parameters.
  return function jsonErrors(err, req, res, _next) {
    const status = statusOf(err);
    const body = { ...errorBody(err, status), traceId: req.otel?.traceId };
    if (!res.headersSent) res.status(status).json(body);
    else if (!res.writableEnded && !res.destroyed) res.end(sseEvent('error', body));
  };
}

/** One server-sent event: its name and a JSON payload. */
function sseEvent(event, data) {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

module.exports = { postJson, readJsonBody, check, statusOf, errorBody, expressJsonErrors, sseEvent, UpstreamError };
