'use strict';
// What the outbound tests share: a downstream that answers with the headers it got, one call per
// client (global fetch and node:http), and what this Node allows node:http clients.
const http = require('node:http');
const { listen } = require('./servers');

// Node publishes `http.client.request.created`, where a request's headers can still be set, from
// 22.12 and 23.2; before, `http.client.request.start` comes once the head is written, so plain
// node:http requests get their CLIENT span and no header there.
const [major, minor] = process.versions.node.split('.').map(Number);
const HTTP_HEADERS_SETTABLE = major > 23 || (major === 23 && minor >= 2) || (major === 22 && minor >= 12);

/**
 * A server that answers every request with `{ method, url, headers }` as JSON, with the status of
 * `?status=` (default 200), and keeps what it saw in `seen`. `?slowBody=ms` sends the head at
 * once and the body `ms` later.
 */
async function startEcho() {
  const seen = [];
  const server = await listen(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const record = { method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body };
    seen.push(record);
    const query = new URL(req.url, 'http://x').searchParams;
    res.statusCode = Number(query.get('status') ?? 200);
    res.setHeader('content-type', 'application/json');
    const slow = query.get('slowBody');
    if (slow === null) return res.end(JSON.stringify(record));
    res.flushHeaders();
    setTimeout(() => res.end(JSON.stringify(record)), Number(slow));
  });
  return { ...server, seen };
}

/** `rawHeaders` values of a header, however many times it was sent. */
function sentValues(record, name) {
  const values = [];
  for (let i = 0; i < record.rawHeaders.length; i += 2) if (record.rawHeaders[i].toLowerCase() === name) values.push(record.rawHeaders[i + 1]);
  return values;
}

/** GET `url` with node:http (options merged in: headers, lookup) and resolve with { status, body }. */
function httpGet(url, options = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}

/** The two clients every Node has, called the same way. */
const CLIENTS = [
  {
    name: 'fetch',
    headersSettable: true,
    call: async (url, headers) => {
      const res = await fetch(url, { headers });
      return { status: res.status, body: await res.text() };
    },
  },
  {
    name: 'http.get',
    headersSettable: HTTP_HEADERS_SETTABLE,
    call: (url, headers) => httpGet(url, { headers }),
  },
];

/** A lookup (as node:http, axios and got take it) that resolves every name to 127.0.0.1. */
function lookupLoopback(hostname, options, callback) {
  if (typeof options === 'function') callback = options;
  if (options && options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}

/** A port nothing listens on (a server opened and closed). */
async function closedPort() {
  const probe = await listen(() => {});
  const { port } = new URL(probe.url);
  await probe.close();
  return port;
}

module.exports = { startEcho, sentValues, httpGet, CLIENTS, HTTP_HEADERS_SETTABLE, lookupLoopback, closedPort };
