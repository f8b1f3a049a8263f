// Goal: from sales to money in the bank with real processes: sales through the gateway's HTTP API, `reswipe settle run`, payout accounts recorded from standard input, `reswipe payouts create` (twice: one payout per batch), `payouts export` writes the transfer file, the bank's answer file with one failed transfer (账户名不符) is imported with `payouts import-answer`, and the states and the merchants' own views over HTTP show paid, failed with its reason, expected and actual arrival, and never another merchant's data or a clear account number. Method: `reswipe issuer-sim` and `reswipe serve` as child processes on a temporary SQLite file, the CLI as separate processes on the same file, fetch over real sockets; every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { businessDateOf } from '../../src/core/fees/business-date.ts';
import { runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';

const shop = 'M00000000000011';
const restaurant = 'M00000000000012';
const accounts: Record<string, { bankCode: string; name: string; number: string }> = {
  [shop]: { bankCode: '102100099996', name: '上海测试商贸有限公司', number: '6222020200112233445' },
  [restaurant]: { bankCode: '308584000013', name: '深圳示例餐饮店', number: '755912345610901' },
};

let dir = '';
let configPath = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let httpPort = 0;
let gatewayLog = '';
const keys: Record<string, string> = {};

function reswipe(args: string[], input?: string) {
  const result = runReswipe([...args, '--config', configPath], { cwd: dir, ...(input === undefined ? {} : { input }) });
  return result;
}

function createKey(...args: string[]): string {
  const result = reswipe(['keys', 'create', ...args]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

/**
 * One request on a fresh connection (agent: false): the CLI steps between requests take longer than the
 * server's keep-alive timeout, and a pooled socket the server has just closed would fail the request.
 */
function call(path: string, key: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port: httpPort, path, method: init.method ?? 'GET', agent: false, timeout: 30_000, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`request ${path} timed out`)));
    request.on('error', reject);
    request.end(init.body);
  });
}

async function sale(merchantId: string, terminalId: string, amountMinor: number, n: number) {
  const response = await call('/v1/payments', keys[`${merchantId}:till`] as string, {
    method: 'POST',
    headers: { 'idempotency-key': `payout-e2e-${n}`, 'content-type': 'application/json' },
    body: JSON.stringify({ merchantId, terminalId, amountMinor, currency: 'CNY', card: { number: '6222020000000000018', expiry: '3012', cvv: '123', entryMode: 'chip' } }),
  });
  assert.equal(response.status, 201, response.text);
  const body = JSON.parse(response.text) as { status: string; createdAt: string };
  assert.equal(body.status, 'approved');
  return body;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-payouts-e2e-'));
  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir });
  sim = started.child;
  configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}` },
      security: { panKey: 'e2e-payouts-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 9_000, autoRetriesMax: 0 },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
      merchants: [
        { id: shop, name: 'E2E shop', mcc: '5411', terminals: ['T0000011'] },
        { id: restaurant, name: 'E2E restaurant', mcc: '5812', terminals: ['T0000012'] },
      ],
    }),
  );
  keys.admin = createKey('--admin', '--label', 'payouts e2e');
  const served = await startReswipeJson(['serve', '--config', configPath, '--json'], {
    cwd: dir,
    logLevel: 'info',
    onStderr: (text) => {
      if (gatewayLog.length < 2_000_000) gatewayLog += text;
    },
  });
  gateway = served.child;
  httpPort = Number(served.info.http);
  for (const merchantId of [shop, restaurant]) {
    keys[`${merchantId}:till`] = createKey('--merchant', merchantId);
    keys[`${merchantId}:books`] = createKey('--merchant', merchantId, '--scope', 'settlements:read');
  }
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  rmSync(dir, { recursive: true, force: true });
});

test('sales → settlement → payout file → answer with one 账户名不符 → states and merchant views', async () => {
  const sales = [await sale(shop, 'T0000011', 33_333, 1), await sale(shop, 'T0000011', 100_000, 2), await sale(restaurant, 'T0000012', 50_000, 3)];
  // The business dates of the sales (normally one; two if the run straddles the 23:00 cut-off).
  const dates = [...new Set(sales.map((s) => businessDateOf(Date.parse(s.createdAt), 'Asia/Shanghai', '23:00')))].sort();
  for (const date of dates) {
    const settled = reswipe(['settle', 'run', '--date', date, '--json']);
    assert.equal(settled.status, 0, settled.stderr);
  }
  const expectedNet: Record<string, number> = { [shop]: 133_333 - 167 - 500, [restaurant]: 50_000 - 250 }; // a debit card at 0.50 %: 1.67 (half up) + 5.00, 2.50
  for (const merchantId of [shop, restaurant]) {
    const account = accounts[merchantId] as { bankCode: string; name: string; number: string };
    // The restaurant's account name is recorded wrong, so its bank refuses the transfer.
    const name = merchantId === restaurant ? '深圳示例餐饮' : account.name;
    const set = reswipe(['payouts', 'account', 'set', '--merchant', merchantId, '--bank-code', account.bankCode, '--account-name', name], `${account.number}\n`);
    assert.equal(set.status, 0, set.stderr);
    assert.ok(set.stdout.includes(`****${account.number.slice(-4)}`) && !set.stdout.includes(account.number));
  }

  // Create twice: one payout per batch.
  const created: Array<{ outcome: string; merchantId: string; payout?: { id: string; amountMinor: number } }> = [];
  for (const date of dates) {
    const run = reswipe(['payouts', 'create', '--date', date, '--json']);
    assert.equal(run.status, 0, run.stderr);
    created.push(...JSON.parse(run.stdout));
    const again = reswipe(['payouts', 'create', '--date', date, '--json']);
    assert.ok((JSON.parse(again.stdout) as Array<{ outcome: string }>).every((r) => r.outcome === 'existing'));
  }
  const netOf = (merchantId: string) => created.filter((r) => r.merchantId === merchantId).reduce((sum, r) => sum + (r.payout?.amountMinor ?? 0), 0);
  assert.equal(netOf(shop), expectedNet[shop]);
  assert.equal(netOf(restaurant), expectedNet[restaurant]);

  // Export: one transfer file, owner-only, clear account numbers in it and only in it.
  const out = join(dir, 'transfer.txt');
  const exported = reswipe(['payouts', 'export', '--out', out, '--json']);
  assert.equal(exported.status, 0, exported.stderr);
  const { fileId, payouts: exportedIds } = JSON.parse(exported.stdout) as { fileId: string; payouts: string[] };
  assert.equal(exportedIds.length, created.length);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const transfer = readFileSync(out, 'utf8');
  assert.match(transfer, new RegExp(`^H\\|RSWPAY\\|1\\|${fileId}\\|`));
  assert.ok(transfer.includes(`|${accounts[shop]?.number}|上海测试商贸有限公司|`));
  assert.equal(reswipe(['payouts', 'export', '--out', join(dir, 'again.txt'), '--json']).stdout.trim(), 'null', 'nothing is pending any more');
  const redo = reswipe(['payouts', 'export', '--file-id', fileId, '--out', join(dir, 'redo.txt')]);
  assert.equal(redo.status, 0, redo.stderr);
  assert.equal(readFileSync(join(dir, 'redo.txt'), 'utf8'), transfer, 'the same file, byte for byte');

  // The bank's answer: the shop's transfers paid, the restaurant's refused (账户名不符).
  const details = transfer.split('\r\n').filter((line) => line.startsWith('D|'));
  const answerLines = details.map((line, index) => {
    const [, , payoutId, , , , amount] = line.split('|');
    return payoutId?.includes(restaurant) ? `D|${index + 1}|${payoutId}|F|${amount}||ACCOUNT_NAME_MISMATCH|账户名不符` : `D|${index + 1}|${payoutId}|S|${amount}|BR${index + 1}||`;
  });
  const total = transfer.split('\r\n')[0]?.split('|')[6];
  const answerPath = join(dir, 'answer.txt');
  writeFileSync(answerPath, [`H|RSWANS|1|${fileId}|${new Date().toISOString()}|${answerLines.length}`, ...answerLines, `T|${answerLines.length}|${total}`, ''].join('\r\n'));
  const imported = reswipe(['payouts', 'import-answer', answerPath, '--json']);
  assert.equal(imported.status, 0, imported.stderr);
  const summary = JSON.parse(imported.stdout) as { paid: number; failed: number };
  assert.equal(summary.failed, dates.length === 1 ? 1 : created.filter((r) => r.merchantId === restaurant).length);
  assert.equal(summary.paid + summary.failed, created.length);
  // Importing it again changes nothing.
  const twice = JSON.parse(reswipe(['payouts', 'import-answer', answerPath, '--json']).stdout) as { unchanged: number };
  assert.equal(twice.unchanged, created.length);

  // Re-running the day's settlement keeps the paid and in-payout batches as they are.
  const rerun = reswipe(['settle', 'run', '--date', dates[0] as string, '--json']);
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`${shop} ${dates[0]}: kept as it is \\(RSW_FEE_BATCH_PAID`));

  const listed = JSON.parse(reswipe(['payouts', 'list', '--json']).stdout) as Array<{ merchantId: string; state: string; reason: { zh: string } | null }>;
  assert.ok(listed.filter((p) => p.merchantId === shop).every((p) => p.state === 'paid'));
  assert.ok(listed.filter((p) => p.merchantId === restaurant).every((p) => p.state === 'failed' && p.reason?.zh === '账户名不符'));

  // The merchants' own views over HTTP.
  const shopPayouts = await call(`/v1/merchants/${shop}/payouts`, keys[`${shop}:books`] as string);
  assert.equal(shopPayouts.status, 200, shopPayouts.text);
  for (const view of JSON.parse(shopPayouts.text).data as Array<{ state: string; expectedArrivalDate: string; actualArrivalDate: string | null; accountNumberMasked: string }>) {
    assert.equal(view.state, 'paid');
    assert.match(view.expectedArrivalDate, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(view.actualArrivalDate ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(view.accountNumberMasked, '****3445');
  }
  const restaurantPayouts = JSON.parse((await call(`/v1/merchants/${restaurant}/payouts`, keys[`${restaurant}:books`] as string)).text).data as Array<{ id: string; state: string; reason: { code: string; zh: string; en: string } }>;
  assert.deepEqual(restaurantPayouts.map((p) => [p.state, p.reason.code, p.reason.zh]), restaurantPayouts.map(() => ['failed', 'account_name_mismatch', '账户名不符']));
  // Never another merchant's: 403 for its path, 404 for its payout under one's own.
  const foreign = await call(`/v1/merchants/${restaurant}/payouts`, keys[`${shop}:books`] as string);
  assert.equal(foreign.status, 403);
  assert.equal(JSON.parse(foreign.text).code, 'RSW_AUTH_MERCHANT_SCOPE');
  const foreignPayout = await call(`/v1/merchants/${shop}/payouts/${restaurantPayouts[0]?.id}`, keys[`${shop}:books`] as string);
  assert.equal(foreignPayout.status, 404);
  // Settlements, statements in both layouts and the monthly page.
  const date = dates[0] as string;
  const settlements = JSON.parse((await call(`/v1/merchants/${shop}/settlements?date=${date}`, keys[`${shop}:books`] as string)).text).data as Array<{ state: string }>;
  assert.deepEqual(settlements.map((b) => b.state), ['paid']);
  const zh = await call(`/v1/merchants/${shop}/statements/${date}?layout=zh`, keys[`${shop}:books`] as string);
  assert.equal(zh.status, 200, zh.text);
  assert.ok(zh.text.startsWith('\uFEFF记录类型,'));
  const monthly = await call(`/v1/merchants/${restaurant}/statements/monthly?month=${date.slice(0, 7)}&format=html`, keys[`${restaurant}:books`] as string);
  assert.equal(monthly.status, 200);
  assert.ok(monthly.text.includes('账户名不符') && monthly.text.includes('失败 failed'));
  // The admin's payout list agrees.
  const adminList = JSON.parse((await call(`/v1/payouts?fileId=${fileId}`, keys.admin as string)).text).data as unknown[];
  assert.equal(adminList.length, created.length);

  // No clear account number in the gateway's log or database files (only the transfer files hold them).
  await stopChild(gateway);
  gateway = undefined;
  for (const account of Object.values(accounts)) {
    assert.ok(!gatewayLog.includes(account.number), 'the log holds no clear account number');
    for (const name of readdirSync(dir).filter((n) => n.startsWith('gateway.db'))) {
      assert.ok(!readFileSync(join(dir, name)).includes(account.number), `${name} holds no clear account number`);
    }
  }
});
