// Goal: upstream STANs stay unique across gateway nodes on one PostgreSQL database, with blocks
// claimed per node (no shared counter per sale). Method: two stores on one schema (two nodes) take
// 100 000 STANs of one channel in parallel, many units at once on each, with small blocks so the
// counter row is fought over often; a store that is closed and reopened mid-way (a node restart)
// skips the rest of its block. No STAN may appear twice, and each unit's STANs come from few blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import { postgresTestUrl, requirePostgres, TestSchemas } from '../../support/postgres-test-database.ts';

const schemas = new TestSchemas('reswipe_stan');
const total = 100_000;
const perUnit = 500;

if (await requirePostgres('STAN blocks across nodes')) {
  test('two nodes claiming 100 000 STANs of one channel in parallel never hand out the same STAN', { timeout: 300_000 }, async () => {
    const schema = schemas.fresh();
    const open = () => PostgresStore.open(postgresTestUrl, { schema, stanBlockSize: 97, listenForConfigChanges: false });
    let nodes = [open(), open()];
    await nodes[0]?.migrate();
    const seen = new Set<string>();
    let duplicates = 0;
    let blocksTouched = 0;
    try {
      const unitsPerNode = total / perUnit / 2;
      for (let wave = 0; wave < 2; wave++) {
        // Each wave: every node fires half its units at once; between the waves node 1 restarts.
        const work = nodes.flatMap((store) =>
          Array.from({ length: unitsPerNode / 2 }, () =>
            store.write(async (tx) => {
              const stans: string[] = [];
              for (let i = 0; i < perUnit; i++) stans.push(await tx.nextStan('bank-a'));
              return stans;
            }),
          ),
        );
        for (const stans of await Promise.all(work)) {
          let previous = -1;
          for (const stan of stans) {
            if (seen.has(stan)) duplicates += 1;
            seen.add(stan);
            if (Number(stan) !== previous + 1) blocksTouched += 1;
            previous = Number(stan);
          }
        }
        if (wave === 0) {
          await nodes[1]?.close();
          nodes = [nodes[0] as PostgresStore, open()];
        }
      }
      assert.equal(duplicates, 0);
      assert.equal(seen.size, total);
      // Blocks, not a counter per STAN: a unit's 500 STANs run in a few contiguous stretches.
      assert.ok(blocksTouched < total / 50, `${blocksTouched} stretches for ${total} STANs`);
    } finally {
      await Promise.all(nodes.map((store) => store.close()));
      await schemas.dropAll();
    }
  });
}
