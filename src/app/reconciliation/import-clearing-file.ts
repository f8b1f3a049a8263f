// Use case: import one channel's clearing file for one business day and reconcile it against the
// journal (docs/reconciliation.md). Streaming, in two passes, so neither side is ever held whole:
//
//  1. The file is read in chunks of `chunkLines`. Each chunk's keys are looked up in the store in one
//     or two indexed queries (RRN, then STAN + DE 7), every line is decided by the pure core, and the
//     chunk's lines and discrepancies are written in one unit. A line whose keys find nothing waits as
//     `unmatched`.
//  2. The leftovers: unmatched lines and the channel's approved attempts of the day that no line
//     matched are paired by authorization code + amount when both lists fit `leftoversMax`; the rest
//     become theirs-only (长款) and ours-only (短款) discrepancies.
//
// A failure marks the run `failed` and removes its lines and discrepancies; the day may then be
// imported again. A run that completed is final (RSW_RECON_ALREADY_IMPORTED).
import { randomUUID } from 'node:crypto';
import { businessDayWindow } from '../../core/fees/business-date.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { DiscrepancyCategoryName, DiscrepancyRecord, ReconLineRecord, ReconRunRecord, Store } from '../../core/ports/store.ts';
import type { ChannelFormat } from '../../core/reconciliation/channel-format.ts';
import {
  decideLineMatch,
  decideOursOnly,
  decideTheirsOnly,
  isExpectedInClearing,
  pairByAuthCode,
  pickJournalEntry,
  stanKeyOf,
  type LineDecision,
  type MatchContext,
} from '../../core/reconciliation/decide-line-match.ts';
import { ourStateOf, signedMinor, type JournalEntry } from '../../core/reconciliation/journal-entry.ts';
import { parseClearingLine, type ClearingLine } from '../../core/reconciliation/parse-clearing-line.ts';
import type { Clock } from '../../core/time/clock.ts';
import { recordAudit } from '../audit/record-audit.ts';

export interface ClearingLinesSource {
  readonly fileName: string;
  lines(): AsyncIterable<{ readonly lineNo: number; readonly text: string }>;
  sha256(): string;
}

export interface ImportClearingFileDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** The settlement time zone (fees.settlementTimeZone): the channel's day and the times in causes. */
  readonly timeZone: string;
}

export interface ImportClearingFileInput {
  readonly channel: string;
  readonly businessDate: string;
  readonly format: ChannelFormat;
  readonly source: ClearingLinesSource;
  readonly actor: string;
  /** Lines per chunk (one store unit each). */
  readonly chunkLines?: number;
  /** Leftovers on each side above which the authorization-code pass is skipped (they stay discrepancies). */
  readonly leftoversMax?: number;
}

export interface ImportSummary {
  readonly run: ReconRunRecord;
  readonly byCategory: Readonly<Record<DiscrepancyCategoryName, number>>;
}

export const importDefaults = Object.freeze({ chunkLines: 2000, leftoversMax: 50_000, pageRows: 2000 });

interface Tally {
  lines: number;
  matched: number;
  discrepancies: number;
  theirsMinor: number;
  oursMinor: number;
  byCategory: Record<DiscrepancyCategoryName, number>;
}

function emptyTally(): Tally {
  return { lines: 0, matched: 0, discrepancies: 0, theirsMinor: 0, oursMinor: 0, byCategory: { ours_only: 0, theirs_only: 0, amount: 0, fee: 0, status: 0 } };
}

export async function importClearingFile(deps: ImportClearingFileDeps, input: ImportClearingFileInput): Promise<ImportSummary> {
  const { store } = deps;
  const existing = await store.findReconRun(input.channel, input.businessDate);
  if (existing !== null) throw new ReswipeError('RSW_RECON_ALREADY_IMPORTED', { channel: input.channel, businessDate: input.businessDate, runId: existing.id, field: 'date' });
  const window = businessDayWindow(input.businessDate, deps.timeZone, input.format.cutoff);
  const context: MatchContext = { channel: input.channel, businessDate: input.businessDate, window, timeZone: deps.timeZone, rules: input.format.tolerance };
  const startedAtMs = deps.clock.nowMs();
  const run: ReconRunRecord = {
    id: `rcn_${randomUUID()}`,
    channel: input.channel,
    businessDate: input.businessDate,
    layout: input.format.layout.name,
    fileName: input.source.fileName.slice(0, 200),
    fileSha256: '',
    state: 'importing',
    linesTotal: 0,
    linesMatched: 0,
    discrepancies: 0,
    theirsMinor: 0,
    oursMinor: 0,
    actor: input.actor,
    startedAtMs,
    finishedAtMs: null,
    error: null,
  };
  try {
    await store.write((tx) => tx.insertReconRun(run));
  } catch (error) {
    if (isReswipeError(error, 'RSW_STORE_CONFLICT')) {
      const winner = await store.findReconRun(input.channel, input.businessDate);
      throw new ReswipeError('RSW_RECON_ALREADY_IMPORTED', { channel: input.channel, businessDate: input.businessDate, runId: winner?.id ?? 'unknown', field: 'date' });
    }
    throw error;
  }
  const tally = emptyTally();
  try {
    await firstPass(deps, input, run, context, tally);
    await secondPass(deps, input, run, context, tally);
    const finishedAtMs = deps.clock.nowMs();
    const done: ReconRunRecord = {
      ...run,
      fileSha256: input.source.sha256(),
      state: 'done',
      linesTotal: tally.lines,
      linesMatched: tally.matched,
      discrepancies: tally.discrepancies,
      theirsMinor: tally.theirsMinor,
      oursMinor: tally.oursMinor,
      finishedAtMs,
    };
    await store.write(async (tx) => {
      await tx.updateReconRun(done);
      await recordAudit(tx, { actor: input.actor, action: 'recon.import', subjectId: run.id, detail: { channel: run.channel, businessDate: run.businessDate, fileName: run.fileName, fileSha256: done.fileSha256, lines: tally.lines, matched: tally.matched, discrepancies: tally.discrepancies }, atMs: finishedAtMs });
      await tx.appendEvent({
        type: 'recon.imported',
        subjectId: run.id,
        payload: { channel: run.channel, businessDate: run.businessDate, lines: tally.lines, matched: tally.matched, discrepancies: tally.discrepancies, byCategory: tally.byCategory, theirsMinor: tally.theirsMinor, oursMinor: tally.oursMinor },
        atMs: finishedAtMs,
      });
    });
    return { run: done, byCategory: tally.byCategory };
  } catch (error) {
    const reason = isReswipeError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    await store.write(async (tx) => {
      await tx.deleteReconRunContent(run.id);
      await tx.updateReconRun({ ...run, state: 'failed', error: reason.slice(0, 500), finishedAtMs: deps.clock.nowMs() });
    });
    throw error;
  }
}

function tallyDecision(tally: Tally, decision: LineDecision): void {
  if (decision.result === 'matched') tally.matched += 1;
  else {
    tally.discrepancies += 1;
    tally.byCategory[decision.discrepancy.category] += 1;
  }
}

function discrepancyOf(run: ReconRunRecord, decision: Extract<LineDecision, { result: 'discrepancy' }>, line: ClearingLine | null, entry: JournalEntry | null, atMs: number): DiscrepancyRecord {
  const d = decision.discrepancy;
  return {
    id: `dsc_${randomUUID()}`,
    runId: run.id,
    channel: run.channel,
    businessDate: run.businessDate,
    category: d.category,
    lineNo: line?.lineNo ?? null,
    attemptId: entry?.attemptId ?? null,
    paymentId: entry?.paymentId ?? null,
    merchantId: entry?.merchantId ?? line?.merchantId ?? null,
    theirsMinor: d.theirsMinor,
    oursMinor: d.oursMinor,
    differenceMinor: d.differenceMinor,
    causeCode: d.cause.code,
    causeZh: d.cause.zh,
    causeEn: d.cause.en,
    state: 'open',
    adjustmentMinor: null,
    overdueAtMs: null,
    createdAtMs: atMs,
    updatedAtMs: atMs,
    version: 1,
  };
}

function lineRecord(runId: string, line: ClearingLine, entry: JournalEntry | null, result: ReconLineRecord['result']): ReconLineRecord {
  return {
    runId,
    lineNo: line.lineNo,
    rrn: line.rrn,
    stan: line.stan,
    terminalId: line.terminalId,
    transmittedAt: line.transmittedAt,
    lineDate: line.date,
    authCode: line.authCode,
    kind: line.kind,
    status: line.status,
    amountMinor: line.amountMinor,
    feeMinor: line.feeMinor,
    cardMasked: line.cardMasked,
    attemptId: entry?.attemptId ?? null,
    paymentId: entry?.paymentId ?? null,
    result,
  };
}

function lineOf(record: ReconLineRecord): ClearingLine {
  return {
    lineNo: record.lineNo,
    rrn: record.rrn,
    stan: record.stan,
    terminalId: record.terminalId,
    transmittedAt: record.transmittedAt,
    date: record.lineDate,
    time: null,
    authCode: record.authCode,
    kind: record.kind,
    status: record.status,
    amountMinor: record.amountMinor,
    feeMinor: record.feeMinor,
    currency: null,
    merchantId: null,
    cardMasked: record.cardMasked,
  };
}

/** Money of the day as each side has it, for the run's totals. */
function countMoney(tally: Tally, line: ClearingLine | null, entry: JournalEntry | null, context: MatchContext): void {
  if (line !== null && line.status === 'settled') tally.theirsMinor += signedMinor(line.kind, line.amountMinor);
  if (entry !== null && entry.matchedLineNo === null && isExpectedInClearing(entry, context.window)) tally.oursMinor += signedMinor(entry.kind, entry.amountMinor);
}

async function firstPass(deps: ImportClearingFileDeps, input: ImportClearingFileInput, run: ReconRunRecord, context: MatchContext, tally: Tally): Promise<void> {
  const chunkLines = input.chunkLines ?? importDefaults.chunkLines;
  let chunk: ClearingLine[] = [];
  for await (const { lineNo, text } of input.source.lines()) {
    const line = parseClearingLine(input.format.layout, text, lineNo);
    if (line === null) continue;
    chunk.push(line);
    if (chunk.length >= chunkLines) {
      await matchChunk(deps, run, context, chunk, tally);
      chunk = [];
    }
  }
  if (chunk.length > 0) await matchChunk(deps, run, context, chunk, tally);
}

async function matchChunk(deps: ImportClearingFileDeps, run: ReconRunRecord, context: MatchContext, chunk: readonly ClearingLine[], tally: Tally): Promise<void> {
  const rrns = [...new Set(chunk.flatMap((line) => (line.rrn === null ? [] : [line.rrn])))];
  const byRrn = groupBy(await deps.store.findJournalEntries(run.id, run.channel, { rrns, stanKeys: [] }), (entry) => entry.rrn);
  const stanKeys = chunk.filter((line) => !(line.rrn !== null && byRrn.has(line.rrn)) && line.stan !== null && line.transmittedAt !== null).map((line) => ({ stan: line.stan as string, transmittedAt: line.transmittedAt as string }));
  const byStan = stanKeys.length === 0 ? new Map<string, JournalEntry[]>() : groupBy(await deps.store.findJournalEntries(run.id, run.channel, { rrns: [], stanKeys }), (entry) => stanKeyOf(entry.stan, entry.upstreamTerminalId, entry.transmittedAt));
  const atMs = deps.clock.nowMs();
  const lines: ReconLineRecord[] = [];
  const discrepancies: DiscrepancyRecord[] = [];
  // A second line of this chunk naming an attempt already claimed in it is a duplicate, like one claimed by an earlier chunk.
  const claimedInChunk = new Map<string, number>();
  for (const line of chunk) {
    const found = pickJournalEntry(
      line,
      line.rrn === null ? [] : (byRrn.get(line.rrn) ?? []),
      line.stan === null || line.terminalId === null || line.transmittedAt === null ? [] : (byStan.get(stanKeyOf(line.stan, line.terminalId, line.transmittedAt)) ?? []),
    );
    if (found === null) {
      lines.push(lineRecord(run.id, line, null, 'unmatched'));
      continue;
    }
    const claimedBy = claimedInChunk.get(found.attemptId);
    const entry: JournalEntry = claimedBy === undefined ? found : { ...found, matchedLineNo: claimedBy };
    if (entry.matchedLineNo === null) claimedInChunk.set(entry.attemptId, line.lineNo);
    const decision = decideLineMatch(line, entry, context);
    tallyDecision(tally, decision);
    countMoney(tally, line, entry, context);
    tally.lines += 1;
    // A duplicate line keeps no attempt id, so the attempt stays matched to its first line only.
    lines.push(lineRecord(run.id, line, entry.matchedLineNo === null ? entry : null, decision.result));
    if (decision.result === 'discrepancy') discrepancies.push(discrepancyOf(run, decision, line, entry, atMs));
  }
  await deps.store.write(async (tx) => {
    await tx.insertReconLines(lines);
    if (discrepancies.length > 0) await tx.insertDiscrepancies(discrepancies);
  });
}

async function secondPass(deps: ImportClearingFileDeps, input: ImportClearingFileInput, run: ReconRunRecord, context: MatchContext, tally: Tally): Promise<void> {
  const leftoversMax = input.leftoversMax ?? importDefaults.leftoversMax;
  const pageRows = importDefaults.pageRows;
  // Ours-only candidates: approved attempts of the channel's day that no line matched.
  const oursLeft: JournalEntry[] = [];
  let oursOverflow = false;
  let after: { createdAtMs: number; attemptId: string } | undefined;
  for (;;) {
    const page = await deps.store.listUnmatchedJournal(run.id, run.channel, context.window, { limit: pageRows, ...(after === undefined ? {} : { after }) });
    for (const entry of page) if (ourStateOf(entry) === 'settled') oursLeft.push(entry);
    if (oursLeft.length > leftoversMax) {
      oursOverflow = true;
      break;
    }
    if (page.length < pageRows) break;
    const last = page[page.length - 1] as JournalEntry;
    after = { createdAtMs: last.createdAtMs, attemptId: last.attemptId };
  }
  if (oursOverflow) {
    // Too many to pair: every leftover on both sides is a discrepancy, written page by page.
    await settleLeftoverLines(deps, run, context, tally, new Map());
    await writeOursOnlyStreaming(deps, run, context, tally);
    return;
  }
  const linesLeft: ClearingLine[] = [];
  let linesOverflow = false;
  let afterLineNo = 0;
  for (;;) {
    const page = await deps.store.listReconLines(run.id, { limit: pageRows, afterLineNo, result: 'unmatched' });
    linesLeft.push(...page.map(lineOf));
    if (linesLeft.length > leftoversMax) {
      linesOverflow = true;
      break;
    }
    if (page.length < pageRows) break;
    afterLineNo = (page[page.length - 1] as ReconLineRecord).lineNo;
  }
  const pairs = linesOverflow ? new Map<number, JournalEntry>() : pairByAuthCode(linesLeft, oursLeft);
  await settleLeftoverLines(deps, run, context, tally, pairs);
  const paired = new Set([...pairs.values()].map((entry) => entry.attemptId));
  const atMs = deps.clock.nowMs();
  const oursOnly = oursLeft.filter((entry) => !paired.has(entry.attemptId));
  for (let i = 0; i < oursOnly.length; i += pageRows) {
    const discrepancies = oursOnly.slice(i, i + pageRows).map((entry) => {
      const decision = decideOursOnly(entry, context);
      tallyDecision(tally, decision);
      countMoney(tally, null, entry, context);
      if (decision.result !== 'discrepancy') throw new Error('broken invariant: an ours-only entry matched');
      return discrepancyOf(run, decision, null, entry, atMs);
    });
    await deps.store.write((tx) => tx.insertDiscrepancies(discrepancies));
  }
}

/** Decides every line still `unmatched`: paired by authorization code, or theirs-only. */
async function settleLeftoverLines(deps: ImportClearingFileDeps, run: ReconRunRecord, context: MatchContext, tally: Tally, pairs: ReadonlyMap<number, JournalEntry>): Promise<void> {
  const pageRows = importDefaults.pageRows;
  for (;;) {
    // Always the first page: each write below settles the lines it read, so the next read moves on.
    const page = await deps.store.listReconLines(run.id, { limit: pageRows, result: 'unmatched' });
    if (page.length === 0) return;
    const atMs = deps.clock.nowMs();
    const changes: Array<{ lineNo: number; result: ReconLineRecord['result']; entry: JournalEntry | null }> = [];
    const discrepancies: DiscrepancyRecord[] = [];
    for (const record of page) {
      const line = lineOf(record);
      const entry = pairs.get(line.lineNo) ?? null;
      const decision = entry === null ? decideTheirsOnly(line, context) : decideLineMatch(line, entry, context);
      tallyDecision(tally, decision);
      countMoney(tally, line, entry, context);
      tally.lines += 1;
      changes.push({ lineNo: line.lineNo, result: decision.result, entry });
      if (decision.result === 'discrepancy') discrepancies.push(discrepancyOf(run, decision, line, entry, atMs));
    }
    await deps.store.write(async (tx) => {
      for (const change of changes) await tx.settleReconLine(run.id, change.lineNo, { result: change.result, attemptId: change.entry?.attemptId ?? null, paymentId: change.entry?.paymentId ?? null });
      if (discrepancies.length > 0) await tx.insertDiscrepancies(discrepancies);
    });
  }
}

async function writeOursOnlyStreaming(deps: ImportClearingFileDeps, run: ReconRunRecord, context: MatchContext, tally: Tally): Promise<void> {
  const pageRows = importDefaults.pageRows;
  let after: { createdAtMs: number; attemptId: string } | undefined;
  for (;;) {
    const page = await deps.store.listUnmatchedJournal(run.id, run.channel, context.window, { limit: pageRows, ...(after === undefined ? {} : { after }) });
    const atMs = deps.clock.nowMs();
    const discrepancies: DiscrepancyRecord[] = [];
    for (const entry of page) {
      if (ourStateOf(entry) !== 'settled') continue;
      const decision = decideOursOnly(entry, context);
      tallyDecision(tally, decision);
      countMoney(tally, null, entry, context);
      if (decision.result === 'discrepancy') discrepancies.push(discrepancyOf(run, decision, null, entry, atMs));
    }
    if (discrepancies.length > 0) await deps.store.write((tx) => tx.insertDiscrepancies(discrepancies));
    if (page.length < pageRows) return;
    const last = page[page.length - 1] as JournalEntry;
    after = { createdAtMs: last.createdAtMs, attemptId: last.attemptId };
  }
}

function groupBy<K>(entries: readonly JournalEntry[], keyOf: (entry: JournalEntry) => K | null): Map<K, JournalEntry[]> {
  const groups = new Map<K, JournalEntry[]>();
  for (const entry of entries) {
    const key = keyOf(entry);
    if (key === null) continue;
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [entry]);
    else list.push(entry);
  }
  return groups;
}
