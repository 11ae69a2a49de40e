'use strict';
// Route templates through Express's mounting features, on both majors.
const assert = require('node:assert/strict');
const path = require('node:path');
const request = require('supertest');
const { listen } = require('../support/servers');
const { metricPoint, startMemoryTelemetry, waitForServerSpans } = require('../support/telemetry');
const { otelMiddleware } = require('@motadata/otel/express');

for (const [name, express] of [['Express 5', require('express')], ['Express 4', require('express4')]]) {
  describe(`otelMiddleware(): ${name} route templates`, () => {
    let telemetry;
    let app;
    before(async () => {
      telemetry = await startMemoryTelemetry();
      const root = express();
      root.use(otelMiddleware());
      const ok = (req, res) => res.json({ route: req.otel.route });

      const sub = express(); // a sub-app mounted with a parameter
      sub.get('/runs/:runId', ok);
      root.use('/orgs/:org', sub);

      const shared = express.Router(); // one router mounted at two places
      shared.get('/items/:id', ok);
      root.use('/v1', shared);
      root.use('/v2/:tenant', shared);

      const outer = express.Router();
      const inner = express.Router({ mergeParams: true });
      inner.get('/', ok);
      outer.use('/projects/:pid/jobs', inner);
      root.use('/api', outer);

      const pair = express.Router(); // two parameters in one segment of the mount path
      pair.get('/x', ok);
      root.use('/t/:a-:b', pair);
      app = await listen(root);
    });
    after(async () => {
      await app.close();
      await telemetry.shutdown();
    });
    beforeEach(() => telemetry.reset());

    const cases = [
      ['/orgs/acme/runs/7', '/orgs/:org/runs/:runId'],
      ['/v1/items/3', '/v1/items/:id'],
      ['/v2/globex/items/4', '/v2/:tenant/items/:id'],
      ['/v1/items/5', '/v1/items/:id'],
      ['/api/projects/p9/jobs', '/api/projects/:pid/jobs/'],
      // The second must not be named by the first one's raw values (the template is cached).
      ['/t/john-doe/x', '/t/:a-:b/x'],
      ['/t/jane-roe/x', '/t/:a-:b/x'],
    ];
    for (const [path, template] of cases) {
      it(`names ${path} by ${template}`, async () => {
        const res = await request(app.url).get(path).expect(200);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.attributes['http.route'], template);
        assert.equal(span.name, `GET ${template}`);
        assert.equal(res.body.route, template);
      });
    }

    // Each path in turn: the template its SERVER span got (name and http.route agree). `target` is
    // a URL, or an app served for the call.
    async function templatesOf(target, paths) {
      const server = typeof target === 'string' ? undefined : await listen(target);
      try {
        const templates = [];
        for (const [path, status = 200] of paths) {
          telemetry.reset();
          await request(server?.url ?? target).get(path).expect(status);
          const [span] = await waitForServerSpans(telemetry);
          assert.equal(span.name, `GET ${span.attributes['http.route']}`);
          templates.push(span.attributes['http.route']);
        }
        return templates;
      } finally {
        await server?.close();
      }
    }
    const ok = (req, res) => res.json({});
    const okOrFail = (req, res, next) => (req.query.fail ? next(new Error('boom')) : res.json({}));

    it('names a router mounted in two apps by the mount of the app that served the request', async () => {
      const shared = express.Router();
      shared.get('/items/:id', ok);
      const servers = [];
      for (const mount of ['/public', '/internal/v1']) {
        const app = express();
        app.use(otelMiddleware());
        app.use(mount, shared);
        servers.push(await listen(app));
      }
      try {
        assert.deepEqual(await templatesOf(servers[0].url, [['/public/items/1']]), ['/public/items/:id']);
        assert.deepEqual(await templatesOf(servers[1].url, [['/internal/v1/items/2']]), ['/internal/v1/items/:id']);
        assert.deepEqual(await templatesOf(servers[0].url, [['/public/items/3']]), ['/public/items/:id']);
      } finally {
        for (const server of servers) await server.close();
      }
    });

    it('names an error a sub-app passed to the parent\'s error handler as its successes', async () => {
      const root = express();
      root.use(otelMiddleware());
      const sub = express();
      sub.get('/s/:id', okOrFail);
      const deep = express.Router();
      deep.get('/:d', okOrFail);
      sub.use('/deep', deep);
      root.use('/sub/:tenant', sub);
      root.use((err, req, res, _next) => res.status(500).json({ error: err.message }));
      const templates = await templatesOf(root, [
        // Before the sub-app has answered anything: its route is found under the parent's mount.
        ['/sub/acme/s/1?fail=1', 500],
        ['/sub/acme/s/2'],
        // In a router of the sub-app, which is known once a request was routed inside it.
        ['/sub/acme/deep/3?fail=1', 500],
        ['/sub/acme/deep/4'],
      ]);
      assert.deepEqual(templates, ['/sub/:tenant/s/:id', '/sub/:tenant/s/:id', '/sub/:tenant/deep/:d', '/sub/:tenant/deep/:d']);
    });

    it('names requests alike whatever the case of the path\'s letters', async () => {
      const root = express();
      root.use(otelMiddleware());
      const once = express.Router();
      once.get('/x/:id', ok);
      root.use('/api', once);
      const twice = express.Router(); // two chains: resolved per request
      twice.get('/y/:id', ok);
      root.use('/a', twice);
      root.use('/b/:t', twice);
      const upper = express.Router();
      upper.get('/z/:id', ok);
      root.use('/Admin', upper);
      const templates = await templatesOf(root, [['/aPI/x/1'], ['/api/x/2'], ['/A/y/1'], ['/a/y/2'], ['/B/T1/y/3'], ['/ADMIN/z/1'], ['/admin/z/2']]);
      // Express 4 keeps no mount string, only a case-insensitive RegExp: its literal text is
      // taken lower-cased.
      const admin = name === 'Express 4' ? '/admin/z/:id' : '/Admin/z/:id';
      assert.deepEqual(templates, ['/api/x/:id', '/api/x/:id', '/a/y/:id', '/a/y/:id', '/b/:t/y/:id', admin, admin]);
    });

    it('names a router mounted at an array of paths by the path that matched', async () => {
      const root = express();
      root.use(otelMiddleware());
      const router = express.Router();
      router.get('/x/:id', ok);
      root.use(['/m1', '/m2/:v'], router);
      const templates = await templatesOf(root, [['/m2/v7/x/1'], ['/m1/x/2'], ['/m2/v8/x/3']]);
      assert.deepEqual(templates, ['/m2/:v/x/:id', '/m1/x/:id', '/m2/:v/x/:id']);
    });

    it('names an error answered by an error handler below the top app with all its mounts', async () => {
      const errorHandler = (err, req, res, _next) => res.status(500).json({ error: err.message });
      const root = express();
      root.use(otelMiddleware());
      const sub = express(); // its own error handler
      const inSub = express.Router();
      inSub.get('/x/:id', okOrFail);
      sub.use('/r/:rid', inSub);
      sub.use(errorHandler);
      root.use('/s/:sid', sub);
      const outer = express.Router(); // a router's error handler
      const inner = express.Router();
      inner.get('/jobs/:jid', okOrFail);
      outer.use('/projects/:pid', inner);
      outer.use(errorHandler);
      root.use('/api', outer);
      // Failures first: no success has named (and cached) the route yet.
      const templates = await templatesOf(root, [['/s/1/r/2/x/3?fail=1', 500], ['/api/projects/p1/jobs/1?fail=1', 500], ['/s/1/r/2/x/4'], ['/api/projects/p2/jobs/2']]);
      assert.deepEqual(templates, ['/s/:sid/r/:rid/x/:id', '/api/projects/:pid/jobs/:jid', '/s/:sid/r/:rid/x/:id', '/api/projects/:pid/jobs/:jid']);
    });

    it('names an error of a router shared by two sub-apps after the sub-app it came through', async () => {
      const root = express();
      root.use(otelMiddleware());
      const shared = express.Router();
      shared.get('/h/:id', okOrFail);
      const a = express();
      a.use(shared);
      const b = express();
      b.use(shared);
      root.use('/a', a);
      root.use('/b/:bid', b);
      root.use((err, req, res, _next) => res.status(500).json({ error: err.message }));
      const templates = await templatesOf(root, [['/a/h/1'], ['/b/b1/h/2'], ['/b/b2/h/3?fail=1', 500], ['/a/h/4?fail=1', 500]]);
      assert.deepEqual(templates, ['/a/h/:id', '/b/:bid/h/:id', '/b/:bid/h/:id', '/a/h/:id']);
    });

    it('names a sub-app mounted at an array of paths by the path that matched', async () => {
      const root = express();
      root.use(otelMiddleware());
      const sub = express();
      sub.get('/items/:id', okOrFail);
      root.use(['/a', '/b'], sub);
      root.use((err, req, res, _next) => res.status(500).json({ error: err.message }));
      const templates = await templatesOf(root, [['/a/items/1'], ['/b/items/2'], ['/a/items/3'], ['/b/items/4?fail=1', 500], ['/a/items/5?fail=1', 500]]);
      assert.deepEqual(templates, ['/a/items/:id', '/b/items/:id', '/a/items/:id', '/b/items/:id', '/a/items/:id']);
    });

    it('names a sub-app mounted at an array of paths inside another sub-app by the path that matched', async () => {
      const root = express();
      root.use(otelMiddleware());
      const outer = express();
      const inner = express();
      inner.get('/items/:id', ok);
      outer.use(['/a', '/b'], inner);
      root.use('/o/:oid', outer);
      // And the other way round: a sub-app at one path in a sub-app mounted at an array.
      const top = express();
      const leaf = express();
      leaf.get('/things/:id', ok);
      top.use('/s', leaf);
      root.use(['/p', '/q/:qid'], top);
      const templates = await templatesOf(root, [['/o/o1/a/items/1'], ['/o/o2/b/items/2'], ['/o/o3/a/items/3'], ['/p/s/things/1'], ['/q/q1/s/things/2'], ['/p/s/things/3']]);
      assert.deepEqual(templates, ['/o/:oid/a/items/:id', '/o/:oid/b/items/:id', '/o/:oid/a/items/:id', '/p/s/things/:id', '/q/:qid/s/things/:id', '/p/s/things/:id']);
    });

    it('names a sub-app mounted at an array with a parameterised path by its template', async () => {
      const root = express();
      root.use(otelMiddleware());
      const sub = express();
      sub.get('/items/:id', ok);
      const deep = express.Router();
      deep.get('/:d', ok);
      sub.use('/deep', deep);
      root.use(['/t/:tid', '/u'], sub);
      const templates = await templatesOf(root, [['/t/42/items/1'], ['/u/items/2'], ['/t/43/items/3'], ['/u/deep/4'], ['/t/44/deep/5']]);
      assert.deepEqual(templates, ['/t/:tid/items/:id', '/u/items/:id', '/t/:tid/items/:id', '/u/deep/:d', '/t/:tid/deep/:d']);
    });

    it('names a sub-app mounted through a router by the router\'s mount and its own', async () => {
      const root = express();
      root.use(otelMiddleware());
      const sub = express();
      sub.get('/items/:id', okOrFail);
      const router = express.Router();
      router.use('/x', sub);
      root.use('/v1', router);
      const param = express();
      param.get('/items/:id', ok);
      const router2 = express.Router();
      router2.use('/x/:xid', param);
      root.use('/v2', router2);
      const both = express(); // and at an array of paths
      both.get('/items/:id', ok);
      const router3 = express.Router();
      router3.use(['/c1', '/c2/:p'], both);
      root.use('/v3', router3);
      root.use((err, req, res, _next) => res.status(500).json({ error: err.message }));
      const templates = await templatesOf(root, [
        ['/v1/x/items/1'],
        ['/v1/x/items/2'],
        ['/v2/x/x1/items/3'],
        ['/v2/x/x2/items/4'],
        ['/v1/x/items/5?fail=1', 500],
        ['/v3/c2/p1/items/6'],
        ['/v3/c1/items/7'],
      ]);
      assert.deepEqual(templates, ['/v1/x/items/:id', '/v1/x/items/:id', '/v2/x/:xid/items/:id', '/v2/x/:xid/items/:id', '/v1/x/items/:id', '/v3/c2/:p/items/:id', '/v3/c1/items/:id']);
    });

    it('names a sub-app a router of a sub-app mounts by all the mounts once that sub-app is known', async () => {
      const root = express();
      root.use(otelMiddleware());
      const outer = express();
      outer.get('/own/:id', ok);
      const router = express.Router();
      const inner = express();
      inner.get('/items/:id', ok);
      router.use('/x/:xid', inner);
      outer.use(router);
      root.use('/s/:sid', outer);
      // A request routed in `outer` makes it known: the router mounting `inner` is in it.
      const templates = await templatesOf(root, [['/s/s1/own/1'], ['/s/s2/x/x1/items/2'], ['/s/s3/x/x2/items/3']]);
      assert.deepEqual(templates, ['/s/:sid/own/:id', '/s/:sid/x/:xid/items/:id', '/s/:sid/x/:xid/items/:id']);
    });

    it('gives req.otel to every request of the middleware\'s app, lets an app assign its own, and a no-op elsewhere', async () => {
      const traced = express();
      traced.use(otelMiddleware({ ignore: ['/health'] }));
      traced.get('/mine', (req, res) => {
        req.otel = { mine: true };
        res.json(req.otel);
      });
      traced.get('/health', (req, res) => res.json({ traceId: req.otel.traceId, tenantId: req.otel.tenantId ?? null }));
      traced.get('/t', (req, res) => res.json({ traceId: req.otel.traceId }));
      const plain = express(); // same Express, no middleware
      plain.get('/p', (req, res) => res.json({ traceId: req.otel.traceId }));
      const [a, b] = [await listen(traced), await listen(plain)];
      try {
        assert.deepEqual((await request(a.url).get('/mine').expect(200)).body, { mine: true });
        assert.deepEqual((await request(a.url).get('/health').expect(200)).body, { traceId: '', tenantId: null });
        const t = (await request(a.url).get('/t').expect(200)).body;
        assert.match(t.traceId, /^[0-9a-f]{32}$/);
        // The getter reads the state of this request, not of one before it.
        assert.notEqual((await request(a.url).get('/t').expect(200)).body.traceId, t.traceId);
        assert.deepEqual((await request(b.url).get('/p').expect(200)).body, { traceId: '' });
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('keeps req.otel, the span and its metric when the app replaces res.locals', async () => {
      const seen = [];
      const replaced = express();
      replaced.use(otelMiddleware());
      // Some apps and view helpers assign a fresh res.locals; the kit keeps its state there.
      replaced.use((req, res, next) => {
        res.locals = { user: 'ada' };
        next();
      });
      replaced.get('/v1/replaced/:id', async (req, res) => {
        seen.push(req.otel.traceId);
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(req.otel.traceId); // after an await: found through the request's context
        res.json({ traceId: req.otel.traceId, route: req.otel.route });
      });
      const server = await listen(replaced);
      try {
        const res = await request(server.url).get('/v1/replaced/7').expect(200);
        const [span] = await waitForServerSpans(telemetry);
        assert.match(res.body.traceId, /^[0-9a-f]{32}$/);
        assert.deepEqual(seen, [res.body.traceId, res.body.traceId]);
        assert.equal(res.body.route, '/v1/replaced/:id');
        // The span still ended when the response closed, named by its route.
        assert.equal(span.spanContext().traceId, res.body.traceId);
        assert.equal(span.name, 'GET /v1/replaced/:id');
        assert.equal(span.attributes['http.response.status_code'], 200);
        assert.ok(res.headers['server-timing'].includes(res.body.traceId));
        const point = await metricPoint(telemetry, 'http.server.request.duration', { 'http.route': '/v1/replaced/:id' });
        assert.equal(point?.value.count, 1);
      } finally {
        await server.close();
      }
    });
  });
}

describe('otelMiddleware(): one middleware shared by an Express 5 and an Express 4 app', () => {
  let telemetry;
  before(async () => {
    telemetry = await startMemoryTelemetry();
  });
  after(() => telemetry.shutdown());

  // A copy of Express loaded afresh: its request prototype has never had the getter (the tests
  // above gave it to the cached copies).
  function freshExpress(name) {
    const dir = `${path.sep}node_modules${path.sep}${name}${path.sep}`;
    for (const key of Object.keys(require.cache)) if (key.includes(dir)) delete require.cache[key];
    return require(name);
  }

  // The middleware remembers the request prototype it last gave the req.otel getter; requests of
  // another Express copy have another prototype and must still get the getter and their spans.
  it('gives req.otel to the requests of both, whichever came first', async () => {
    const shared = otelMiddleware();
    const servers = [];
    for (const express of [freshExpress('express'), freshExpress('express4')]) {
      const app = express();
      app.use(shared);
      app.get('/v1/who/:id', (req, res) => res.json({ traceId: req.otel.traceId, route: req.otel.route }));
      servers.push(await listen(app));
    }
    try {
      const ids = [];
      for (const server of [...servers, ...servers]) {
        const res = await request(server.url).get('/v1/who/1').expect(200);
        assert.match(res.body.traceId, /^[0-9a-f]{32}$/);
        assert.equal(res.body.route, '/v1/who/:id');
        ids.push(res.body.traceId);
      }
      assert.equal(new Set(ids).size, 4);
      const spans = await waitForServerSpans(telemetry, 4);
      assert.deepEqual(spans.map((s) => s.spanContext().traceId).sort(), [...ids].sort());
    } finally {
      for (const server of servers) await server.close();
    }
  });
});
