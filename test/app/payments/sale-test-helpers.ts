// Helpers of the sale use-case tests: a fixture closed after the test, and a bounded wait for what the
// reversal worker does in the background.
import { setTimeout as delay } from 'node:timers/promises';
import { createFixture, type Fixture } from './sale-fixture.ts';

export async function withFixture(options: Parameters<typeof createFixture>[0], body: (fixture: Fixture) => Promise<void>): Promise<void> {
  const fixture = await createFixture(options);
  try {
    await body(fixture);
  } finally {
    await fixture.close();
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 3_000): Promise<T> {
  for (let waitedMs = 0; waitedMs <= timeoutMs; waitedMs += 20) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    await delay(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}
