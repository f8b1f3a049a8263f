// The alerts the evaluator keeps (table `alerts`), the silences operators set, and the notifications
// that go out: a firing notice when an alert starts (and again every repeatIntervalMs), a resolved
// notice when it ends. Notifications name the runbook of their kind (docs/runbooks/<kind>.md).
import type { AlertKind, AlertSeverity } from './alert-rule.ts';

export type AlertState = 'firing' | 'resolved';

export interface AlertRecord {
  /** `alr_` + a hash of the fingerprint and start time: the same alert gets the same id on every node. */
  readonly id: string;
  readonly ruleId: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  /** Rule id plus the values of its groupBy labels: one firing alert per fingerprint at a time. */
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: AlertState;
  /** How many conditions the group holds now (payments in manual handling, terminals quiet). */
  readonly members: number;
  /** A few members' labels and values, for the message; bounded. */
  readonly detail: Readonly<Record<string, unknown>>;
  readonly startedAtMs: number;
  readonly updatedAtMs: number;
  readonly resolvedAtMs: number | null;
  /** When the last firing notice went out; null while none did (silenced from the start). */
  readonly notifiedAtMs: number | null;
  /** Since when its conditions have been gone (it resolves after the rule's resolveAfterMs); null while present. */
  readonly clearSinceMs: number | null;
  readonly silenced: boolean;
}

export interface SilenceMatchers {
  readonly ruleId?: string;
  readonly kind?: AlertKind;
  /** Every named label must have this value. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface SilenceRecord {
  readonly id: string;
  readonly matchers: SilenceMatchers;
  readonly reason: string;
  readonly createdBy: string;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly createdAtMs: number;
}

export const silenceReasonCharsMax = 500;
/** A silence is a pause, not a way to turn a rule off (that is `enabled: false`). */
export const silenceDurationMsMax = 30 * 86_400_000;

export interface AlertNotification {
  readonly alertId: string;
  readonly status: 'firing' | 'resolved';
  /** True for a repeat of a firing notice. */
  readonly repeat: boolean;
  readonly ruleId: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly labels: Readonly<Record<string, string>>;
  readonly members: number;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly startedAtMs: number;
  readonly atMs: number;
  /** The runbook page, relative to the runbook base (docs/runbooks/<kind>.md). */
  readonly runbook: string;
}

export function runbookPathOf(kind: AlertKind): string {
  return `${kind.replaceAll('_', '-')}.md`;
}

/** True when the silence is in force at `nowMs` and matches the alert. */
export function silenceMatches(silence: SilenceRecord, alert: Pick<AlertRecord, 'ruleId' | 'kind' | 'labels'>, nowMs: number): boolean {
  if (nowMs < silence.startsAtMs || nowMs >= silence.endsAtMs) return false;
  const { matchers } = silence;
  if (matchers.ruleId !== undefined && matchers.ruleId !== alert.ruleId) return false;
  if (matchers.kind !== undefined && matchers.kind !== alert.kind) return false;
  for (const [label, value] of Object.entries(matchers.labels ?? {})) if (alert.labels[label] !== value) return false;
  return true;
}

/** Why a silence cannot be set, or null: it must match something narrower than everything and end in bounded time. */
export function silenceProblem(input: { matchers: SilenceMatchers; reason: string; startsAtMs: number; endsAtMs: number }): { field: string; reason: string } | null {
  const { matchers } = input;
  if (matchers.ruleId === undefined && matchers.kind === undefined && Object.keys(matchers.labels ?? {}).length === 0) return { field: 'matchers', reason: 'name a ruleId, a kind or a label; a silence of everything is refused' };
  if (Object.keys(matchers.labels ?? {}).length > 8) return { field: 'matchers.labels', reason: 'at most 8 labels' };
  if (input.reason.trim().length === 0 || input.reason.length > silenceReasonCharsMax) return { field: 'reason', reason: `must be 1 to ${silenceReasonCharsMax} characters` };
  if (input.endsAtMs <= input.startsAtMs) return { field: 'endsAt', reason: 'must be after startsAt' };
  if (input.endsAtMs - input.startsAtMs > silenceDurationMsMax) return { field: 'endsAt', reason: 'a silence lasts at most 30 days' };
  return null;
}
