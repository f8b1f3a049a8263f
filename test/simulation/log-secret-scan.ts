// The simulation's log check (invariant 5 on the logs, as auditor.ts checks it on the database bytes):
// every line the gateway hands its logger, rendered as the production logger writes it (redactForLog,
// src/adapters/log/logger.ts), is searched for the card numbers and QR codes of the run. Only the
// secrets found are kept, never the lines, so a run of 10,000 sales costs little memory.

/** Most secrets remembered as found: enough to report, bounded whatever the run logs. */
const foundMax = 50;

export class LogSecretScan {
  readonly #secrets = new Set<string>();
  readonly #lengths = new Set<number>();
  /** Each secret found, with the message of the first line it was in. */
  readonly found = new Map<string, string>();
  lines = 0;

  /** Adds secrets to look for from now on. */
  watch(secrets: readonly string[]): void {
    for (const secret of secrets) {
      this.#secrets.add(secret);
      this.#lengths.add(secret.length);
    }
  }

  /** One log line: its (already rendered) fields and message. */
  scan(fields: unknown, message: unknown): void {
    this.lines += 1;
    let text: string;
    try {
      text = `${JSON.stringify(fields) ?? ''} ${typeof message === 'string' ? message : JSON.stringify(message) ?? ''}`;
    } catch {
      text = String(message);
    }
    for (const run of text.matchAll(/[0-9]{13,}/g)) {
      const digits = run[0];
      for (const length of this.#lengths) {
        for (let at = 0; at + length <= digits.length; at++) {
          const candidate = digits.slice(at, at + length);
          if (this.#secrets.has(candidate) && !this.found.has(candidate) && this.found.size < foundMax) this.found.set(candidate, typeof message === 'string' ? message : '');
        }
      }
    }
  }
}
