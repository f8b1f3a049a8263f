// Leadership of the cluster (docs/cluster.md): the once-per-cluster work (monitoring checks, alert
// evaluation, scheduled drills, reconciliation jobs) runs on the one node that holds it. On PostgreSQL
// it is a session advisory lock held on a connection of its own; it moves to another node when that
// connection dies. A store without it (SQLite: one node) makes its node the leader for good.

export interface Leadership {
  /** True while this node holds the leadership (as last checked). */
  isLeader(): boolean;
  /** Tries at once, then keeps trying (as a follower) or checking its connection (as the leader). */
  start(): Promise<void>;
  /** Gives the leadership up (its connection closed), so another node takes it at once. */
  stop(): Promise<void>;
  /** Called on every change, after it happened. */
  onChange(listener: (leader: boolean) => void): void;
}

/** One node alone: always the leader. */
export function soleLeadership(): Leadership {
  const listeners: Array<(leader: boolean) => void> = [];
  let leader = false;
  return {
    isLeader: () => leader,
    async start() {
      leader = true;
      for (const listener of listeners) listener(true);
    },
    async stop() {
      if (!leader) return;
      leader = false;
      for (const listener of listeners) listener(false);
    },
    onChange: (listener) => {
      listeners.push(listener);
    },
  };
}
