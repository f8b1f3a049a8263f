// Goal: nothing the gateway runs at start, on a sale or in its background passes reads the whole history.
// With ten million past payments a query that walks payments, attempts, events, idempotency records or
// fee lines costs seconds, per call (docs/benchmarks.md, "Flat cost with history": the first alert run
// paged through every event to find the stream's end, and the gateway did not listen within 30 s).
// Method: record every statement the real SQLite store prepares (with the parameters of its first run)
// while the gateway composeGateway() wires starts, approves, declines and re-swipes sales, and its
// projectors and the webhook fan-out run; then read EXPLAIN QUERY PLAN of each on the same file. A plan
// may SEARCH these tables by an index; it must never SCAN one (a SCAN, with or without an index, is a
// walk of every row), except through a partial index (it holds only, say, the pending advices). A control drops the indexes of the start's recovery sweep and checks that the
// same reading finds the scans, so the check can fail.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CardNumber } from '../../../src/core/cards/pan.ts';
import type { SaleResult } from '../../../src/core/ports/payments.ts';
import { fanOutEvents } from '../../../src/app/webhooks/fan-out-events.ts';
import { approveAll, createFixture, FakeChannel, fixtureConfig, okPan, reply, sale, startFixtureGateway } from './sale-fixture.ts';
import { withFixture } from './sale-test-helpers.ts';

/** Tables that grow with every payment. */
const historyTables = ['payments', 'attempts', 'events', 'idempotency_records', 'fee_lines'];

interface Recorded {
  sql: string;
  params: unknown[];
}

/** Records each SQL text prepared on any better-sqlite3 connection while `body` runs, with its first parameters. */
async function recordStatements(body: () => Promise<void>): Promise<Recorded[]> {
  const recorded = new Map<string, Recorded>();
  const prototype = Database.prototype as unknown as { prepare(sql: string): Database.Statement };
  const prepare = prototype.prepare;
  prototype.prepare = function recordingPrepare(this: Database.Database, sql: string): Database.Statement {
    const statement = prepare.call(this, sql);
    for (const method of ['run', 'get', 'all'] as const) {
      const original = statement[method].bind(statement) as (...params: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...params: unknown[]) => {
        if (!recorded.has(sql)) recorded.set(sql, { sql, params });
        return original(...params);
      };
    }
    return statement;
  };
  try {
    await body();
  } finally {
    prototype.prepare = prepare;
  }
  return [...recorded.values()];
}

function statusOf(result: SaleResult): string {
  return result.kind === 'completed' || result.kind === 'replayed' ? result.view.status : result.kind;
}

/** The names a query gives the history tables (the table itself, or its alias: `payments p`, `attempts AS a`). */
function historyNamesIn(sql: string): Set<string> {
  const names = new Set(historyTables);
  for (const match of sql.matchAll(/\b(payments|attempts|events|idempotency_records|fee_lines)\s+(?:AS\s+)?([a-z_]\w*)/gi)) {
    const alias = match[2]?.toLowerCase() ?? '';
    if (!['where', 'on', 'join', 'set', 'left', 'inner', 'order', 'group', 'limit', 'values', 'select', 'union', 'default'].includes(alias)) names.add(alias);
  }
  return names;
}

/** The statements whose plan walks a history table, each with its plan. */
function historyScans(path: string, statements: readonly Recorded[]): string[] {
  const db = new Database(path, { readonly: true });
  try {
    // A partial index holds only the rows of its WHERE (pending advices, say), not the history: walking it is bounded.
    const partialIndexes = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").all() as Array<{ name: string }>).map((row) => row.name));
    const walksHistory = (detail: string, names: Set<string>): boolean => {
      const scan = /^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?/.exec(detail);
      return scan !== null && names.has(scan[1]?.toLowerCase() ?? '') && !partialIndexes.has(scan[2] ?? '');
    };
    const scans: string[] = [];
    for (const { sql, params } of statements) {
      if (!/^\s*(?:WITH|SELECT|UPDATE|DELETE|INSERT)/i.test(sql)) continue;
      // A statement that names no history table can show one only as a foreign key's child lookup: the
      // upsert of a terminal or merchant (payments reference both). SQLite plans that lookup for a parent
      // INSERT but runs it only to settle deferred violations, and these keys are immediate: 50 terminal
      // upserts took 78-83 ms over 20 000 and over 400 000 payments alike (2026-12-06), so it walks nothing.
      if (!/\b(?:payments|attempts|events|idempotency_records|fee_lines)\b/i.test(sql)) continue;
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((step) => step.detail);
      const names = historyNamesIn(sql);
      if (plan.some((detail) => walksHistory(detail, names))) scans.push(`${sql.replace(/\s+/g, ' ').slice(0, 200)}\n    ${plan.join(' | ')}`);
    }
    return scans;
  } finally {
    db.close();
  }
}

test('start, sales, re-swipes, declines, projectors and the webhook fan-out never scan a history table', async () => {
  let declineNext = false;
  await withFixture({ scripts: [(request) => reply(request, declineNext ? '51' : '00')] }, async (fixture) => {
    const path = fixture.gateway.config.database.url.replace(/^sqlite:/, '');
    const statements = await recordStatements(async () => {
      const { engine, store } = fixture;
      assert.equal(statusOf(await engine.authorize(sale())), 'approved');
      // The same card and amount again: the re-swipe guard reads its candidates.
      assert.equal(statusOf(await engine.authorize(sale())), 'approved');
      declineNext = true;
      assert.equal(statusOf(await engine.authorize(sale({ pan: okPan, amountMinor: 777 }))), 'declined');
      // The retry budget reads the card's declines before the next one goes upstream.
      assert.notEqual(statusOf(await engine.authorize(sale({ card: { number: new CardNumber(okPan), expiry: '3012', cvv: '123', entryMode: 'chip' }, amountMinor: 777 }))), 'approved');
      // The periodic sweeps: advices due, expired pre-authorization holds, pending payments.
      await fixture.gateway.transactions.forwardDueAdvices();
      await fixture.gateway.transactions.releaseExpiredHolds();
      await store.listPendingPayments(Date.now(), 100);
      await fixture.gateway.projector.drain();
      await fixture.gateway.analyticsProjector.drain();
      await fanOutEvents({ store, clock: { nowMs: () => Date.now() } });
      assert.ok((await store.latestEventSeq()) > 0);
    });
    // The fixture's gateway started before the recording: the next test records a start.
    assert.ok(statements.some(({ sql }) => /FROM payments/.test(sql)), 'the sales were recorded');
    assert.deepEqual(historyScans(path, statements), []);
  });
});

test("a gateway's start over an existing file never scans a history table, and the check sees a scan when an index is missing", async () => {
  const first = await createFixture();
  const config = first.gateway.config;
  const path = config.database.url.replace(/^sqlite:/, '');
  assert.equal(statusOf(await first.engine.authorize(sale())), 'approved');
  await first.gateway.close();
  try {
    const statements = await recordStatements(async () => {
      const again = await startFixtureGateway(fixtureConfig(dirname(path), ['bank-a']), [new FakeChannel('bank-a', approveAll)]);
      await again.close();
    });
    assert.ok(statements.some(({ sql }) => /status = 'pending'/.test(sql)), 'the recovery sweep was recorded');
    assert.deepEqual(historyScans(path, statements), []);

    // Control: without the indexes the start's sweeps rely on, the same reading reports their scans.
    const db = new Database(path);
    try {
      db.exec('DROP INDEX payments_pending_idx; DROP INDEX attempts_pending_advices_idx');
    } finally {
      db.close();
    }
    const scans = historyScans(path, statements);
    assert.ok(scans.some((scan) => /status = 'pending'/.test(scan)), scans.join('\n'));
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});
