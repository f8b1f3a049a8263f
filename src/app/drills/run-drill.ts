// Runs one emergency drill against a target (docs/drills.md): closed-loop sale lanes over the HTTP API,
// the scenario's fault on the primary bank (or the terminals' side) for a while, the fault lifted, the
// traffic stopped, a drain until every payment is final and the reversal queue empty (bounded), then
// the facts gathered from the gateway (events, manual handling, payments) and from the banks' own
// books, and scored by scoreDrill. Every wait is bounded; nothing here can charge a card twice: the
// lanes only ever send a new sale with a new key, or ask again with the same key.
import { randomInt } from 'node:crypto';
import type { DrillLength, DrillScenario, DrillTimings } from '../../core/drills/drill-scenarios.ts';
import { drillTimings } from '../../core/drills/drill-scenarios.ts';
import { scoreDrill, type DrillCheck, type DrillSale, type DrillScore } from '../../core/drills/score-drill.ts';
import type { DrillTarget } from './drill-target.ts';
import { sendTerminalRequest } from './send-terminal-request.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const requestTimeoutMs = 20_000;
const ledgerEntriesMax = 100_000;

export interface DrillRun {
  score: DrillScore;
  startedAtMs: number;
  durationMs: number;
  target: string;
}

interface PaymentAnswer {
  id?: string;
  status?: string;
  attempts?: Array<{ channel: string }>;
  decline?: { verdict?: string } | null;
}

async function api<T>(target: DrillTarget, method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; body: T }> {
  const response = await fetch(`${target.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extraHeaders },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: signal ?? AbortSignal.timeout(requestTimeoutMs),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

async function setBankFaults(adminUrl: string, faults: Record<string, number>): Promise<void> {
  const response = await fetch(`${adminUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults), signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`the bank at ${adminUrl} refused the fault settings: HTTP ${response.status} ${await response.text()}`);
}

const faultsCleared = { noReply: 0, replyLost: 0, lateReply: 0, drop: 0, dropAfterProcessing: 0, malformedReply: 0, duplicateReply: 0, badAnswerMac: 0, reversalNoReply: 0 };

/** Standing charges (not reversed) per amount across the banks' books. */
async function chargesByAmount(target: DrillTarget): Promise<Map<number, number>> {
  const charges = new Map<number, number>();
  for (const bank of [target.primary, target.backup]) {
    const response = await fetch(`${bank.adminUrl}/ledger?entries=${ledgerEntriesMax}`, { signal: AbortSignal.timeout(10_000) });
    const ledger = (await response.json()) as { entries: Array<{ kind: string; amountMinor: number; reversed: boolean }> };
    for (const entry of ledger.entries) {
      if (entry.kind === 'charge' && !entry.reversed) charges.set(entry.amountMinor, (charges.get(entry.amountMinor) ?? 0) + 1);
    }
  }
  return charges;
}

async function lastEventSeq(target: DrillTarget): Promise<number> {
  let after = 0;
  for (let page = 0; page < 10_000; page++) {
    const { body } = await api<{ data: Array<{ seq: number }> }>(target, 'GET', `/v1/events?after=${after}&limit=500`);
    if (body.data.length === 0) return after;
    after = body.data[body.data.length - 1]?.seq ?? after;
  }
  return after;
}

async function eventsSince(target: DrillTarget, afterSeq: number, types: readonly string[]): Promise<Array<{ type: string; atMs: number; subjectId: string | null }>> {
  const found: Array<{ type: string; atMs: number; subjectId: string | null }> = [];
  for (const type of types) {
    const { body } = await api<{ data: Array<{ type: string; at: string; subjectId: string | null }> }>(target, 'GET', `/v1/events?after=${afterSeq}&limit=500&type=${encodeURIComponent(type)}`);
    found.push(...body.data.map((event) => ({ type: event.type, atMs: Date.parse(event.at), subjectId: event.subjectId })));
  }
  return found.sort((a, b) => a.atMs - b.atMs);
}

/** `alert.firing` notices since a seq: each alert's kind and when it fired. */
async function alertsSince(target: DrillTarget, afterSeq: number): Promise<Array<{ kind: string; atMs: number }>> {
  const { status, body } = await api<{ data?: Array<{ at: string; payload: { kind?: string } }> }>(target, 'GET', `/v1/events?after=${afterSeq}&limit=500&type=alert.firing`);
  if (status !== 200 || body.data === undefined) return [];
  return body.data.map((event) => ({ kind: String(event.payload.kind ?? ''), atMs: Date.parse(event.at) })).sort((a, b) => a.atMs - b.atMs);
}

/** The reversal queue depth from /metrics (reswipe_reversal_queue_depth). */
async function reversalQueueDepth(target: DrillTarget): Promise<number> {
  const response = await fetch(`${target.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${target.apiKey}` }, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const line = text.split('\n').find((row) => row.startsWith('reswipe_reversal_queue_depth'));
  return line === undefined ? 0 : Number(line.trim().split(/\s+/).at(-1));
}

async function pendingPayments(target: DrillTarget): Promise<number> {
  const { body } = await api<{ data: unknown[] }>(target, 'GET', `/v1/payments?status=pending&merchantId=${encodeURIComponent(target.merchantId)}&limit=200`);
  return body.data.length;
}

async function manualHandlingCount(target: DrillTarget): Promise<number> {
  const { body } = await api<{ data: unknown[] }>(target, 'GET', '/v1/manual-handling?limit=500');
  return body.data.length;
}

export async function runDrill(target: DrillTarget, scenario: DrillScenario, length: DrillLength | DrillTimings = 'full'): Promise<DrillRun> {
  const timings: DrillTimings = typeof length === 'string' ? drillTimings[length] : length;
  const startedAtMs = Date.now();
  const seqBefore = await lastEventSeq(target);
  const manualBefore = await manualHandlingCount(target);
  // Amounts unique to this run, so each sale is found in the banks' books; small (a run of several
  // thousand sales over six cards stays far below their balances) and below the simulator's magic amounts.
  let nextAmount = 101 + randomInt(0, 300);
  const sales: DrillSale[] = [];
  let stopping = false;
  let networkCut = false;

  async function askUntilFinal(key: string, body: unknown, firstCut: boolean): Promise<{ answer: PaymentAnswer | null; status: string }> {
    for (let tries = 0; tries < 200; tries++) {
      const cut = networkCut;
      try {
        const signal = cut && scenario.fault.kind === 'terminal-network' ? AbortSignal.timeout(scenario.fault.cutAfterMs) : undefined;
        const response = await api<PaymentAnswer>(target, 'POST', '/v1/payments', body, { 'idempotency-key': key }, signal);
        if (response.status === 409) {
          // The first request is still being answered: ask again shortly with the same key.
          await sleep(200);
          continue;
        }
        return { answer: response.body, status: response.body.status ?? `http-${response.status}` };
      } catch {
        if (!cut && !firstCut) return { answer: null, status: 'no-answer' };
        // The terminal's network is down: wait until it is back, then ask again with the same key.
        while (networkCut) await sleep(50);
      }
    }
    return { answer: null, status: 'no-answer' };
  }

  async function lane(terminalId: string, laneIndex: number): Promise<void> {
    const card = target.cards[laneIndex % target.cards.length] as DrillTarget['cards'][number];
    for (let round = 0; round < 100_000 && !stopping; round++) {
      const amountMinor = nextAmount++;
      const key = `drill-${startedAtMs}-${amountMinor}`;
      const startedAt = Date.now();
      const body = { merchantId: target.merchantId, terminalId, amountMinor, currency: 'CNY', card: { ...card, entryMode: 'chip' }, capture: true };
      const cutAtStart = networkCut;
      const { answer, status } = await askUntilFinal(key, body, cutAtStart);
      sales.push({
        amountMinor,
        startedAtMs: startedAt,
        endedAtMs: Date.now(),
        paymentId: answer?.id ?? null,
        status,
        verdict: answer?.decline?.verdict ?? null,
        channels: (answer?.attempts ?? []).map((attempt) => attempt.channel),
        askedAgain: cutAtStart || networkCut,
      });
    }
  }

  const scenarioChecks: DrillCheck[] = [];
  const lanes = target.terminals.slice(0, timings.lanes).map((terminalId, index) => lane(terminalId, index));
  let faultAtMs = 0;
  let restoreAtMs = 0;
  try {
    await sleep(timings.normalMs);
    faultAtMs = Date.now();
    const fault = scenario.fault;
    switch (fault.kind) {
      case 'bank-stops':
        if (target.stopPrimary !== undefined) await target.stopPrimary();
        else await setBankFaults(target.primary.adminUrl, { drop: 1 });
        await sleep(timings.faultMs);
        break;
      case 'bank-silent':
        await setBankFaults(target.primary.adminUrl, { noReply: 1 });
        await sleep(timings.faultMs);
        break;
      case 'bank-late':
        await setBankFaults(target.primary.adminUrl, { lateReply: 1, lateReplyMs: fault.lateReplyMs });
        await sleep(timings.faultMs);
        break;
      case 'bank-flapping':
        for (let flip = 0; Date.now() - faultAtMs < timings.faultMs; flip++) {
          await setBankFaults(target.primary.adminUrl, { drop: flip % 2 === 0 ? 1 : 0 });
          await sleep(fault.periodMs);
        }
        break;
      case 'terminal-network':
        networkCut = true;
        await sleep(timings.faultMs);
        break;
      case 'reversals-stuck':
        await setBankFaults(target.primary.adminUrl, { replyLost: fault.replyLostShare, reversalNoReply: 1 });
        await sleep(timings.faultMs);
        break;
      case 'batch-totals-differ': {
        if (target.terminalLink === null) throw new Error('the batch-unbalanced drill needs the gateway terminal link (--terminal-link host:port)');
        const terminalId = target.terminals[0] as string;
        // Totals that cannot be the journal's: one debit more than the gateway can have seen.
        const answer = await sendTerminalRequest(target.terminalLink, {
          mti: '0500',
          fields: { 41: terminalId, 42: target.merchantId, 48: '000000000001001000000000000000' },
        });
        scenarioChecks.push({ name: 'the unbalanced settlement is answered 95', ok: answer.responseCode === '95', detail: `DE 39 ${answer.responseCode ?? 'none'}` });
        await sleep(timings.faultMs);
        break;
      }
    }
  } finally {
    restoreAtMs = Date.now();
    networkCut = false;
    if (scenario.fault.kind === 'bank-stops' && target.startPrimary !== undefined) await target.startPrimary();
    await setBankFaults(target.primary.adminUrl, faultsCleared).catch(() => undefined);
  }
  await sleep(timings.recoverMs);
  stopping = true;
  await Promise.all(lanes);

  // Drain: every payment final and the reversal queue empty (bounded).
  let pending = 0;
  let queued = 0;
  for (let waitedMs = 0; waitedMs <= timings.drainMsMax; waitedMs += 250) {
    pending = await pendingPayments(target);
    queued = await reversalQueueDepth(target);
    if (pending === 0 && queued === 0) break;
    await sleep(250);
  }
  const dead = Math.max(0, (await manualHandlingCount(target)) - manualBefore);
  const score = scoreDrill({
    scenario,
    primaryChannel: target.primary.channel,
    sales,
    faultAtMs,
    restoreAtMs,
    detections: await eventsSince(target, seqBefore, scenario.detectedBy),
    alerts: await alertsSince(target, seqBefore),
    chargesByAmount: await chargesByAmount(target),
    reversals: { pending: queued, dead },
    paymentsNotFinal: pending,
    scenarioChecks,
  });
  return { score, startedAtMs, durationMs: Date.now() - startedAtMs, target: target.label };
}
