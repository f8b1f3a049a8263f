// Benchmark: the two durable units of an approved terminal sale, as the engine writes them, through the
// SQLite store (WAL, synchronous=FULL, group commit): the intent (INSERT idempotency, payment, attempt)
// and the outcome (UPDATE payment, attempt, idempotency with the answer's body). Rounds of `--batch`
// concurrent intents, then their outcomes, over 1 000 terminals and a card per sale. Prints the process
// CPU per sale (it includes the WAL fdatasync's system time) and the WAL pages written per sale
// (checkpoints off, so the WAL only grows): the second is a count, the first needs back-to-back runs.
// With --ahead-rows N each round's intents and outcomes share their batch with a unit written ahead that
// inserts N payments, as the projectors' units go first in a batch (a large first unit made SQLite's
// statement journal spill to a temporary file before the writer's temp_store = MEMORY; docs/store.md).
// Usage: tsx bench/sale-units.ts [--sales 3000 --batch 40 --ahead-rows 0 --dir /path/on/real/disk]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStore } from '../src/adapters/store/sqlite-store.ts';
import { fingerprintPan, maskPan } from '../src/core/cards/pan.ts';
import type { AttemptRecord, PaymentRecord } from '../src/core/ports/store.ts';
import { pendingBenchAttempt, pendingBenchSale } from './bench-records.ts';

const { values } = parseArgs({ options: { sales: { type: 'string', default: '3000' }, batch: { type: 'string', default: '40' }, 'ahead-rows': { type: 'string', default: '0' }, dir: { type: 'string' } } });
const sales = Number(values.sales);
const batch = Number(values.batch);
const aheadRows = Number(values['ahead-rows']);
for (const [name, value] of [['sales', sales], ['batch', batch]] as const) {
  if (!Number.isSafeInteger(value) || value < 1 || value > 1_000_000) throw new Error(`--${name} must be an integer in 1..1000000`);
}
if (!Number.isSafeInteger(aheadRows) || aheadRows < 0 || aheadRows > 10_000) throw new Error('--ahead-rows must be an integer in 0..10000');

const terminals = 1000;
const t0 = 1_765_000_000_000;
// About the size of a PaymentView with one attempt and its fee, as the outcome unit stores it.
const answerBody = JSON.stringify({
  id: 'pay_0000000000000000',
  status: 'approved',
  amountMinor: 12_345,
  currency: 'CNY',
  merchantId: 'M00000000000001',
  terminalId: 'T0000001',
  card: { masked: '622202******0123', brand: 'unionpay', type: 'debit', issuer: 'Test Bank' },
  responseCode: '00',
  authCode: 'A1B2C3',
  rrn: '123456789012',
  decline: null,
  attempts: [{ seq: 1, channel: 'bank-a', stan: '000001', outcome: 'approved', responseCode: '00', latencyMs: 12 }],
  fee: { feeMinor: 74, plan: 'standard' },
  createdAt: '2026-12-06T10:00:00.000Z',
  updatedAt: '2026-12-06T10:00:00.012Z',
  recovery: null,
});

function recordsOf(n: number): { payment: PaymentRecord; attempt: AttemptRecord; scope: string; key: string } {
  const terminalId = `T${String(n % terminals).padStart(7, '0')}`;
  const stan = String(n % 1_000_000).padStart(6, '0');
  const pan = `62220212345${String(n).padStart(8, '0')}`;
  const id = String(t0 + n).padStart(16, '0');
  const atMs = t0 + n;
  const payment = pendingBenchSale(
    { id: `pay_${id}`, merchantId: 'M00000000000001', terminalId, amountMinor: 12_345, panFingerprint: fingerprintPan(pan, 'bench-pan-key'), panMasked: maskPan(pan), cardIssuer: 'Test Bank', terminalStan: stan, terminalTransmittedAt: `1206${stan}` },
    atMs,
  );
  const attempt = pendingBenchAttempt(payment, 'bank-a', stan, atMs);
  return { payment, attempt, scope: `iso:${terminalId}`, key: `${stan}:1206${stan}` };
}

async function intent(store: SqliteStore, n: number): Promise<void> {
  const { payment, attempt, scope, key } = recordsOf(n);
  await store.write(async (tx) => {
    await tx.insertIdempotency({ scope, key, requestHash: 'h'.repeat(64), paymentId: payment.id, state: 'in_progress', responseStatus: null, responseBody: null, createdAtMs: payment.createdAtMs, updatedAtMs: payment.createdAtMs });
    await tx.insertPayment(payment);
    await tx.insertAttempt(attempt);
  });
}

async function outcome(store: SqliteStore, n: number): Promise<void> {
  const { payment, attempt, scope, key } = recordsOf(n);
  const atMs = payment.createdAtMs + 12;
  const answered: AttemptRecord = { ...attempt, outcome: 'approved', responseCode: '00', authCode: 'A1B2C3', rrn: String(100_000_000_000 + n), latencyMs: 12, sentAtMs: payment.createdAtMs, completedAtMs: atMs };
  await store.write(async (tx) => {
    if (!(await tx.updatePayment(payment, { ...payment, status: 'approved', responseCode: '00', authCode: 'A1B2C3', rrn: answered.rrn, updatedAtMs: atMs }))) throw new Error('version conflict');
    await tx.updateAttempt(answered, attempt);
    await tx.updateIdempotency(scope, key, { paymentId: payment.id, state: 'done', responseStatus: 201, responseBody: answerBody, updatedAtMs: atMs });
  });
}

const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'reswipe-bench-sale-units-'));
try {
  const path = join(dir, 'units.db');
  const store = SqliteStore.open(path, { checkpointUnitsMin: Number.MAX_SAFE_INTEGER });
  await store.migrate();
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: 'M00000000000001', name: 'bench', mcc: '5411', accepts: ['debit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: 0, updatedAtMs: 0 });
    for (let t = 0; t < terminals; t++) {
      await tx.upsertTerminal({ id: `T${String(t).padStart(7, '0')}`, merchantId: 'M00000000000001', state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: 0, updatedAtMs: 0 });
    }
  });
  const walBytes = (): number => {
    try {
      return statSync(`${path}-wal`).size;
    } catch {
      return 0;
    }
  };
  let next = 0;
  let aheadNext = 0;
  // A unit like a projector's, first in the batch: N approved payments without a terminal STAN.
  const ahead = async (): Promise<void> => {
    if (aheadRows === 0) return;
    await store.write(async (tx) => {
      for (let i = 0; i < aheadRows; i++) await tx.insertPayment({ ...recordsOf(100_000_000 + aheadNext++).payment, status: 'approved', terminalStan: null, terminalTransmittedAt: null });
    }, { ahead: true });
  };
  const round = async (): Promise<void> => {
    const ns = Array.from({ length: batch }, () => next++);
    await Promise.all([...ns.map((n) => intent(store, n)), ahead()]);
    await Promise.all([...ns.map((n) => outcome(store, n)), ahead()]);
  };
  for (let warm = 0; warm < 10; warm++) await round();
  const walBefore = walBytes();
  const cpuBefore = process.cpuUsage();
  const first = next;
  while (next - first < sales) await round();
  const cpu = process.cpuUsage(cpuBefore);
  const measured = next - first;
  // A WAL frame is a 24-byte header and a 4 096-byte page.
  const walPagesPerSale = (walBytes() - walBefore) / (24 + 4096) / measured;
  await store.close();
  console.log(`sale units, SQLite synchronous=FULL, ${measured} sales in rounds of ${batch}: CPU ${((cpu.user + cpu.system) / measured).toFixed(1)} µs per sale (user ${(cpu.user / measured).toFixed(1)}), WAL ${walPagesPerSale.toFixed(2)} pages per sale`);
  console.log(JSON.stringify({ bench: 'sale-units', sales: measured, batch, aheadRows, cpuUsPerSale: Number(((cpu.user + cpu.system) / measured).toFixed(1)), userUsPerSale: Number((cpu.user / measured).toFixed(1)), walPagesPerSale: Number(walPagesPerSale.toFixed(2)) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
