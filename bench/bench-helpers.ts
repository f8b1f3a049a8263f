// Shared by the sale benchmarks (bench:engine, bench:http): the engine they measure, with a channel
// that approves at once, one distinct card per sale, the lane runner and the latency percentile, so
// both figures come from the same engine set-up and the same measuring code.
import { Payments } from '../src/app/payments/payments.ts';
import type { EngineSettings } from '../src/core/ports/payments.ts';
import { defaultBinTable } from '../src/core/cards/bin-table.ts';
import type { IsoMessage } from '../src/core/iso8583/index.ts';
import type { Store } from '../src/core/ports/store.ts';
import { SeededRandom } from '../src/core/time/random.ts';

export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** A distinct Luhn-valid UnionPay PAN per sale: one card per sale, as in a real shop. */
export function panFor(n: number): string {
  const body = `622202${String(n).padStart(12, '0')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) digit *= 2;
    sum += digit > 9 ? digit - 9 : digit;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** An Payments on `store` with one channel `bank` that approves every request at once, so a figure is the engine's own cost plus durable writes. */
export function approvingEngine(store: Store, panKey: string): Payments {
  const channel = {
    name: 'bank',
    async send(request: IsoMessage) {
      return { kind: 'reply' as const, message: { mti: '0210', fields: { ...request.fields, 37: '000000000001', 38: 'A1B2C3', 39: '00' } }, sentAtMs: Date.now(), latencyMs: 0 };
    },
  };
  const settings: EngineSettings = {
    terminalTimeoutMs: 60_000, replyMarginMs: 500, autoRetriesMax: 2, inFlightPerTerminalMax: 1, queuePerTerminalMax: 4, inFlightMax: 100_000, attemptMinMs: 1_000,
    strictLuhn: false, strictBin: false, panKey, httpTerminalId: 'RSWHTTP0', localOffsetMinutes: 480,
    channels: [{ name: 'bank', priority: 1, disabled: false, acquirerId: '00000000001', timeoutMs: 10_000 }], recoveryBatchMax: 1000, closeWaitMs: 1000,
  };
  return new Payments({ store, channels: [channel], clock: { nowMs: () => Date.now() }, random: new SeededRandom(1), logger: silentLogger, settings, binTable: defaultBinTable, reversalWorker: { kick() {} } });
}

/** Runs `count` jobs, `lanes` at a time, and returns each job's latency in ms, sorted. */
export async function runLanes(count: number, lanes: number, job: (n: number) => Promise<void>): Promise<number[]> {
  const latenciesMs: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let n = next++; n < count; n = next++) {
        const startedMs = performance.now();
        await job(n);
        latenciesMs.push(performance.now() - startedMs);
      }
    }),
  );
  return latenciesMs.sort((a, b) => a - b);
}

/** The p-th percentile (0-100) of ascending `sorted`, 0 when it is empty. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}
