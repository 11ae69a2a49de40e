'use strict';
// One SERVER span per request, written by hand on the plain SDK: what a sampled request costs
// with nothing but the span every setup exports, the floor under the kit's sampled cost. The SDK
// is set up as in the official variants (NodeSDK, AlwaysOn, one BatchSpanProcessor, OTLP in the
// run's encoding), with no instrumentation. The span carries the attributes the kit's carries
// (semconv HTTP server attributes and tenant.id) and ends when the response closes. Left out,
// where the kit does them: W3C extraction (the bench sends no trace headers, and the kit skips
// it then too), tenant validation and the cardinality cap, the latency metric, Server-Timing,
// route templates through nested routers, error recording. On POST /v1/generate the app records
// the cost with the official variants' hand-written recordCost, so that route's floor does the
// same span and metric work as the kit's recordCost too. On GET /v1/proxy/:id the call to the
// upstream gets a CLIENT span by hand too (the attributes of the kit's), and the propagator's
// headers: the floor of a traced hop, two exported spans.
const { ROOT_CONTEXT, SpanKind, context, propagation, trace } = require('@opentelemetry/api');
const { startOfficial } = require('./official');

/**
 * Starts the SDK; returns `enter(req, res, source, next)`, which runs `next` inside the request's
 * span, and the hand-written `recordCost`.
 */
function spanOnlyMiddleware(serviceName, routeOf) {
  const { recordCost } = startOfficial(serviceName, []);
  const tracer = trace.getTracer('bench-span-only');
  const enter = (req, res, source, next) => {
    const method = req.method;
    const span = tracer.startSpan(method, { kind: SpanKind.SERVER });
    if (span.isRecording()) {
      const url = req.url;
      const query = url.indexOf('?');
      span.setAttribute('http.request.method', method);
      span.setAttribute('url.path', query === -1 ? url : url.slice(0, query));
      span.setAttribute('url.scheme', req.socket.encrypted ? 'https' : 'http');
      const host = req.headers.host;
      if (host !== undefined) {
        const colon = host.lastIndexOf(':');
        span.setAttribute('server.address', colon === -1 ? host : host.slice(0, colon));
        if (colon !== -1) span.setAttribute('server.port', Number(host.slice(colon + 1)));
      }
      span.setAttribute('client.address', req.socket.remoteAddress);
      const tenant = req.headers['x-tenant-id'];
      if (tenant !== undefined) span.setAttribute('tenant.id', tenant);
    }
    res.once('close', () => {
      const route = routeOf(source);
      if (route !== undefined) {
        span.setAttribute('http.route', route);
        span.updateName(`${method} ${route}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    });
    return context.with(trace.setSpan(ROOT_CONTEXT, span), next);
  };
  /** Global fetch with a CLIENT span and the trace headers, for GET requests. */
  const tracedGet = async (url) => {
    const { hostname, port, protocol } = new URL(url);
    const span = tracer.startSpan('GET', {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': 'GET', 'server.address': hostname, 'server.port': port === '' ? (protocol === 'https:' ? 443 : 80) : Number(port), 'url.full': url },
    });
    const headers = {};
    propagation.inject(trace.setSpan(context.active(), span), headers);
    try {
      const response = await fetch(url, { headers });
      span.setAttribute('http.response.status_code', response.status);
      return response;
    } finally {
      span.end();
    }
  };
  return { enter, recordCost, fetch: tracedGet };
}

module.exports = { spanOnlyMiddleware };
