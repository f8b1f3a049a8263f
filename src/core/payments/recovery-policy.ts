// The recovery policy as data: recovery-policy.json validated and frozen on load. It says, per
// outcome of a failed attempt and per response code, whether the gateway tries again on its own,
// when (at once or after the code's wait) and where (same channel, next channel of the route, or
// the next channel that is healthy now). decideRecovery (decide-recovery.ts) applies it.
import { DataReader, deepFreeze } from '../declines/validate-data.ts';
import { responseCodePattern } from '../declines/response-code-table.ts';
import recoveryPolicyJson from './recovery-policy.json' with { type: 'json' };

export const recoveryRetries = ['at_once', 'after_wait', 'never'] as const;
export type RecoveryRetry = (typeof recoveryRetries)[number];
export const recoveryChannels = ['same', 'next', 'next_healthy'] as const;
export type RecoveryChannel = (typeof recoveryChannels)[number];
/** The outcome classes of a failed attempt the policy has a row for. */
export const recoveryOutcomes = ['not_sent', 'unknown_reversed', 'declined_channel_side', 'declined_card_side'] as const;
export type RecoveryOutcome = (typeof recoveryOutcomes)[number];

export interface RecoveryRule {
  readonly retry: RecoveryRetry;
  readonly channel: RecoveryChannel;
  /** What to do instead when the chosen channel is the one that just failed (a route of one); default `retry`. */
  readonly alone: RecoveryRetry;
  readonly why: string;
}

export interface RecoveryPolicy {
  readonly edition: string;
  /** The engine answers this long before the client's deadline (time to write and send the answer). */
  readonly replyMarginMs: number;
  /** No attempt starts with less than this left before the reply deadline. */
  readonly attemptMinMs: number;
  readonly outcomes: Readonly<Record<RecoveryOutcome, RecoveryRule>>;
  /** Per response code, replacing the outcome row for a decline with that code. */
  readonly codes: Readonly<Record<string, RecoveryRule>>;
}

const codesMax = 256;

/** Validates a parsed recovery policy document. */
export function parseRecoveryPolicy(document: unknown, file = 'recovery-policy.json'): RecoveryPolicy {
  const read = new DataReader(file);
  const root = read.object(document, '$');
  const rule = (value: unknown, path: string): RecoveryRule => {
    const row = read.object(value, path);
    const retry = read.member(recoveryRetries, row.retry, `${path}.retry`);
    return {
      retry,
      channel: read.member(recoveryChannels, row.channel, `${path}.channel`),
      alone: row.alone === undefined ? retry : read.member(recoveryRetries, row.alone, `${path}.alone`),
      why: read.string(row.why, `${path}.why`),
    };
  };
  const outcomesRaw = read.object(root.outcomes, '$.outcomes');
  for (const name of Object.keys(outcomesRaw)) read.member(recoveryOutcomes, name, `$.outcomes.${name}`);
  const outcomes = Object.fromEntries(recoveryOutcomes.map((name) => [name, rule(outcomesRaw[name], `$.outcomes.${name}`)])) as Record<RecoveryOutcome, RecoveryRule>;
  const codesRaw = read.object(root.codes, '$.codes');
  if (Object.keys(codesRaw).length > codesMax) read.fail('$.codes', `more than ${codesMax} entries`);
  const codes: Record<string, RecoveryRule> = {};
  for (const [code, value] of Object.entries(codesRaw)) {
    read.string(code, `$.codes.${code}`, responseCodePattern);
    codes[code] = rule(value, `$.codes.${code}`);
  }
  return deepFreeze({
    edition: read.string(root.edition, '$.edition', /^[0-9]{4}-[0-9]{2}$/),
    replyMarginMs: read.integer(root.replyMarginMs, '$.replyMarginMs', 0, 60_000),
    attemptMinMs: read.integer(root.attemptMinMs, '$.attemptMinMs', 1, 600_000),
    outcomes,
    codes,
  });
}

/** The policy reswipe ships, validated once on load. */
export const recoveryPolicy: RecoveryPolicy = parseRecoveryPolicy(recoveryPolicyJson);
