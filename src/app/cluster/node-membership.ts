// This gateway node's membership of the cluster (docs/cluster.md): a row in `nodes` renewed by a
// heartbeat, whose lease says to every other node that this one is alive. While its lease holds, no
// other node takes its sales over; once it lapses (a crash, a pause, a lost database) they do. So the
// node itself must stop acting the moment its own lease may have lapsed: mayAct() is false from then
// until a heartbeat succeeds again, and the engine sends nothing meanwhile.
import { hostname } from 'node:os';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { Random } from '../../core/time/random.ts';

export interface NodeMembershipOptions {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  nodeId: string;
  heartbeatIntervalMs: number;
  leaseMs: number;
  version: string;
  address: string;
  /** Runs the heartbeat every interval until stopped; unref'd real timers by default, a simulation passes its own. */
  every?: (intervalMs: number, task: () => void) => () => void;
}

/**
 * Acting stops this long before the lease the others see expires: the last heartbeat's time is taken
 * before its write, so a node's own view is never later than the row's, and the margin covers the
 * skew between nodes' clocks (keep them synchronised: docs/cluster.md).
 */
export const ownLeaseMarginMsMax = 1000;

export class NodeMembership {
  readonly nodeId: string;
  readonly #options: NodeMembershipOptions;
  readonly #startedAtMs: number;
  /** The lease this node may rely on: until the last successful heartbeat's start plus the lease. */
  #ownLeaseUntilMs = 0;
  #stopTimer: (() => void) | null = null;
  #beating: Promise<void> | null = null;
  #stopped = false;

  constructor(options: NodeMembershipOptions) {
    if (options.leaseMs < 2 * options.heartbeatIntervalMs) throw new Error('broken invariant: a node lease must outlast two heartbeats');
    this.#options = options;
    this.nodeId = options.nodeId;
    this.#startedAtMs = options.clock.nowMs();
  }

  /** Writes the first heartbeat (the node is a member once it returns), then renews every interval. */
  async start(): Promise<void> {
    await this.heartbeat();
    if (this.#stopped) return;
    const every = this.#options.every ?? unrefEvery;
    this.#stopTimer = every(this.#options.heartbeatIntervalMs, () => {
      this.#beating ??= this.heartbeat()
        .catch((error: unknown) => {
          this.#options.logger.error({ error: error instanceof Error ? error.message : 'unknown', leaseUntilMs: this.#ownLeaseUntilMs }, 'node heartbeat failed; this node stops sending once its lease lapses');
        })
        .finally(() => {
          this.#beating = null;
        });
    });
  }

  /** One renewal of this node's row and lease. */
  async heartbeat(): Promise<void> {
    const { store, clock, leaseMs } = this.#options;
    const beganAtMs = clock.nowMs();
    await store.write((tx) =>
      tx.heartbeatNode({ id: this.nodeId, startedAtMs: this.#startedAtMs, heartbeatAtMs: beganAtMs, leaseExpiresAtMs: beganAtMs + leaseMs, version: this.#options.version, address: this.#options.address }),
    );
    this.#ownLeaseUntilMs = beganAtMs + leaseMs - Math.min(ownLeaseMarginMsMax, Math.floor(leaseMs / 4));
  }

  /** False once this node's lease may have lapsed in the others' eyes: it must not send or take work then. */
  mayAct(): boolean {
    return !this.#stopped && this.#options.clock.nowMs() < this.#ownLeaseUntilMs;
  }

  /** Whether node `id` holds a live lease now (this node: its own view). */
  async isNodeAlive(id: string): Promise<boolean> {
    if (id === this.nodeId) return this.mayAct();
    const node = await this.#options.store.getNode(id);
    return node !== null && node.stoppedAtMs === null && node.leaseExpiresAtMs > this.#options.clock.nowMs();
  }

  /** Stops the heartbeat and marks the node stopped, so others take over what is left without waiting for the lease. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopTimer?.();
    await this.#beating;
    await this.#options.store.write((tx) => tx.markNodeStopped(this.nodeId, this.#options.clock.nowMs())).catch((error: unknown) => {
      this.#options.logger.warn({ error: error instanceof Error ? error.message : 'unknown' }, 'could not mark this node stopped; the others wait for its lease to expire');
    });
  }
}

/** `<hostname>-<pid>-<6 hex>`: unique per process, readable in logs, stable for the process's life. */
export function defaultNodeId(random: Random): string {
  const suffix = (random.nextUint32() & 0xffffff).toString(16).padStart(6, '0');
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'node';
  return `${host}-${process.pid}-${suffix}`;
}

function unrefEvery(intervalMs: number, task: () => void): () => void {
  const timer = setInterval(task, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
