// Use case: each gateway node writes its own view of each channel (connections, circuit, window) to
// the store every few seconds, so an operator sees every node's view side by side
// (GET /v1/channels/health?nodes=all, docs/cluster.md "Channel health per node"). Health itself stays
// per node: each node's breaker opens and closes on its own traffic, as it should, since a channel may
// be reachable from one machine and not from another.
import type { ChannelHealthRecord, Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';

/** Channels per node at most (the config allows far fewer). */
const channelsMax = 256;

export interface ChannelHealthSource {
  /** This node's connection state of each channel, with its breaker's verdict. */
  health(): ReadonlyArray<{ name: string }>;
  /** This node's circuit view of each channel. */
  circuits(): ReadonlyArray<{ name: string }>;
}

/** Writes this node's view of every channel in one unit. */
export async function publishChannelHealth(deps: { store: Store; clock: Clock; nodeId: string; source: ChannelHealthSource }): Promise<void> {
  const nowMs = deps.clock.nowMs();
  const circuits = deps.source.circuits();
  const records: ChannelHealthRecord[] = deps.source
    .health()
    .slice(0, channelsMax)
    .map((health) => {
      const circuit = circuits.find((view) => view.name === health.name);
      return { nodeId: deps.nodeId, channel: health.name, view: { ...health, ...(circuit === undefined ? {} : { circuit }) }, updatedAtMs: nowMs };
    });
  if (records.length === 0) return;
  await deps.store.write(async (tx) => {
    for (const record of records) await tx.upsertChannelHealth(record);
  });
}

/** Every node's last view, each with its age; a view older than `staleAfterMs` belongs to a node that stopped writing. */
export async function channelHealthOfNodes(deps: { store: Store; clock: Clock; nodeId: string; staleAfterMs: number }): Promise<Array<{ nodeId: string; self: boolean; channel: string; stale: boolean; ageMs: number; view: Record<string, unknown> }>> {
  const nowMs = deps.clock.nowMs();
  return (await deps.store.listChannelHealth()).map((record) => {
    const ageMs = Math.max(0, nowMs - record.updatedAtMs);
    return { nodeId: record.nodeId, self: record.nodeId === deps.nodeId, channel: record.channel, stale: ageMs > deps.staleAfterMs, ageMs, view: record.view };
  });
}
