// Goal: a terminal key change made on one gateway node is in force on another node by notification, well before the minute of its version check:
// the new MAC key verifies there, and a message MACed under the replaced key is refused there, though
// that node remembered the replaced key. Method: two PostgreSQL stores on one schema (two nodes) whose
// version check is set to a minute, so only the change notice can explain the refusal; node A signs
// the terminal on (new working keys) and later rotates its master key; node B checks MACed sales with
// the terminal link's MAC guard, as its listener would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import { TerminalKeyVault } from '../../../src/adapters/crypto/terminal-key-vault.ts';
import { TerminalMacGuard } from '../../../src/adapters/terminal-link/terminal-mac-guard.ts';
import { TerminalKeyCeremonies } from '../../../src/app/terminal-keys/terminal-key-ceremonies.ts';
import { WorkingKeys } from '../../../src/app/terminal-keys/working-keys.ts';
import { combineKeyComponents } from '../../../src/core/crypto/key-components.ts';
import { packWithMac } from '../../../src/core/crypto/terminal-mac.ts';
import { decodeWorkingKeyBlock } from '../../../src/core/crypto/working-key-block.ts';
import { getDialect, unpackMessage } from '../../../src/core/iso8583/index.ts';
import { merchant, terminal } from '../../adapters/store/store-fixtures.ts';
import { postgresTestUrl, requirePostgres, TestSchemas } from '../../support/postgres-test-database.ts';
import { waitingFor } from '../../support/wait-for.ts';
import { saleMessage } from '../../e2e/terminal-client.ts';
import { silentLogger } from '../payments/sale-fixture.ts';

const schemas = new TestSchemas('reswipe_keys_nodes');
const waitFor = waitingFor({ timeoutMs: 15_000, pollMs: 10 });
const dialect = getDialect('iso87-ascii');
const terminalId = 'T0000001';
const clock = { nowMs: () => Date.now() };

if (await requirePostgres('terminal keys across gateway nodes')) {
  test('a sign-on and a master key rotation on node A: node B verifies with the new MAC key and refuses the replaced one by notification, well before the minute of its version check', async () => {
    const schema = schemas.fresh();
    const open = () => PostgresStore.open(postgresTestUrl, { schema, configCacheCheckMs: 60_000, applicationName: 'reswipe-keys-nodes-test' });
    const storeA = open();
    await storeA.migrate();
    const storeB = open();
    await storeB.migrate();
    const vault = new TerminalKeyVault(Buffer.alloc(32, 5), 'config');
    const keysA = new WorkingKeys({ store: storeA, vault, clock });
    const keysB = new WorkingKeys({ store: storeB, vault, clock });
    const stopFollowing = keysB.follow();
    const guardB = new TerminalMacGuard({ dialect, macMode: 'required', keys: keysB, store: storeB, clock, logger: silentLogger, listenerName: 'pos' });
    let stan = 100;
    const macedSaleOnB = async (macKey: Buffer): Promise<string> => {
      stan += 1;
      const frame = packWithMac(dialect, saleMessage({ stan: String(stan).padStart(6, '0'), pan: '6222020000000000018', amountMinor: 1_000, terminalId }), 'sm4', macKey);
      const verdict = await guardB.check(unpackMessage(dialect, frame), frame);
      return 'refused' in verdict ? verdict.refused : 'ok';
    };
    try {
      await waitFor('both stores listening', () => storeA.listeningForConfigChanges && storeB.listeningForConfigChanges);
      await storeA.write(async (tx) => {
        await tx.upsertMerchant(merchant('M00000000000001'));
        await tx.upsertTerminal(terminal(terminalId, 'M00000000000001'));
      });
      const ceremonies = new TerminalKeyCeremonies({ store: storeA, vault, clock });
      const tmkOf = (components: Array<{ hex: string }>): Buffer => combineKeyComponents('sm4', components.map((component) => Buffer.from(component.hex, 'hex')));
      const signOnOnA = async (tmk: Buffer): Promise<Buffer> => {
        const issued = await keysA.issue(terminalId, '003');
        assert.equal(issued.kind, 'issued');
        const decoded = decodeWorkingKeyBlock('sm4', tmk, '003', (issued as { de62: Buffer }).de62);
        assert.ok(decoded.ok);
        return decoded.keys.mac;
      };

      const tmk = tmkOf((await ceremonies.generate(terminalId, 'sm4', 2)).components);
      const firstMac = await signOnOnA(tmk);
      assert.equal(await macedSaleOnB(firstMac), 'ok', 'node B reads the keys node A issued, and remembers them');

      // A new sign-on on node A: the key node B remembers is replaced.
      const secondMac = await signOnOnA(tmk);
      await waitFor('node B to refuse the replaced MAC key', async () => (await macedSaleOnB(firstMac)) === 'bad');
      assert.equal(await macedSaleOnB(secondMac), 'ok', 'the new key verifies on node B');

      // A master key rotated on node A voids the working keys on every node, until the terminal signs on under it.
      await ceremonies.generate(terminalId, 'sm4', 2, true);
      await waitFor('node B to refuse the working key of the rotated master key', async () => (await macedSaleOnB(secondMac)) === 'no_working_keys');
    } finally {
      stopFollowing();
      await Promise.all([storeA.close(), storeB.close()]);
      await schemas.dropAll();
    }
  });
}
