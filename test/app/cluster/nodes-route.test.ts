// Goal: GET /v1/nodes shows this gateway node (alive, leader, its leases) to admin keys only, events
// name the node that wrote them, and the metrics carry the node id and leadership. Method: the test
// gateway (composeGateway on SQLite, fake channels) and the real Fastify app through inject, no sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHttpApp } from '../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../src/app/http-use-cases.ts';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { listClusterNodes } from '../../../src/app/cluster/list-cluster-nodes.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { createFixture, sale, silentLogger } from '../payments/sale-fixture.ts';
import { waitingFor } from '../../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 25 });

test('GET /v1/nodes: this node alive and leading, for admin keys only; events and metrics name the node', async () => {
  const fixture = await createFixture();
  const { store, gateway } = fixture;
  const clock = { nowMs: () => Date.now() };
  const nowMs = Date.now();
  const admin = generateApiKey({ scope: 'admin' }, 'admin', nowMs);
  const merchant = generateApiKey({ scope: 'merchant', merchantId: 'M00000000000001' }, 'merchant', nowMs);
  await store.write(async (tx) => {
    await tx.insertApiKey(admin.record);
    await tx.insertApiKey(merchant.record);
  });
  const config = validateConfig({ security: { developmentMode: true }, log: { level: 'silent' } });
  const app = await buildHttpApp({
    ...createHttpUseCases({ store, clock, logger: silentLogger, config }),
    engine: fixture.engine,
    store,
    clock,
    logger: silentLogger,
    config,
    cluster: { nodeId: gateway.nodeId, nodes: () => listClusterNodes(store, clock.nowMs()) },
  });
  try {
    assert.match(gateway.nodeId, /^[A-Za-z0-9._-]+-[0-9]+-[0-9a-f]{6}$/, 'hostname, pid and a random suffix by default');
    await waitFor('the leader change recorded', async () => (await store.listEvents(0, 100, 'cluster.leader_elected')).length === 1);
    const response = await app.inject({ method: 'GET', url: '/v1/nodes', headers: { authorization: `Bearer ${admin.key}` } });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json() as { answeredBy: string; leader: string | null; data: Array<{ id: string; alive: boolean; leader: boolean; stoppedAt: string | null }> };
    assert.equal(body.answeredBy, gateway.nodeId);
    assert.equal(body.leader, gateway.nodeId);
    assert.deepEqual(body.data.map((node) => [node.id, node.alive, node.leader, node.stoppedAt]), [[gateway.nodeId, true, true, null]]);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/nodes', headers: { authorization: `Bearer ${merchant.key}` } })).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/nodes' })).statusCode, 401);

    const result = await fixture.engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    await gateway.projector.drain();
    const events = (await app.inject({ method: 'GET', url: '/v1/events?limit=100', headers: { authorization: `Bearer ${admin.key}` } })).json() as { data: Array<{ type: string; node?: string }> };
    assert.ok(events.data.length > 0);
    assert.deepEqual([...new Set(events.data.map((event) => event.node))], [gateway.nodeId], 'every event names the node');
    assert.equal(await store.ownerNodeOfPayment(result.kind === 'completed' ? result.view.id : ''), gateway.nodeId, 'the sale is owned by its node');

    const metrics = await gateway.metrics.render();
    assert.ok(metrics.includes(`reswipe_node_info{node="${gateway.nodeId}"} 1`), 'node info metric');
    assert.match(metrics, /^reswipe_node_leader 1$/m);
    assert.match(metrics, /^reswipe_leader_changes_total\{to="leader"\} 1$/m);
    // A clean stop marks the node stopped, so others would take over its sales at once.
    await gateway.membership.stop();
    assert.notEqual((await store.getNode(gateway.nodeId))?.stoppedAtMs ?? null, null);
  } finally {
    await app.close();
    await fixture.close();
  }
});
