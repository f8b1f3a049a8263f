// The console's static files (src/adapters/http/console-static.ts) behind the API's security headers:
// the page never cached, hashed assets cached a year, gzip when asked, unknown console paths answered
// with the page (the app routes in the browser), a missing asset a 404, and a clear page when the
// console was not built.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { consoleContentSecurityPolicy, consoleStaticRoutes } from '../../../src/adapters/http/console-static.ts';
import { apiContentSecurityPolicy, registerSecurityHeaders } from '../../../src/adapters/http/security-headers.ts';

const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;
const indexHtml = '<!doctype html><html><head><script type="module" src="/console/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>';

async function appServing(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  registerSecurityHeaders(app);
  await app.register(consoleStaticRoutes, { distDir, settings: { timeZone: 'Asia/Shanghai' } });
  app.get('/v1/ping', async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('console static files', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reswipe-console-static-'));
    mkdirSync(join(dir, 'assets'));
    mkdirSync(join(dir, '.vite'));
    writeFileSync(join(dir, 'index.html'), indexHtml);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), script);
    writeFileSync(join(dir, '.vite', 'manifest.json'), '{}');
    app = await appServing(dir);
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the page is served with the console CSP and is never cached', async () => {
    const answer = await app.inject({ method: 'GET', url: '/console/' });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.body, indexHtml);
    assert.equal(answer.headers['content-security-policy'], consoleContentSecurityPolicy);
    assert.equal(answer.headers['cache-control'], 'no-cache');
    assert.equal(answer.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(consoleContentSecurityPolicy, /unsafe-inline|unsafe-eval/);
  });

  test('/console redirects to /console/, and any path of the app falls back to the page', async () => {
    const bare = await app.inject({ method: 'GET', url: '/console' });
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/console/');
    const deep = await app.inject({ method: 'GET', url: '/console/payments/pay_123' });
    assert.equal(deep.statusCode, 200);
    assert.equal(deep.body, indexHtml);
  });

  test('hashed assets are cached for a year, gzipped when the browser accepts it, and revalidated by ETag', async () => {
    const plain = await app.inject({ method: 'GET', url: '/console/assets/index-abc123.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, script);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    const gzipped = await app.inject({ method: 'GET', url: '/console/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gzipped.rawPayload).toString('utf8'), script);
    assert.ok(gzipped.rawPayload.length < script.length / 10);
    const again = await app.inject({ method: 'GET', url: '/console/assets/index-abc123.js', headers: { 'if-none-match': String(plain.headers.etag) } });
    assert.equal(again.statusCode, 304);
  });

  test('a missing asset is a 404, not the page; the build manifest is not served', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/console/assets/index-old999.js' })).statusCode, 404);
    const manifest = await app.inject({ method: 'GET', url: '/console/.vite/manifest.json' });
    assert.equal(manifest.body, indexHtml);
  });

  test('settings.json gives the business time zone; the API keeps its own no-store and nothing-loads CSP', async () => {
    const settings = await app.inject({ method: 'GET', url: '/console/settings.json' });
    assert.deepEqual(settings.json(), { timeZone: 'Asia/Shanghai' });
    const api = await app.inject({ method: 'GET', url: '/v1/ping' });
    assert.equal(api.headers['cache-control'], 'no-store');
    assert.equal(api.headers['content-security-policy'], apiContentSecurityPolicy);
  });

  test('without a build, /console/ says the console was not built and how to build it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'reswipe-console-empty-'));
    const bare = await appServing(empty);
    try {
      const answer = await bare.inject({ method: 'GET', url: '/console/' });
      assert.equal(answer.statusCode, 503);
      assert.match(answer.body, /console was not built/);
      assert.match(answer.body, /npm install/);
      assert.equal(answer.headers['cache-control'], 'no-store');
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
