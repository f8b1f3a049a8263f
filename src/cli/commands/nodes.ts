// `reswipe nodes [--json]`: the gateway nodes sharing the configured database (docs/cluster.md), as
// GET /v1/nodes shows them: heartbeat, alive, leader, the work leases and reversal tries each holds.
// Reads only.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { listClusterNodes } from '../../app/cluster/list-cluster-nodes.ts';
import type { ClusterView } from '../../core/ports/cluster-store.ts';

interface NodesOptions {
  config?: string;
  json?: boolean;
}

export function renderNodesText(view: ClusterView): string {
  if (view.nodes.length === 0) return 'no gateway node has started on this database yet\n';
  const ageS = (ms: number) => `${Math.max(0, Math.round((view.nowMs - ms) / 1000))} s ago`;
  const lines = view.nodes.map((node) => {
    const state = node.stoppedAtMs !== null ? 'stopped' : node.alive ? 'alive' : 'DEAD (lease expired)';
    const leases = node.leases.map((lease) => `${lease.name}#${lease.epoch}`).join(', ');
    return [
      `${node.leader ? '*' : ' '} ${node.id.padEnd(40)} ${state.padEnd(20)} heartbeat ${ageS(node.lastHeartbeatAtMs)}, started ${new Date(node.startedAtMs).toISOString()}, ${node.version} at ${node.address}`,
      `    leases: ${leases === '' ? 'none' : leases}; reversal tries claimed: ${node.reversalsClaimed}`,
    ].join('\n');
  });
  return `${lines.join('\n')}\nleader: ${view.leader ?? 'none known'} (*)\n`;
}

export function register(program: Command): void {
  addConfigOptions(program.command('nodes').description('the gateway nodes on this database: heartbeat, alive, leader, leases held').option('--json', 'print as JSON')).action(async (options: NodesOptions) => {
    const config = configFromCommand(options);
    const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
    try {
      const view = await listClusterNodes(store, Date.now());
      process.stdout.write(options.json === true ? `${JSON.stringify(view, null, 2)}\n` : renderNodesText(view));
    } finally {
      await store.close();
    }
  });
}
