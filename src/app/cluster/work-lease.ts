// Work that one node at a time may do (docs/cluster.md): the recovery sweep, advice forwarding and
// hold expiry. Each pass first claims or renews its lease (one conditional write); a pass of a node
// that does not hold it does nothing. What the pass writes checks the lease's epoch in the same
// transaction (tx.assertWorkLease), so a node that paused past its lease, and was taken over
// meanwhile, fails its writes with RSW_LEASE_LOST instead of acting on stale state.
import type { HeldLease } from '../../core/ports/cluster-store.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';

export interface WorkLeaseOptions {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  name: string;
  nodeId: string;
  leaseMs: number;
  /** False when this node's own membership lapsed: it must not take work then. */
  mayAct?: () => boolean;
  /** False on a store only one process opens (SQLite): the work simply runs, no lease is claimed (a crashed predecessor's lease must not hold up the restart's recovery). */
  shared?: boolean;
}

export class WorkLease {
  readonly #options: WorkLeaseOptions;
  #held: HeldLease | null = null;

  constructor(options: WorkLeaseOptions) {
    this.#options = options;
  }

  /** The lease as last claimed, if still unexpired by this node's clock. */
  held(): HeldLease | null {
    const held = this.#held;
    return held !== null && held.expiresAtMs > this.#options.clock.nowMs() ? held : null;
  }

  /** Claims or renews the lease; null when another node holds it. A change of epoch is logged. */
  async claim(): Promise<HeldLease | null> {
    const { store, clock, name, nodeId, leaseMs, logger } = this.#options;
    if (this.#options.mayAct?.() === false) {
      this.#held = null;
      return null;
    }
    const lease = await store.write((tx) => tx.claimWorkLease(name, nodeId, clock.nowMs(), leaseMs));
    if (lease !== null && (this.#held === null || this.#held.epoch !== lease.epoch)) logger.info({ lease: name, epoch: lease.epoch }, 'work lease taken');
    this.#held = lease;
    return lease;
  }

  /** Runs `task` under the lease when this node holds (or takes) it; false when another node does. Null for a store of one process. */
  async run(task: (lease: HeldLease | null) => Promise<unknown>): Promise<boolean> {
    if (this.#options.shared === false) {
      await task(null);
      return true;
    }
    const lease = await this.claim();
    if (lease === null) return false;
    await task(lease);
    return true;
  }

  /** Gives the lease up at a clean stop, so another node takes it at once. */
  async release(): Promise<void> {
    const held = this.#held;
    this.#held = null;
    if (held !== null) await this.#options.store.write((tx) => tx.releaseWorkLease(held)).catch(() => undefined);
  }
}
