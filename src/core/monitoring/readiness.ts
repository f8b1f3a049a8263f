// Whether the gateway is ready for traffic (`GET /readyz`): a load balancer sends sales only to a
// node that can take them. That needs a store that answers AND accepts writes (after a failed WAL
// fdatasync the SQLite store refuses every write until it is reopened, while reads still answer, so
// a read-only probe said "ready" while every sale failed), and at least one upstream channel that is
// usable: connected, and not cut off by its circuit breaker. Pure: the caller gathers the facts.

export interface ReadinessChannel {
  readonly name: string;
  /** Open connections to the host. */
  readonly connected: number;
  /** False while the channel's circuit breaker keeps sales off it; absent means no breaker says so. */
  readonly available?: boolean;
}

export interface ReadinessInput {
  /** Whether the store answered a trivial query. */
  readonly storeAnswers: boolean;
  /** Why every write fails now (a sticky store fault), or null when writes are accepted. */
  readonly storeWriteFault: string | null;
  /** The running upstream channels; null when the app runs without any (nothing to judge, as in tests). */
  readonly channels: readonly ReadinessChannel[] | null;
  /** Age of the oldest payment journal entry the projector has not written yet, and the bound above which the node is not ready; absent without a projector. */
  readonly projector?: { readonly lagMs: number; readonly lagMaxMs: number } | null;
}

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/** A channel a sale can go out on now. */
export function isChannelUsable(channel: ReadinessChannel): boolean {
  return channel.connected > 0 && channel.available !== false;
}

/** Ready, or the first reason not to be, in a fixed order: store answers, store accepts writes, a channel is usable. */
export function decideReadiness(input: ReadinessInput): Readiness {
  if (!input.storeAnswers) return { ready: false, reason: 'the store does not answer' };
  if (input.storeWriteFault !== null) return { ready: false, reason: `the store refuses writes: ${input.storeWriteFault}` };
  if (input.channels !== null) {
    if (input.channels.length === 0) return { ready: false, reason: 'no upstream channel is configured' };
    if (!input.channels.some(isChannelUsable)) return { ready: false, reason: 'no upstream channel is usable (connected with its circuit not open)' };
  }
  if (input.projector != null && input.projector.lagMs > input.projector.lagMaxMs) {
    return { ready: false, reason: `the payment projector is ${Math.round(input.projector.lagMs / 1000)} s behind (bound ${Math.round(input.projector.lagMaxMs / 1000)} s): fee lines and events lag` };
  }
  return { ready: true };
}
