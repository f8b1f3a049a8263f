// Goal: fee plans and channels are live configuration shared by every node (docs/cluster.md, "Live
// configuration" and "What a restart keeps"): a plan PUT through one node is priced with by another
// by notification, well before the minute of its version check, and a node's restart keeps plans and channels changed through the API while its
// config files are unchanged, applies the files' edited definitions, and warns naming each one that
// disagrees. Method: two PostgreSQL stores on one schema (two nodes) whose version check is set to a
// minute, so only the change notice explains a fresh read; a "restart" is seedFromConfig again with
// the same or an edited config, as composeGateway's start runs it; warnings are caught by a logger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import { LiveFeePlans } from '../../../src/app/fees/live-fee-plans.ts';
import { putFeePlan } from '../../../src/app/fees/put-fee-plan.ts';
import { seedFromConfig } from '../../../src/app/seed-from-config.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { builtinFeePlans, computeFee, getFeePlan, mergeFeePlanSets, validateFeePlan, validateFeePlans, type FeePlanSet } from '../../../src/core/fees/index.ts';
import type { LoggerLike } from '../../../src/core/ports/channel.ts';
import { buildChannelRecord, channelDefinitionOf } from '../../../src/core/ports/defined-records.ts';
import type { AuditRecord } from '../../../src/core/ports/store.ts';
import { postgresTestUrl, requirePostgres, TestSchemas } from '../../support/postgres-test-database.ts';
import { waitingFor } from '../../support/wait-for.ts';

const schemas = new TestSchemas('reswipe_fee_nodes');
const waitFor = waitingFor({ timeoutMs: 15_000, pollMs: 10 });

interface Logged {
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(): LoggerLike & { warnings: Logged[]; errors: Logged[] } {
  const warnings: Logged[] = [];
  const errors: Logged[] = [];
  const record = (into: Logged[]) => (fields: object, message?: string) => void into.push({ fields: fields as Record<string, unknown>, message: message ?? '' });
  return { warnings, errors, info() {}, debug() {}, error: record(errors), warn: record(warnings) };
}

function audit(name: string, atMs: number): AuditRecord {
  return { id: `aud_${name}_${atMs}`, actor: 'user:ops', action: 'fee_plan.put', subjectId: name, detail: {}, atMs, clientAddress: '127.0.0.1', requestId: 'req_test' };
}

/** The fee of a 1 000 元 credit sale under `plan`. */
function creditFee(plans: FeePlanSet, plan: string): number {
  return computeFee({ amountMinor: 100_000, method: 'credit', plan: getFeePlan(plans, plan), mcc: '5411', atMs: Date.parse('2026-06-18T10:00:00+08:00'), settleMode: 't1' }).feeMinor;
}

async function twoNodes(): Promise<[PostgresStore, PostgresStore]> {
  const schema = schemas.fresh();
  const open = () => PostgresStore.open(postgresTestUrl, { schema, configCacheCheckMs: 60_000, applicationName: 'reswipe-fee-nodes-test' });
  const a = open();
  await a.migrate();
  const b = open();
  await b.migrate();
  await waitFor('both stores listening', () => a.listeningForConfigChanges && b.listeningForConfigChanges);
  return [a, b];
}

const shopFile = { name: 'shop', methods: { credit: { rateBps: 45 } } };
const plansFile = (shop: object): FeePlanSet => mergeFeePlanSets(builtinFeePlans, validateFeePlans({ plans: [shop] }, 'plans.json'));
const config = (priority: number) =>
  validateConfig({
    security: { developmentMode: true },
    log: { level: 'silent' },
    fees: { plansFile: 'plans.json' },
    channels: [{ name: 'bank-a', host: '127.0.0.1', port: 9100, priority, acquirerId: '00000000001' }],
  });

if (await requirePostgres('fee plans and channels across gateway nodes')) {
  test('a fee plan PUT through node A prices on node B by notification, well before the minute of its version check; a plan B could not validate leaves its plan in force', async () => {
    const [a, b] = await twoNodes();
    const logger = recordingLogger();
    const plansA = new LiveFeePlans({ store: a, fromFile: plansFile(shopFile), logger });
    const plansB = new LiveFeePlans({ store: b, fromFile: plansFile(shopFile), logger });
    const stopFollowing = plansB.follow();
    try {
      await seedFromConfig(a, config(1), plansFile(shopFile), Date.now(), logger);
      await plansB.refresh();
      assert.equal(creditFee(plansB.current(), 'shop'), 450);

      await putFeePlan({ store: a, plans: plansA }, validateFeePlan({ name: 'shop', methods: { credit: { rateBps: 39 } } }, 'http'), audit('shop', Date.now()));
      assert.equal(creditFee(plansA.current(), 'shop'), 390, 'node A prices with the new plan once the PUT is answered');
      await waitFor('node B to price with the plan changed on node A', () => creditFee(plansB.current(), 'shop') === 390);
      // A brand-new plan reaches node B too.
      await putFeePlan({ store: a, plans: plansA }, validateFeePlan({ name: 'gold', methods: { credit: { rateBps: 20 } } }, 'http'), audit('gold', Date.now()));
      await waitFor('node B to know plan gold', () => plansB.current().plans.has('gold'));
      const stored = await b.getFeePlanRecord('shop');
      assert.equal(stored?.version, 2);
      assert.equal(stored?.definedBy, 'api');
      assert.equal(stored?.changedBy, 'api:user:ops');
      assert.equal((await b.listAudit({ limit: 10 })).filter((record) => record.action === 'fee_plan.put').length, 2, 'each change audited in its write');

      // A stored plan this node cannot validate (say, written by a newer release) leaves the plan in force.
      await a.write((tx) => tx.upsertFeePlan({ ...stored!, document: { name: 'shop', methods: { credit: { rateBps: 41, newKnob: true } } }, version: 3 }));
      await waitFor('node B to log the plan it cannot validate', () => logger.errors.some((logged) => logged.fields.plan === 'shop' && logged.fields.version === 3));
      assert.equal(creditFee(plansB.current(), 'shop'), 390);
    } finally {
      stopFollowing();
      await Promise.all([a.close(), b.close()]);
      await schemas.dropAll();
    }
  });

  test("a node's restart keeps a fee plan and a channel changed through the API while the config files are unchanged, and warns naming them; an edited file wins", async () => {
    const [a, b] = await twoNodes();
    try {
      await seedFromConfig(a, config(1), plansFile(shopFile), Date.now(), recordingLogger());
      // Changes through node A's API: a plan and a channel's priority.
      const plansA = new LiveFeePlans({ store: a, fromFile: plansFile(shopFile), logger: recordingLogger() });
      await putFeePlan({ store: a, plans: plansA }, validateFeePlan({ name: 'shop', methods: { credit: { rateBps: 39 } } }, 'http'), audit('shop', Date.now()));
      await a.write(async (tx) => {
        const before = await tx.getChannel('bank-a');
        await tx.upsertChannel(buildChannelRecord({ ...channelDefinitionOf(before!), priority: 7 }, before, Date.now(), 'api'));
      });

      // Node B restarts with the unchanged config files.
      const restart = recordingLogger();
      await seedFromConfig(b, config(1), plansFile(shopFile), Date.now(), restart);
      assert.equal(creditFee(await storedPlans(b), 'shop'), 390, 'the plan changed through the API survives');
      assert.equal((await a.getChannel('bank-a'))?.priority, 7, 'the channel priority changed through the API survives');
      assert.deepEqual(restart.warnings.map((warning) => warning.fields.plan ?? warning.fields.channel).sort(), ['bank-a', 'shop'], 'each kept API change the file defines otherwise is named');

      // Node B restarts with the files edited: the newer change is the file's.
      const edited = recordingLogger();
      await seedFromConfig(b, config(3), plansFile({ name: 'shop', methods: { credit: { rateBps: 50 } } }), Date.now(), edited);
      assert.equal(creditFee(await storedPlans(a), 'shop'), 500);
      assert.equal((await b.getChannel('bank-a'))?.priority, 3);
      assert.equal((await b.getChannel('bank-a'))?.definedBy, 'file');
      assert.deepEqual(edited.warnings.map((warning) => warning.fields.plan ?? warning.fields.channel).sort(), ['bank-a', 'shop'], 'each API change the edited file replaces is named');

      // Another restart with the same files: nothing to say.
      const again = recordingLogger();
      await seedFromConfig(a, config(3), plansFile({ name: 'shop', methods: { credit: { rateBps: 50 } } }), Date.now(), again);
      assert.deepEqual(again.warnings, []);
      assert.equal((await a.getFeePlanRecord('shop'))?.version, 3, 'an unchanged file writes nothing');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await schemas.dropAll();
    }
  });
}

async function storedPlans(store: PostgresStore): Promise<FeePlanSet> {
  const plans = new LiveFeePlans({ store, fromFile: builtinFeePlans, logger: recordingLogger() });
  await plans.refresh();
  return plans.current();
}
