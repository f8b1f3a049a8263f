// Work that one node at a time may do (docs/cluster.md): the recovery sweep, advice forwarding and
// hold expiry, QR queries and cancels. Each pass first claims or renews its lease (one conditional write); a pass of a node
// that does not hold it does nothing. Every item the pass handles is fenced (LeaseFence): its write
// checks the lease's epoch in the same transaction (tx.assertWorkLease), and nothing is sent once the
// lease may have lapsed by this node's clock. So a node that paused past its lease, and was taken over
// meanwhile, fails its next write with RSW_LEASE_LOST and its pass stops, instead of acting on stale state.
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import type { ClusterStoreTx, HeldLease } from '../../core/ports/cluster-store.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { ownLeaseMarginMsMax } from './node-membership.ts';

/** What a pass run under a work lease checks for each item it handles. */
export interface LeaseFence {
  readonly lease: HeldLease;
  /** False once the lease may have passed to another node (its expiry by this node's clock, less a margin for clock skew): send nothing more. */
  holds(): boolean;
  /** In the item's write, first: throws RSW_LEASE_LOST (the unit rolls back whole) when the lease was taken over or has expired. */
  check(tx: Pick<ClusterStoreTx, 'assertWorkLease'>): Promise<void>;
}

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

  /** The fence of a pass under `lease`: what each of its items checks before sending and in its write. */
  fenceOf(lease: HeldLease): LeaseFence {
    const { clock, leaseMs } = this.#options;
    const marginMs = Math.min(ownLeaseMarginMsMax, Math.floor(leaseMs / 4));
    return {
      lease,
      holds: () => this.#options.mayAct?.() !== false && clock.nowMs() < lease.expiresAtMs - marginMs,
      check: (tx) => tx.assertWorkLease(lease, clock.nowMs()),
    };
  }

  /**
   * Runs `task` under the lease when this node holds (or takes) it; false when another node does. The
   * fence is null for a store of one process. A task that finds the lease lost (RSW_LEASE_LOST) stops
   * there: that is logged, not thrown, and the next pass claims the lease again (or finds it taken).
   */
  async run(task: (fence: LeaseFence | null) => Promise<unknown>): Promise<boolean> {
    if (this.#options.shared === false) {
      await task(null);
      return true;
    }
    const lease = await this.claim();
    if (lease === null) return false;
    try {
      await task(this.fenceOf(lease));
    } catch (error) {
      if (!isReswipeError(error, 'RSW_LEASE_LOST')) throw error;
      this.#held = null;
      this.#options.logger.warn({ lease: lease.name, epoch: lease.epoch }, 'work lease lost mid-pass: the pass stopped');
      return false;
    }
    return true;
  }

  /** Gives the lease up at a clean stop, so another node takes it at once. */
  async release(): Promise<void> {
    const held = this.#held;
    this.#held = null;
    if (held !== null) await this.#options.store.write((tx) => tx.releaseWorkLease(held)).catch(() => undefined);
  }
}
