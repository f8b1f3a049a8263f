// Child process for sqlite-crash.test.ts: writes payments through group commit as fast as it
// can and prints `ack <id>` for each write whose promise resolved, until it is killed.
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { merchant, payment } from './store-fixtures.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer <sqlite file>');
const unitsMax = 100_000;
const inFlightMax = 64;

const store = await openStore(`sqlite:${path}`);
await store.write((tx) => tx.upsertMerchant(merchant('m1')));
process.stdout.write('ready\n');
let next = 0;
async function worker(): Promise<void> {
  while (next < unitsMax) {
    const id = `p${next}`;
    next += 1;
    await store.write(async (tx) => {
      await tx.insertPayment(payment(id, 'm1', { createdAtMs: next }));
      await tx.appendEvent({ type: 'payment.created', subjectId: id, payload: {}, atMs: next });
    });
    process.stdout.write(`ack ${id}\n`);
  }
}
await Promise.all(Array.from({ length: inFlightMax }, worker));
await store.close();
