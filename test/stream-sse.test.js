'use strict';
// Server-Sent Events end the SERVER span when the stream ends, not when the handler returns or
// the head goes out: several `data:` events over ~100 ms, then the end.
const assert = require('node:assert/strict');
const { STREAM_FRAMEWORKS, runs } = require('./support/stream-apps');
const { readSse } = require('./support/sse-client');
const { listen } = require('./support/servers');
const { startMemoryTelemetry, waitForServerSpans } = require('./support/telemetry');

const ms = ([seconds, nanos]) => seconds * 1e3 + nanos / 1e6;

describe('otelMiddleware() with a Server-Sent Events response', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  for (const framework of STREAM_FRAMEWORKS) {
    describe(framework.name, () => {
      let server;
      before(async () => (server = await listen(framework.create())));
      after(() => server.close());

      const bodies = framework.name.startsWith('Koa') ? ['passthrough', 'readable'] : ['res.write'];
      for (const body of bodies) {
        it(`ends the span with the stream (${body}): it covers every event, with status 200 and the route`, async () => {
          const id = `sse-${body}-${framework.name.replace(/\W/g, '')}`;
          const started = Date.now();
          const res = await readSse(`${server.url}/v1/sse/${id}${body === 'readable' ? '?body=readable' : ''}`);
          assert.equal(res.status, 200);
          assert.match(res.headers['content-type'], /^text\/event-stream/);
          assert.deepEqual(res.events.map((e) => JSON.parse(e).i), [0, 1, 2, 3, 4]);
          await runs.get(id).done;
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.name, 'GET /v1/sse/:id');
          assert.equal(span.attributes['http.route'], '/v1/sse/:id');
          assert.equal(span.attributes['http.response.status_code'], 200);
          assert.equal(span.attributes['error.type'], undefined);
          assert.equal(span.status.code, 0, 'UNSET');
          const writes = runs.get(id).writeTimes;
          assert.ok(ms(span.duration) >= 95, `span lasted ${ms(span.duration)} ms for events over ${writes.at(-1) - writes[0]} ms`);
          // Clocks: the span's is performance.timeOrigin + now(), so allow a few ms against Date.now().
          assert.ok(ms(span.endTime) >= writes.at(-1) - 5, 'the span ends after the last event was written');
          assert.ok(ms(span.startTime) <= started + 5 + (Date.now() - started), 'and started with the request');
          assert.ok(ms(span.endTime) <= res.endedAt + 50, 'and ends around the response end');
        });
      }
    });
  }
});
