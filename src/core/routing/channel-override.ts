// An operator's hold on a channel (docs/channels.md, "Operator overrides"), as routing reads it: a forced
// circuit that stands until its end (or until lifted), and draining, which keeps new sales off the
// channel while the follow-ups and reversals of its own payments still go to it. Pure: time comes in.

export type ForcedCircuitState = 'open' | 'closed';

export interface CircuitOverrideSetting {
  readonly state: ForcedCircuitState;
  /** When the hold ends by itself; null: until an operator lifts it. */
  readonly untilMs: number | null;
}

/** The forced circuit in force at `nowMs`, or null when none is (never set, lifted, or past its end). */
export function forcedCircuitAt(override: CircuitOverrideSetting | null | undefined, nowMs: number): ForcedCircuitState | null {
  if (override === null || override === undefined) return null;
  if (override.untilMs !== null && override.untilMs <= nowMs) return null;
  return override.state;
}

/** Longest an operator may force a circuit for when giving an end: one week (a longer hold is "until lifted"). */
export const circuitOverrideMinutesMax = 7 * 24 * 60;
