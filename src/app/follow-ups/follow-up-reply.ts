// One channel answer as a follow-up attempt's final fields; not sent counts as declined (nothing moved).
import { getText } from '../../core/iso8583/index.ts';
import type { Diagnosis } from '../../core/declines/index.ts';
import { approvedDiagnosis, classifyOutcome, classifyResponseCode } from '../../core/declines/index.ts';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import type { AttemptRecord } from '../../core/ports/store.ts';

export type ReplyOutcome =
  | { kind: 'approved'; attempt: Partial<AttemptRecord>; diagnosis: Diagnosis }
  | { kind: 'declined'; attempt: Partial<AttemptRecord>; diagnosis: Diagnosis }
  | { kind: 'unknown'; attempt: Partial<AttemptRecord>; diagnosis: Diagnosis };

export function outcomeOf(result: ChannelSendResult, nowMs: number): ReplyOutcome {
  switch (result.kind) {
    case 'reply': {
      const code = getText(result.message, 39);
      const common = { sentAtMs: result.sentAtMs, latencyMs: result.latencyMs, completedAtMs: nowMs, rrn: getText(result.message, 37)?.trim() ?? null };
      if (code === undefined || !/^[0-9A-Z]{2}$/.test(code)) return { kind: 'unknown', attempt: { ...common, outcome: 'unknown' }, diagnosis: classifyOutcome('malformed_reply') };
      const diagnosis = code === '00' ? approvedDiagnosis() : safeClassify(code);
      if (diagnosis.outcome === 'approved') return { kind: 'approved', attempt: { ...common, outcome: 'approved', responseCode: code, authCode: getText(result.message, 38)?.trim() ?? null }, diagnosis };
      return { kind: 'declined', attempt: { ...common, outcome: 'declined', responseCode: code }, diagnosis };
    }
    case 'not_sent':
      return { kind: 'declined', attempt: { outcome: 'not_sent', completedAtMs: nowMs }, diagnosis: classifyOutcome('not_sent') };
    case 'no_reply':
      return { kind: 'unknown', attempt: { outcome: 'unknown', sentAtMs: result.sentAtMs, completedAtMs: nowMs }, diagnosis: classifyOutcome(result.reason === 'malformed_reply' || result.reason === 'bad_mac' ? result.reason : 'no_reply') };
  }
}

export function safeClassify(code: string): Diagnosis {
  try {
    return classifyResponseCode(code);
  } catch {
    return classifyResponseCode('96');
  }
}
