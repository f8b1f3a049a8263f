// `bench:auth --prefill N`: N past payments written straight into the gateway's SQLite file before it
// starts, so the bench measures a store with history (every index of payments, attempts and
// idempotency records N entries deep) against an empty one. Bulk insert on one connection with
// synchronous=OFF and one transaction per 50,000 payments: minutes for ten million, not hours.
// Realistic spread: 2 million cards (a card repeats now and then), every terminal of the bench
// merchant, 90 days before now, 1-99,999 fen, 93 % approved, 5 % declined upstream (so the retry
// budgets' decline index is filled too), 2 % declined locally; each has its attempt (when sent), its
// idempotency record (ISO scope, STAN and DE 7) and, when approved, its fee line.
import Database from 'better-sqlite3';
import { createHmac } from 'node:crypto';
import { attemptRows, feeLineRows, idempotencyRows, insertSql, paymentRows } from '../src/adapters/store/store-rows.ts';
import type { AttemptRecord, FeeLineRecord, IdempotencyRecord, PaymentRecord } from '../src/core/ports/store.ts';

const dayMs = 86_400_000;

/** A small deterministic generator (the same history for the same N). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function two(value: number): string {
  return String(value).padStart(2, '0');
}

function de7Of(atMs: number): string {
  const at = new Date(atMs);
  return two(at.getUTCMonth() + 1) + two(at.getUTCDate()) + two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds());
}

export function prefillHistory(path: string, options: { payments: number; merchantId: string; terminalIds: readonly string[]; nowMs: number; log: (line: string) => void }): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF');
  const insertPayment = db.prepare(`INSERT INTO payments (${paymentRows.columns.join(', ')}, journal_seq) VALUES (${paymentRows.columns.map(() => '?').join(', ')}, ?)`);
  const insertAttempt = db.prepare(`INSERT INTO attempts (${attemptRows.columns.join(', ')}, pan_fingerprint, pan_key_id) VALUES (${attemptRows.columns.map(() => '?').join(', ')}, ?, ?)`);
  const insertIdempotency = db.prepare(insertSql(idempotencyRows));
  const insertFee = db.prepare(insertSql(feeLineRows));
  const bind = (values: readonly unknown[]) => values.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
  const random = mulberry32(20261206);
  const startedMs = Date.now();
  const cards = 2_000_000;
  const batch = 50_000;
  const journalStart = (db.prepare('SELECT COALESCE(MAX(journal_seq), 0) AS seq FROM payments').get() as { seq: number }).seq;
  for (let done = 0; done < options.payments; ) {
    const until = Math.min(options.payments, done + batch);
    db.transaction(() => {
      for (let n = done; n < until; n++) {
        const card = Math.floor(random() * cards);
        const panFingerprint = createHmac('sha256', 'bench-prefill').update(String(card)).digest('hex');
        const terminalId = options.terminalIds[Math.floor(random() * options.terminalIds.length)] ?? options.terminalIds[0] ?? null;
        const createdAtMs = options.nowMs - dayMs - Math.floor(random() * 90 * dayMs);
        const roll = random();
        const status = roll < 0.93 ? 'approved' : 'declined';
        const sent = roll < 0.98;
        const amountMinor = 1 + Math.floor(random() * 99_999);
        const id = `pay_prefill_${n}`;
        const stan = String((n % 999_999) + 1).padStart(6, '0');
        const de7 = de7Of(createdAtMs);
        const code = status === 'approved' ? '00' : sent ? '51' : '14';
        const payment: PaymentRecord = {
          id,
          kind: 'sale',
          status,
          intake: 'iso',
          merchantId: options.merchantId,
          terminalId,
          amountMinor,
          currency: '156',
          panFingerprint,
          panKeyId: 'prefill',
          panMasked: `622202******${String(card % 10_000).padStart(4, '0')}`,
          cardBrand: 'unionpay',
          cardType: 'debit',
          cardIssuer: null,
          entryMode: '051',
          terminalStan: stan,
          terminalTransmittedAt: de7,
          reference: null,
          originalPaymentId: null,
          responseCode: code,
          authCode: status === 'approved' ? 'A00001' : null,
          rrn: status === 'approved' ? `P${String(n).padStart(11, '0')}` : null,
          decline: status === 'approved' ? null : { code, category: sent ? 'insufficient_funds' : 'card_data', party: 'issuer', verdict: 'never', waitSeconds: null, advice: { cashier: { zh: '-', en: '-' }, customer: { zh: '-', en: '-' } } },
          createdAtMs,
          updatedAtMs: createdAtMs + 150,
          version: 2,
        };
        insertPayment.run(...bind(paymentRows.toValues(payment)), journalStart + n + 1);
        if (sent) {
          const attempt: AttemptRecord = {
            id: `att_prefill_${n}`,
            paymentId: id,
            seq: 1,
            channel: 'prefill',
            mti: '0200',
            stan,
            transmittedAt: de7,
            processingCode: '000000',
            upstreamTerminalId: (terminalId ?? 'HTTP0001').slice(0, 8),
            outcome: status === 'approved' ? 'approved' : 'declined',
            responseCode: code,
            authCode: payment.authCode,
            rrn: payment.rrn,
            latencyMs: 120,
            sentAtMs: createdAtMs + 5,
            completedAtMs: createdAtMs + 125,
            createdAtMs,
          };
          insertAttempt.run(...bind(attemptRows.toValues(attempt)), panFingerprint, 'prefill');
        }
        const record: IdempotencyRecord = { scope: `iso:${terminalId}`, key: `${stan}:${de7}:${n}`, requestHash: 'prefill', paymentId: id, state: 'done', responseStatus: 201, responseBody: null, createdAtMs, updatedAtMs: createdAtMs + 150 };
        insertIdempotency.run(...bind(idempotencyRows.toValues(record)));
        if (status === 'approved') {
          const fee: FeeLineRecord = { id: `fee_${id}`, paymentId: id, merchantId: options.merchantId, kind: 'fee', method: 'debit', plan: 'standard', rule: 'prefill', amountMinor, feeMinor: Math.round(amountMinor * 0.005), rateBps: 50, businessDate: new Date(createdAtMs).toISOString().slice(0, 10), createdAtMs };
          insertFee.run(...bind(feeLineRows.toValues(fee)));
        }
      }
    })();
    done = until;
    if (done % 1_000_000 === 0 || done === options.payments) options.log(`prefill: ${done} payments (${Math.round((Date.now() - startedMs) / 1000)} s)`);
  }
  // The projector starts caught up: history is not re-projected.
  db.prepare('INSERT INTO projector_checkpoints (name, seq, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq').run('payments', journalStart + options.payments, options.nowMs);
  // No ANALYZE: the gateway runs on the plans a production database has (no statistics).
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
