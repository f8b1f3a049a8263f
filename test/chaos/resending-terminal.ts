// A chaos test's terminal (test/chaos/): one sale at a time over a real TCP connection; on no answer or a
// dropped connection it reconnects (waiting while the gateway restarts), signs on again and resends
// the SAME message (same STAN and DE 7), as real terminals do, up to `triesMax` times. And the
// child processes of a chaos test, killed and removed after it.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { IsoMessage } from '../../src/core/iso8583/index.ts';
import { TerminalClient, de7 } from '../e2e/terminal-client.ts';
import { startTracked, type StartedReswipe } from '../support/reswipe-process.ts';

/** What the terminal was told for one sale: every answer's DE 39, and the last. */
export interface ToldSale {
  told: string | null;
  answers: string[];
}

export interface ResendingTerminalOptions {
  terminalId: string;
  salesCount: number;
  waitMs: number;
  triesMax: number;
  /** The gateway now: whether it is up (between a kill and its restart it is not) and its listener port. */
  gateway: () => { up: boolean; port: number };
  /** A fresh STAN number for a sign-on. */
  nextStan: () => number;
  /** The n-th sale: its record (filled in with the answers) and the message to send. */
  saleAt: (n: number) => { sale: ToldSale; message: IsoMessage };
}

export async function runResendingTerminal(options: ResendingTerminalOptions): Promise<void> {
  let client: TerminalClient | null = null;
  const connected = async (): Promise<TerminalClient | null> => {
    if (client !== null && !client.closed) return client;
    client = null;
    for (let tries = 0; tries < 100; tries++) {
      const gateway = options.gateway();
      if (gateway.up) {
        try {
          const fresh = await TerminalClient.connect(gateway.port);
          const signOn = await fresh.request({ mti: '0800', fields: { 7: de7(), 11: String(900_000 + options.nextStan()).slice(-6), 41: options.terminalId, 70: '001' } }, options.waitMs);
          if (signOn.fields[39] === '00') {
            client = fresh;
            return client;
          }
          fresh.close();
        } catch {
          // Refused or dropped while the gateway restarts: try again shortly.
        }
      }
      await delay(200);
    }
    return null;
  };
  for (let n = 0; n < options.salesCount; n++) {
    const { sale, message } = options.saleAt(n);
    for (let tries = 0; tries < options.triesMax && sale.told === null; tries++) {
      const link = await connected();
      if (link === null) break;
      try {
        const answer = await link.request(message, options.waitMs);
        const code = String(answer.fields[39] ?? '');
        sale.answers.push(code);
        sale.told = code;
      } catch {
        // Timed out or the connection dropped: resend the same sale (same STAN and DE 7).
      }
    }
  }
  (client as TerminalClient | null)?.close();
}

/**
 * The child processes of one chaos test, all in a temp folder: `startJson` starts a reswipe command
 * there and remembers it until it exits; `cleanUp` (for `after`) SIGKILLs what is left and removes the folder.
 */
export function chaosProcesses(prefix: string): { dir: string; startJson(args: string[]): Promise<StartedReswipe>; cleanUp(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children = new Set<ChildProcess>();
  return {
    dir,
    startJson: (args) => startTracked(args, dir, children),
    cleanUp: () => {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
