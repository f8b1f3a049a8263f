// The matching decisions of reconciliation (docs/reconciliation.md, "Categories and causes"): a
// clearing line against the attempt its keys found, a line with no attempt, an attempt with no line.
// Every decision is a value: matched, or a discrepancy with a category, the money on each side and,
// where the gateway's own records tell, the likely cause in zh-CN and en. Pure: times are formatted in
// the settlement time zone passed in.
import type { ClearingLine } from './parse-clearing-line.ts';
import { ourStateOf, signedMinor, type JournalEntry } from './journal-entry.ts';
import type { ToleranceRules } from './tolerance-rules.ts';

export const discrepancyCategories = ['ours_only', 'theirs_only', 'amount', 'fee', 'status'] as const;
export type DiscrepancyCategory = (typeof discrepancyCategories)[number];

/** Stable cause codes; the words may improve, the codes do not change. */
export const causeCodes = [
  'not_in_channel_file',
  'near_cutoff',
  'not_sent_here',
  'other_business_date',
  'duplicate_line',
  'amount_differs',
  'fee_differs',
  'no_fee_here',
  'kind_differs',
  'reversal_not_applied_upstream',
  'voided_here_settled_upstream',
  'reversed_upstream',
  'reversed_upstream_after_timeout',
  'outcome_unknown_here',
  'declined_here_settled_upstream',
] as const;
export type CauseCode = (typeof causeCodes)[number];

export interface LikelyCause {
  readonly code: CauseCode;
  readonly zh: string;
  readonly en: string;
}

export interface Discrepancy {
  readonly category: DiscrepancyCategory;
  /** Signed money (refunds negative) on each side; 0 where a side has nothing. */
  readonly theirsMinor: number;
  readonly oursMinor: number;
  /** theirs - ours: what the channel pays more (+) or less (-) than the gateway's books say. */
  readonly differenceMinor: number;
  readonly cause: LikelyCause;
}

export type LineDecision = { readonly result: 'matched' } | { readonly result: 'discrepancy'; readonly discrepancy: Discrepancy };

/** What the wording needs besides the two sides. */
export interface MatchContext {
  readonly channel: string;
  readonly businessDate: string;
  /** The channel's day: [fromMs, toMs). */
  readonly window: { readonly fromMs: number; readonly toMs: number };
  readonly timeZone: string;
  readonly rules: ToleranceRules;
}

const timeFormatters = new Map<string, Intl.DateTimeFormat>();

/** HH:MM:SS in the settlement time zone (the time an operator and the channel's staff both read). */
export function formatLocalTime(atMs: number, timeZone: string): string {
  let formatter = timeFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    timeFormatters.set(timeZone, formatter);
  }
  return formatter.format(new Date(atMs));
}

function yuan(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const absolute = Math.abs(minor);
  return `${sign}${Math.trunc(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}

function discrepancy(category: DiscrepancyCategory, theirsMinor: number, oursMinor: number, cause: LikelyCause): LineDecision {
  return { result: 'discrepancy', discrepancy: { category, theirsMinor, oursMinor, differenceMinor: theirsMinor - oursMinor, cause } };
}

function refOf(entry: JournalEntry): string {
  return `RRN ${entry.rrn ?? '-'}, STAN ${entry.stan}`;
}

/** A clearing line against the attempt its keys found. */
export function decideLineMatch(line: ClearingLine, entry: JournalEntry, context: MatchContext): LineDecision {
  const { rules, timeZone } = context;
  const theirsMinor = signedMinor(line.kind, line.amountMinor);
  const oursMinor = signedMinor(entry.kind, entry.amountMinor);
  const state = ourStateOf(entry);
  const at = (ms: number): string => formatLocalTime(ms, timeZone);
  if (entry.matchedLineNo !== null) {
    return discrepancy('theirs_only', theirsMinor, 0, {
      code: 'duplicate_line',
      zh: `渠道文件第 ${line.lineNo} 行与第 ${entry.matchedLineNo} 行是同一笔交易（${refOf(entry)}）：渠道重复清算`,
      en: `line ${line.lineNo} repeats line ${entry.matchedLineNo} of the channel's file (${refOf(entry)}): the channel settled it twice`,
    });
  }
  // A same-day void (or completion void, pre-authorization cancel) that the channel books as a refund
  // of the original: the void's own approved attempt is that line. Only the amount must agree.
  if (isCancelKind(entry.kind) && entry.attemptOutcome === 'approved' && line.kind === 'refund' && line.status === 'settled') {
    if (Math.abs(line.amountMinor - entry.amountMinor) <= rules.amountToleranceMinor) return { result: 'matched' };
    return discrepancy('amount', -line.amountMinor, -entry.amountMinor, {
      code: 'amount_differs',
      zh: `金额不符：渠道按退货清算撤销 ${yuan(line.amountMinor)} 元，本方撤销 ${yuan(entry.amountMinor)} 元（${refOf(entry)}）`,
      en: `amounts differ: the channel settled the void as a refund of ${yuan(line.amountMinor)}, the gateway voided ${yuan(entry.amountMinor)} (${refOf(entry)})`,
    });
  }
  if (line.status === 'reversed') {
    if (state === 'settled') {
      const reversal = entry.reversal;
      if (reversal !== null && reversal.completedAtMs !== null) {
        return discrepancy('status', 0, oursMinor, {
          code: 'reversed_upstream_after_timeout',
          zh: `本方已批准，渠道已冲正（终端超时后）：冲正于 ${at(reversal.completedAtMs)} 得到确认，但本方仍记为批准`,
          en: `approved here, reversed upstream after the terminal's timeout: the reversal was confirmed at ${at(reversal.completedAtMs)}, yet the payment here still shows approved`,
        });
      }
      return discrepancy('status', 0, oursMinor, {
        code: 'reversed_upstream',
        zh: `本方于 ${at(entry.createdAtMs)} 批准（${refOf(entry)}），渠道却记为已冲正，本方未发出冲正：可能是终端自行冲正或渠道超时冲正；持卡人未被扣款，不应向商户结算`,
        en: `approved here at ${at(entry.createdAtMs)} (${refOf(entry)}), reversed by the channel, and no reversal was sent from here: the terminal's own reversal or the channel's timeout reversal; the cardholder was not charged and the merchant must not be paid`,
      });
    }
    if (state === 'unknown') return unknownHere(entry, 0, oursMinor, 'reversed', at);
    return { result: 'matched' };
  }
  switch (state) {
    case 'settled':
      break;
    case 'reversed': {
      const reversal = entry.reversal;
      const confirmed = reversal?.completedAtMs;
      return discrepancy('status', theirsMinor, 0, {
        code: 'reversal_not_applied_upstream',
        zh: confirmed === undefined || confirmed === null
          ? `本方已冲正（${refOf(entry)}），渠道却清算了这笔交易：渠道未收到或未执行冲正`
          : `本方已冲正，冲正于 ${at(confirmed)} 得到确认（应答码 ${reversal?.reasonCode ?? '-'}），渠道却清算了这笔交易：渠道未执行冲正`,
        en: confirmed === undefined || confirmed === null
          ? `reversed here (${refOf(entry)}), settled by the channel: the channel never received or applied the reversal`
          : `reversed here, the reversal was confirmed at ${at(confirmed)} (reason ${reversal?.reasonCode ?? '-'}), yet the channel settled the sale: it did not apply the reversal`,
      });
    }
    case 'voided':
      return discrepancy('status', theirsMinor, 0, {
        code: 'voided_here_settled_upstream',
        zh: `本方已撤销（${refOf(entry)}），渠道却清算了原交易：撤销未送达渠道`,
        en: `voided here (${refOf(entry)}), settled by the channel: the void never reached the channel`,
      });
    case 'unknown':
      return unknownHere(entry, theirsMinor, 0, 'settled', at);
    case 'declined':
    case 'not_settled':
      return discrepancy('status', theirsMinor, 0, {
        code: 'declined_here_settled_upstream',
        zh: `本方记为未成功（${entry.paymentStatus}，${refOf(entry)}），渠道却清算了：渠道的批准应答未到达本方`,
        en: `not approved here (${entry.paymentStatus}, ${refOf(entry)}), settled by the channel: the channel's approval never reached the gateway`,
      });
  }
  // A completion is a sale to most channels' files: only the direction of the money must agree.
  if (signedMinor(line.kind, 1) !== signedMinor(entry.kind, 1)) {
    return discrepancy('status', theirsMinor, oursMinor, {
      code: 'kind_differs',
      zh: `渠道记为${line.kind}，本方记为${entry.kind}（${refOf(entry)}）`,
      en: `the channel has a ${line.kind}, the gateway a ${entry.kind} (${refOf(entry)})`,
    });
  }
  if (Math.abs(theirsMinor - oursMinor) > rules.amountToleranceMinor) {
    return discrepancy('amount', theirsMinor, oursMinor, {
      code: 'amount_differs',
      zh: `金额不符：渠道 ${yuan(theirsMinor)} 元，本方 ${yuan(oursMinor)} 元，差额 ${yuan(theirsMinor - oursMinor)} 元（${refOf(entry)}）`,
      en: `amounts differ: the channel settled ${yuan(theirsMinor)}, the gateway approved ${yuan(oursMinor)}, a difference of ${yuan(theirsMinor - oursMinor)} (${refOf(entry)})`,
    });
  }
  if (rules.compareFee && line.feeMinor !== null) {
    const ourFee = entry.feeMinor === null ? null : Math.abs(entry.feeMinor);
    if (ourFee === null && line.feeMinor !== 0) {
      return discrepancy('fee', -line.feeMinor, 0, {
        code: 'no_fee_here',
        zh: `渠道收取手续费 ${yuan(line.feeMinor)} 元，本方没有这笔交易的手续费记录`,
        en: `the channel charged a fee of ${yuan(line.feeMinor)}; the gateway has no fee line for this payment`,
      });
    }
    if (ourFee !== null && Math.abs(line.feeMinor - ourFee) > rules.feeToleranceMinor) {
      const bps = line.amountMinor === 0 ? 0 : Math.round((line.feeMinor * 10_000) / line.amountMinor);
      return discrepancy('fee', -line.feeMinor, -ourFee, {
        code: 'fee_differs',
        zh: `手续费不符：渠道 ${yuan(line.feeMinor)} 元（约 ${bps} 个基点），本方 ${yuan(ourFee)} 元：核对费率方案`,
        en: `fees differ: the channel charged ${yuan(line.feeMinor)} (about ${bps} bps), the gateway ${yuan(ourFee)}: check the fee plan`,
      });
    }
  }
  return { result: 'matched' };
}

function isCancelKind(kind: JournalEntry['kind']): boolean {
  return kind === 'void' || kind === 'completion_void' || kind === 'preauth_cancel';
}

function unknownHere(entry: JournalEntry, theirsMinor: number, oursMinor: number, theirs: 'settled' | 'reversed', at: (ms: number) => string): LineDecision {
  const flagged = entry.manualHandlingSinceMs === null ? '' : `; flagged for manual handling at ${at(entry.manualHandlingSinceMs)}`;
  const flaggedZh = entry.manualHandlingSinceMs === null ? '' : `；已于 ${at(entry.manualHandlingSinceMs)} 转人工处理`;
  return discrepancy('status', theirsMinor, oursMinor, {
    code: 'outcome_unknown_here',
    zh: theirs === 'settled'
      ? `本方结果未知（${refOf(entry)}${flaggedZh}），渠道已清算：持卡人已被扣款，按"已扣款"处理`
      : `本方结果未知（${refOf(entry)}${flaggedZh}），渠道记为已冲正：持卡人未被扣款，按"未扣款"处理`,
    en: theirs === 'settled'
      ? `the outcome is unknown here (${refOf(entry)}${flagged}), the channel settled it: the cardholder was charged; resolve it as charged`
      : `the outcome is unknown here (${refOf(entry)}${flagged}), the channel reversed it: the cardholder was not charged; resolve it as not charged`,
  });
}

/** A clearing line whose keys found no attempt (长款: the channel has money the gateway's books do not). */
export function decideTheirsOnly(line: ClearingLine, context: MatchContext): LineDecision {
  const theirsMinor = line.status === 'settled' ? signedMinor(line.kind, line.amountMinor) : 0;
  const ref = `RRN ${line.rrn ?? '-'}, STAN ${line.stan ?? '-'}, ${line.terminalId ?? '-'}`;
  if (line.date !== null && line.date.length === 10 && line.date !== context.businessDate) {
    return discrepancy('theirs_only', theirsMinor, 0, {
      code: 'other_business_date',
      zh: `长款：渠道文件中这笔交易日期为 ${line.date}，不是 ${context.businessDate}（${ref}）：另一天的交易`,
      en: `the channel's line is dated ${line.date}, not ${context.businessDate} (${ref}): another day's business`,
    });
  }
  return discrepancy('theirs_only', theirsMinor, 0, {
    code: 'not_sent_here',
    zh: `长款：渠道清算了一笔本方从未在渠道 ${context.channel} 上发出的交易（${ref}）：核对该终端是否还直连渠道`,
    en: `the channel settled a transaction the gateway never sent on channel ${context.channel} (${ref}): check whether the terminal also reaches the channel another way`,
  });
}

/** An approved attempt of the channel's day that the file does not have (短款: the gateway's books have money the channel does not). */
export function decideOursOnly(entry: JournalEntry, context: MatchContext): LineDecision {
  const oursMinor = signedMinor(entry.kind, entry.amountMinor);
  const at = formatLocalTime(entry.createdAtMs, context.timeZone);
  const beforeCutoffMs = context.window.toMs - entry.createdAtMs;
  if (beforeCutoffMs >= 0 && beforeCutoffMs <= context.rules.cutoffMarginMs) {
    return discrepancy('ours_only', 0, oursMinor, {
      code: 'near_cutoff',
      zh: `短款：本方于 ${at} 批准，距渠道日切仅 ${Math.ceil(beforeCutoffMs / 1000)} 秒（${refOf(entry)}）：很可能在渠道次日的文件中`,
      en: `approved here at ${at}, ${Math.ceil(beforeCutoffMs / 1000)} s before the channel's cut-off (${refOf(entry)}): probably in the channel's next-day file`,
    });
  }
  return discrepancy('ours_only', 0, oursMinor, {
    code: 'not_in_channel_file',
    zh: `短款：本方于 ${at} 批准（${refOf(entry)}，授权码 ${entry.authCode ?? '-'}），渠道文件中没有：向渠道核实是否清算`,
    en: `approved here at ${at} (${refOf(entry)}, authorization ${entry.authCode ?? '-'}), missing from the channel's file: ask the channel whether it settled it`,
  });
}

/** Whether an attempt must appear in the channel's file: approved money of the channel's day. */
export function isExpectedInClearing(entry: JournalEntry, window: { readonly fromMs: number; readonly toMs: number }): boolean {
  return ourStateOf(entry) === 'settled' && entry.createdAtMs >= window.fromMs && entry.createdAtMs < window.toMs;
}

/**
 * The keys a line is looked up by, in the order they are trusted: RRN (DE 37), then STAN + terminal
 * + DE 7 (the attempt's unique upstream key), then authorization code + amount (only among leftovers,
 * since codes repeat).
 */
export function stanKeyOf(stan: string, terminalId: string, transmittedAt: string): string {
  return `${stan}|${terminalId}|${transmittedAt}`;
}

/** Picks the attempt for a line among those its RRN or STAN key found; null when none fits. */
export function pickJournalEntry(line: ClearingLine, byRrn: readonly JournalEntry[], byStanKey: readonly JournalEntry[]): JournalEntry | null {
  if (byRrn.length > 0) {
    if (byRrn.length === 1) return byRrn[0] as JournalEntry;
    // An RRN repeats only across days or terminals: prefer the same terminal, then the same amount.
    const sameTerminal = byRrn.filter((entry) => line.terminalId === null || entry.upstreamTerminalId === line.terminalId);
    const pool = sameTerminal.length > 0 ? sameTerminal : byRrn;
    return pool.find((entry) => entry.amountMinor === line.amountMinor) ?? (pool[0] as JournalEntry);
  }
  return byStanKey[0] ?? null;
}

/**
 * The second pass over leftovers: a line without RRN or STAN match and an unmatched attempt with the
 * same authorization code and amount (and terminal when the line has one) are the same transaction.
 * Returns pairs by line number; each attempt is used once.
 */
export function pairByAuthCode(lines: readonly ClearingLine[], entries: readonly JournalEntry[]): Map<number, JournalEntry> {
  const byCode = new Map<string, JournalEntry[]>();
  for (const entry of entries) {
    if (entry.authCode === null) continue;
    const key = `${entry.authCode}|${entry.amountMinor}`;
    byCode.set(key, [...(byCode.get(key) ?? []), entry]);
  }
  const pairs = new Map<number, JournalEntry>();
  for (const line of lines) {
    if (line.authCode === null) continue;
    const candidates = byCode.get(`${line.authCode}|${line.amountMinor}`);
    if (candidates === undefined) continue;
    const index = candidates.findIndex((entry) => line.terminalId === null || entry.upstreamTerminalId === line.terminalId);
    if (index < 0) continue;
    pairs.set(line.lineNo, candidates[index] as JournalEntry);
    candidates.splice(index, 1);
  }
  return pairs;
}
