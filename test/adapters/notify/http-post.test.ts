// Goal: one delivery try is bounded the ways the brief asks: a redirect is never followed (a signed
// body never reaches another host), at most responseBytesMax of an answer is read, a receiver that
// never answers ends in a failed try, and a refused connection is data, not a throw. Method: local HTTP
// servers in the test; the results are compared, no durations are asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import { httpPost } from '../../../src/adapters/notify/http-post.ts';

async function serve(handler: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` };
}

test('a 2xx is a success and the headers and body arrive as given', async () => {
  const seen: { headers: Record<string, unknown>; body: string } = { headers: {}, body: '' };
  const { server, url } = await serve((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.headers = request.headers;
      seen.body = Buffer.concat(chunks).toString('utf8');
      response.writeHead(204).end();
    });
  });
  try {
    const result = await httpPost(url, '{"id":"evt_1"}', { timeoutMs: 5000, responseBytesMax: 100, headers: { 'Reswipe-Signature': 't=1,v1=ab' } });
    assert.equal(result.ok, true);
    assert.equal(result.status, 204);
    assert.equal(seen.body, '{"id":"evt_1"}');
    assert.equal(seen.headers['reswipe-signature'], 't=1,v1=ab');
  } finally {
    server.close();
  }
});

test('a redirect is a failed try and is not followed', async () => {
  let elsewhere = 0;
  const other = await serve((_request, response) => {
    elsewhere += 1;
    response.writeHead(200).end();
  });
  const { server, url } = await serve((_request, response) => response.writeHead(307, { location: other.url }).end());
  try {
    const result = await httpPost(url, '{}', { timeoutMs: 5000, responseBytesMax: 100 });
    assert.equal(result.ok, false);
    assert.equal(result.status, 307);
    assert.match(result.error ?? '', /redirects are not followed/);
    assert.equal(elsewhere, 0);
  } finally {
    server.close();
    other.server.close();
  }
});

test('only responseBytesMax of a long answer is read; a 500 is a failure with its status', async () => {
  const { server, url } = await serve((_request, response) => {
    response.writeHead(500);
    response.write('x'.repeat(64 * 1024));
    response.end('y'.repeat(64 * 1024));
  });
  try {
    const result = await httpPost(url, '{}', { timeoutMs: 5000, responseBytesMax: 1000 });
    assert.equal(result.ok, false);
    assert.equal(result.status, 500);
    assert.equal(result.responseText.length, 1000);
  } finally {
    server.close();
  }
});

test('a receiver that never answers and a refused connection are failed tries, never throws', async () => {
  const { server, url } = await serve(() => undefined);
  try {
    const silent = await httpPost(url, '{}', { timeoutMs: 200, responseBytesMax: 100 });
    assert.deepEqual([silent.ok, silent.status, silent.error], [false, null, 'no answer within 200 ms']);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const refused = await httpPost(url, '{}', { timeoutMs: 2000, responseBytesMax: 100 });
  assert.equal(refused.ok, false);
  assert.equal(refused.status, null);
  assert.equal(refused.error, 'ECONNREFUSED');
});
