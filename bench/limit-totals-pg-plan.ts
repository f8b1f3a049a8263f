// The PostgreSQL plan and time of a limit's total (approvedSumSql): N list rows (default 100 000) of 10 merchants and
// 100 terminals, 93 % approved, the window the newest tenth,
// in a scratch schema. `RESWIPE_TEST_POSTGRES_URL=... tsx bench/limit-totals-pg-plan.ts`
import pg from 'pg';
import { migrations } from '../src/adapters/store/migrations.ts';
import { approvedSumSql } from '../src/adapters/store/current-payments-sql.ts';

const url = process.env.RESWIPE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = 'limit_totals_plan';
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
  for (const migration of migrations) await client.query(migration.postgres);
  const rows = Number(process.argv[2] ?? 100_000);
  await client.query(
    `INSERT INTO payment_list (id, journal_seq, created_at_ms, merchant_id, terminal_id, kind, status, method, amount_minor, pan_last4, card_brand, card_type)
     SELECT 'p' || i, i, 1000000 + i, 'm' || (i % 10), 't' || (i % 100), 'sale', CASE WHEN i % 14 = 0 THEN 'declined' ELSE 'approved' END, 'card', 100 + i % 1000, '0018', 'unionpay', 'debit'
       FROM generate_series(1, $1::int) AS i`,
    [rows],
  );
  await client.query(`INSERT INTO projector_checkpoints (name, seq, updated_at_ms) VALUES ('payments', $1, 0)`, [rows]).catch((error: Error) => console.log('checkpoint:', error.message));
  await client.query('VACUUM ANALYZE payment_list');
  for (const scope of [{ merchantId: 'm1' }, { merchantId: 'm1', terminalId: 't11' }]) {
    const sum = approvedSumSql(scope, 1_000_000 + rows * 0.9, 1_000_000 + rows + 1);
    let n = 0;
    const text = sum.sql.replace(/\?/g, () => `$${++n}`);
    const plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, sum.params);
    console.log(JSON.stringify(scope));
    for (const row of plan.rows) console.log(`  ${row['QUERY PLAN']}`);
  }
} finally {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
