'use strict';
// What is measured: per framework, the server variants (one bench/servers file each, the
// sampled kit being the kit file with SAMPLE_RATIO) and the routes loaded on each of them.
// The proxy route (one global-fetch call per request) is measured on bare (no telemetry), the kit
// with its automatic propagation (the fetch call unchanged), the kit with tracedFetch, and the
// official route for outgoing calls (instrumentation-http + instrumentation-undici).
// `otel`: loads @opentelemetry/api (checked against the line); `telemetry`: exports to the sink.
// The two reference rows (`reference`) are floors, not setups a team would run: the OTel context
// alone, and one SDK span per request written by hand (bench/lib/span-only.js).
const ROUTES = {
  items: { title: 'GET /v1/items/:id (JSON, path parameter, three no-op middlewares)', script: 'items', path: '/v1/items/1' },
  generate: { title: 'POST /v1/generate (JSON body, one recordCost)', script: 'generate', path: '/v1/generate' },
  proxy: { title: 'GET /v1/proxy/:id (fetch to a second local service: propagation cost)', script: 'proxy', path: '/v1/proxy/1' },
};

function frameworkVariants(fw, name, officialInstr) {
  return [
    { id: 'bare', label: `bare ${name}`, proxyLabel: `bare ${name} + fetch`, file: `${fw}-bare.js`, routes: ['items', 'generate', 'proxy'] },
    { id: 'context', label: `${name} + OTel context alone (no SDK)`, file: `${fw}-context.js`, otel: true, reference: true, routes: ['items', 'generate'] },
    { id: 'span', label: `${name} + one SDK span by hand (floor)`, proxyLabel: `${name} + SERVER and CLIENT span by hand (floor)`, file: `${fw}-span.js`, otel: true, telemetry: true, reference: true, routes: ['items', 'generate', 'proxy'] },
    { id: 'kit', label: `${name} + kit`, proxyLabel: `${name} + kit, automatic propagation (global fetch)`, file: `${fw}-kit.js`, otel: true, telemetry: true, kit: true, routes: ['items', 'generate', 'proxy'] },
    { id: 'kit-traced', label: `${name} + kit + tracedFetch`, file: `${fw}-kit.js`, env: { PROXY_FETCH: 'tracedFetch' }, otel: true, telemetry: true, kit: true, routes: ['proxy'] },
    { id: 'kit-sampled', label: `${name} + kit, sampleRatio 0.01`, file: `${fw}-kit.js`, env: { SAMPLE_RATIO: '0.01' }, otel: true, telemetry: true, kit: true, sampled: true, routes: ['items', 'generate'] },
    { id: 'official-http', label: `${name} + official (http only)`, short: 'official (http only)', file: `${fw}-official-http.js`, otel: true, telemetry: true, routes: ['items', 'generate'] },
    { id: 'official', label: `${name} + official (http + ${officialInstr})`, short: `official (http + ${officialInstr})`, file: `${fw}-official.js`, otel: true, telemetry: true, routes: ['items', 'generate'] },
    { id: 'official-outbound', label: `${name} + official (http + undici)`, file: `${fw}-official-http.js`, env: { OFFICIAL_UNDICI: '1' }, otel: true, telemetry: true, routes: ['proxy'] },
  ];
}

const FRAMEWORKS = [
  { id: 'express', title: 'Express 5', variants: frameworkVariants('express', 'Express 5', 'express') },
  { id: 'koa', title: 'Koa 3 + @koa/router', variants: frameworkVariants('koa', 'Koa 3', 'koa') },
];

module.exports = { ROUTES, FRAMEWORKS };
