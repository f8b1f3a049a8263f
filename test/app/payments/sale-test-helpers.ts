// Helpers of the sale use-case tests: a fixture closed after the test, and a bounded wait for what the
// reversal worker does in the background.
import { createFixture, type Fixture } from './sale-fixture.ts';
import { waitingFor } from '../../support/wait-for.ts';

export async function withFixture(options: Parameters<typeof createFixture>[0], body: (fixture: Fixture) => Promise<void>): Promise<void> {
  const fixture = await createFixture(options);
  try {
    await body(fixture);
  } finally {
    await fixture.close();
  }
}

export const waitFor = waitingFor({ timeoutMs: 15_000, pollMs: 20 });
