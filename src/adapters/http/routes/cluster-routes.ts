// GET /v1/nodes (admin keys): the gateway nodes sharing this database (docs/cluster.md): each with its
// heartbeat, whether its lease holds, whether it leads, the work leases and reversal tries it holds;
// plus which node answered and how far the payment projector is behind.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ClusterView } from '../../../core/ports/cluster-store.ts';
import type { ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';

export interface ClusterRoutesOptions {
  auth: ApiAuth;
  /** This node's id. */
  nodeId: string;
  nodes(): Promise<ClusterView>;
  /** The payment projector's lag (it runs on the leader); null when unknown. */
  projectorLag?: () => Promise<{ lagMs: number } | null>;
}

const iso = (description: string) => Type.String({ description: `${description}, ISO 8601 UTC` });

const nodeView = Type.Object({
  id: Type.String(),
  version: Type.String(),
  address: Type.String({ description: 'host:port of its HTTP API as configured' }),
  startedAt: iso('when the node started'),
  lastHeartbeatAt: iso('its last heartbeat'),
  leaseExpiresAt: iso('it counts as dead after this unless it heartbeats again'),
  stoppedAt: Type.Union([Type.String(), Type.Null()], { description: 'a clean stop, ISO 8601 UTC; null while running (or after a crash)' }),
  alive: Type.Boolean(),
  leader: Type.Boolean({ description: 'runs the once-per-cluster work: monitoring, alerts, drills, reconciliation, the projector' }),
  leases: Type.Array(Type.Object({ name: Type.String(), epoch: Type.Integer(), expiresAt: Type.String() }), { description: 'work leases it holds (recovery, advices)' }),
  reversalsClaimed: Type.Integer({ description: 'pending reversals whose last try this node claimed' }),
});

const errors = { 401: problemSchema, 403: problemSchema, 429: problemSchema };

export async function clusterRoutes(app: FastifyInstance, options: ClusterRoutesOptions): Promise<void> {
  app.addHook('onRequest', options.auth.guard);
  app.get(
    '/nodes',
    {
      schema: {
        summary: 'The gateway nodes on this database, the leader, and the leases each holds (admin keys only)',
        tags: ['cluster'],
        security: [{ bearerAuth: [] }],
        response: {
          200: Type.Object({
            answeredBy: Type.String({ description: 'the node that answered this request' }),
            leader: Type.Union([Type.String(), Type.Null()]),
            projectorLagMs: Type.Union([Type.Integer(), Type.Null()], { description: 'age of the oldest payment journal entry not projected yet' }),
            data: Type.Array(nodeView),
          }),
          ...errors,
        },
      },
    },
    async () => {
      const view = await options.nodes();
      const lag = (await options.projectorLag?.().catch(() => null)) ?? null;
      const at = (ms: number) => new Date(ms).toISOString();
      return {
        answeredBy: options.nodeId,
        leader: view.leader,
        projectorLagMs: lag === null ? null : Math.round(lag.lagMs),
        data: view.nodes.map((node) => ({
          id: node.id,
          version: node.version,
          address: node.address,
          startedAt: at(node.startedAtMs),
          lastHeartbeatAt: at(node.lastHeartbeatAtMs),
          leaseExpiresAt: at(node.leaseExpiresAtMs),
          stoppedAt: node.stoppedAtMs === null ? null : at(node.stoppedAtMs),
          alive: node.alive,
          leader: node.leader,
          leases: node.leases.map((lease) => ({ name: lease.name, epoch: lease.epoch, expiresAt: at(lease.expiresAtMs) })),
          reversalsClaimed: node.reversalsClaimed,
        })),
      };
    },
  );
}
