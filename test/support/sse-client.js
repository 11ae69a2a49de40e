'use strict';
// A Server-Sent Events client on a real socket: reads `data:` events as they arrive, and can
// go away mid-stream (destroy the socket) after a number of them, as a closed browser tab does.
const http = require('node:http');

/**
 * GETs `url` and resolves with { status, headers, events, endedAt } when the response ends, or,
 * with `destroyAfter`, once that many events arrived and the socket is destroyed.
 */
function readSse(url, { headers = {}, destroyAfter } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (text) => {
        buffer += text;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          events.push(data);
        }
        if (destroyAfter !== undefined && events.length >= destroyAfter) {
          req.destroy();
          resolve({ status: res.statusCode, headers: res.headers, events, destroyed: true });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, events, endedAt: Date.now() }));
      res.on('error', () => {});
    });
    req.on('error', (err) => (destroyAfter === undefined ? reject(err) : undefined));
  });
}

module.exports = { readSse };
