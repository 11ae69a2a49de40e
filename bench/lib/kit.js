'use strict';
// Starts the kit the way an application would, from the BUILT package (the package's own
// "exports" map through the self-reference), configured like the official variants: every
// signal over OTLP/HTTP to the sink, metrics pushed every second, no http instrumentation.
const { env } = require('./server-env');

function startKit(serviceName) {
  const { initTelemetry } = require('@motadata/otel');
  const otlp = { exporter: 'otlp', endpoint: env.otlpEndpoint, protocol: env.otlpProtocol };
  return initTelemetry({
    serviceName,
    traces: { ...otlp, sampleRatio: env.sampleRatio },
    metrics: { ...otlp, intervalMillis: env.metricIntervalMs },
    logs: otlp,
    instrumentHttp: false,
  });
}

module.exports = { startKit };
