// A bounded wait for what happens in the background (a worker, a gateway process, a receiver): the probe
// is asked every `pollMs` until it gives a value other than null, undefined or false, which is returned;
// past `timeoutMs` the test fails naming what it waited for. Each suite makes its own with its bounds.
import { setTimeout as delay } from 'node:timers/promises';

export type Probe<T> = () => T | null | undefined | false | Promise<T | null | undefined | false>;

export function waitingFor(defaults: { timeoutMs: number; pollMs: number }) {
  return async function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = defaults.timeoutMs): Promise<T> {
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
      if (Date.now() > deadlineMs) throw new Error(`timed out waiting for ${what}`);
      await delay(defaults.pollMs);
    }
  };
}
