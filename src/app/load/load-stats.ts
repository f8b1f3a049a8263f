// What a load run measured: latencies (bounded reservoir), outcomes by response code and by verdict,
// and the report `reswipe load` prints. No I/O here; the runner feeds it and the CLI prints it.
import type { Random } from '../../core/time/random.ts';

/** Latency samples kept; beyond this a uniform reservoir sample keeps the percentiles honest in bounded memory. */
export const latencySamplesMax = 200_000;

export interface LoadReport {
  target: string;
  mode: 'rate' | 'concurrency';
  /** Requests per second asked for (rate mode) or workers (concurrency mode). */
  level: number;
  durationSeconds: number;
  elapsedMs: number;
  /** Requests started. */
  sent: number;
  /** Requests that got an answer (any code). */
  answered: number;
  /** Requests with no usable answer: timeouts, refused or dropped connections, HTTP errors without a payment. */
  failed: number;
  /** Rate mode only: ticks with no free connection, so the request was never sent. */
  skipped: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number } | null;
  byCode: Record<string, number>;
  byVerdict: Record<string, number>;
}

export class LoadStats {
  readonly #samples: number[] = [];
  readonly #random: Random;
  #seen = 0;
  #latencySumMs = 0;
  #latencyMaxMs = 0;
  sent = 0;
  answered = 0;
  failed = 0;
  skipped = 0;
  readonly byCode: Record<string, number> = {};
  readonly byVerdict: Record<string, number> = {};

  constructor(random: Random) {
    this.#random = random;
  }

  /** One finished request: its latency, and its code and verdict (`no_answer`, `HTTP 409` and the like when there was no DE 39). */
  record(latencyMs: number, code: string, verdict: string, answered: boolean): void {
    if (answered) this.answered += 1;
    else this.failed += 1;
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
    this.byVerdict[verdict] = (this.byVerdict[verdict] ?? 0) + 1;
    this.#seen += 1;
    this.#latencySumMs += latencyMs;
    if (latencyMs > this.#latencyMaxMs) this.#latencyMaxMs = latencyMs;
    if (this.#samples.length < latencySamplesMax) {
      this.#samples.push(latencyMs);
    } else {
      const slot = this.#random.nextUint32() % this.#seen;
      if (slot < latencySamplesMax) this.#samples[slot] = latencyMs;
    }
  }

  get finished(): number {
    return this.answered + this.failed;
  }

  report(base: Pick<LoadReport, 'target' | 'mode' | 'level' | 'durationSeconds' | 'elapsedMs'>): LoadReport {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const elapsedSeconds = Math.max(base.elapsedMs, 1) / 1000;
    return {
      ...base,
      sent: this.sent,
      answered: this.answered,
      failed: this.failed,
      skipped: this.skipped,
      throughputPerSecond: Math.round((this.answered / elapsedSeconds) * 10) / 10,
      latencyMs:
        sorted.length === 0
          ? null
          : {
              p50: percentile(sorted, 50),
              p90: percentile(sorted, 90),
              p99: percentile(sorted, 99),
              max: this.#latencyMaxMs,
              mean: Math.round((this.#latencySumMs / this.#seen) * 10) / 10,
            },
      byCode: sortedRecord(this.byCode),
      byVerdict: sortedRecord(this.byVerdict),
    };
  }
}

/** Nearest-rank percentile of sorted samples (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

/** The human report: throughput, latency percentiles, outcomes by code and by verdict. */
export function formatLoadReport(report: LoadReport): string {
  const finished = report.answered + report.failed;
  const share = (count: number) => (finished === 0 ? '' : ` (${((100 * count) / finished).toFixed(1)} %)`);
  const lines = [
    `target      ${report.target}`,
    `load        ${report.mode === 'rate' ? `${report.level} requests/s` : `${report.level} concurrent`} for ${report.durationSeconds} s (ran ${(report.elapsedMs / 1000).toFixed(1)} s)`,
    `requests    ${report.sent} sent, ${report.answered} answered, ${report.failed} without an answer${report.skipped > 0 ? `, ${report.skipped} skipped (no free connection)` : ''}`,
    `throughput  ${report.throughputPerSecond} answers/s`,
    report.latencyMs === null
      ? 'latency     no samples'
      : `latency ms  p50 ${report.latencyMs.p50}  p90 ${report.latencyMs.p90}  p99 ${report.latencyMs.p99}  max ${report.latencyMs.max}  mean ${report.latencyMs.mean}`,
    'by code',
    ...Object.entries(report.byCode).map(([code, count]) => `  ${code.padEnd(14)} ${String(count).padStart(8)}${share(count)}`),
    'by verdict',
    ...Object.entries(report.byVerdict).map(([verdict, count]) => `  ${verdict.padEnd(14)} ${String(count).padStart(8)}${share(count)}`),
  ];
  return `${lines.join('\n')}\n`;
}
