'use strict';
// The "second local service" of the propagation scenario: a bare node:http server with no
// framework and no telemetry, so the proxy route's cost is the caller's (fetch vs tracedFetch).
const http = require('node:http');

const PORT = Number(process.env.PORT || 0);
const BODY = JSON.stringify({ upstream: true, price: 42 });

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', Buffer.byteLength(BODY));
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(PORT, '127.0.0.1', () => console.log('ready'));
