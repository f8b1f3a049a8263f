// Goal: an alert raised inside a real gateway reaches WeCom, DingTalk and Feishu robots and a mail
// server in their published message shapes, signed where the robot asks for it, links its runbook,
// and is listed, silenceable and audited over the API. Method: `reswipe issuer-sim` and `reswipe
// serve` as child processes (development mode, so the robots may be plain-http servers in this test);
// a config rule makes two format-error declines (amount ¥999.30, DE 39 = 30) a failure-rate spike; one
// HTTP server plays the three robots and checks DingTalk's signed URL and Feishu's signed body with the
// documented algorithms; a small SMTP server receives the mail. Every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { waitingFor } from '../support/wait-for.ts';

const merchantId = 'M00000000000001';
const dingSecret = 'SECdingtalk-test-secret';
const feishuSecret = 'feishu-test-secret';
let dir = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let httpPort = 0;
let adminKey = '';
let merchantKey = '';
let robots: Server | undefined;
let smtp: TcpServer | undefined;

interface RobotCall {
  path: string;
  query: URLSearchParams;
  body: Record<string, any>;
}
const calls: RobotCall[] = [];
const mails: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-alerts-e2e-'));
  robots = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://robots.test');
      calls.push({ path: url.pathname, query: url.searchParams, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any> });
      response.writeHead(200, { 'content-type': 'application/json' }).end(url.pathname.startsWith('/feishu') ? '{"code":0,"msg":"success"}' : '{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((resolve) => robots?.listen(0, '127.0.0.1', resolve));
  const robotPort = (robots.address() as { port: number }).port;

  smtp = createTcpServer((socket) => {
    socket.setEncoding('utf8');
    socket.write('220 test ESMTP\r\n');
    let buffer = '';
    let data: string[] | null = null;
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let index = buffer.indexOf('\r\n'); index >= 0; index = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        if (data !== null) {
          if (line === '.') {
            mails.push(data.join('\n'));
            data = null;
            socket.write('250 queued\r\n');
          } else data.push(line);
          continue;
        }
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'DATA') {
          data = [];
          socket.write('354 go\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write(verb === 'EHLO' ? '250 test\r\n' : '250 ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => smtp?.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.address() as { port: number }).port;

  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir });
  sim = started.child;
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
      security: { panKey: 'e2e-alerts-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 9_000, autoRetriesMax: 0 },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
      merchants: [{ id: merchantId, name: 'Alert shop', mcc: '5411', terminals: ['T0000001'] }],
      webhooks: { pollIntervalMs: 200, firstRetryMs: 1000 },
      alerts: {
        evaluateIntervalMs: 1000,
        runbookBaseUrl: 'https://wiki.example.test/runbooks/',
        rules: [{ id: 'merchant-failure-spike', kind: 'failure_rate_spike', severity: 'critical', params: { dimension: 'merchant', attemptsMin: 2, baselineAttemptsMin: 1000, rateWithoutBaselineBps: 5000 } }],
        targets: [
          { name: 'ops-wecom', kind: 'wecom', url: `http://127.0.0.1:${robotPort}/wecom/send?key=k1`, language: 'zh-CN' },
          { name: 'ops-dingtalk', kind: 'dingtalk', url: `http://127.0.0.1:${robotPort}/dingtalk/robot/send?access_token=t1`, secret: dingSecret, language: 'zh-CN' },
          { name: 'ops-feishu', kind: 'feishu', url: `http://127.0.0.1:${robotPort}/feishu/hook/abc`, secret: feishuSecret, language: 'en' },
          { name: 'ops-mail', kind: 'email', to: ['oncall@example.test'], language: 'en' },
        ],
        smtp: { host: '127.0.0.1', port: smtpPort, security: 'none', from: 'reswipe@example.test' },
      },
    }),
  );
  const key = (...args: string[]) => {
    const result = runReswipe(['keys', 'create', '--config', configPath, ...args], { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.trim();
  };
  adminKey = key('--admin', '--label', 'e2e');
  const served = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir });
  gateway = served.child;
  httpPort = Number(served.info.http);
  merchantKey = key('--merchant', merchantId);
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  await new Promise<void>((resolve) => (robots === undefined ? resolve() : robots.close(() => resolve())));
  await new Promise<void>((resolve) => (smtp === undefined ? resolve() : smtp.close(() => resolve())));
  rmSync(dir, { recursive: true, force: true });
});

let requests = 0;
async function api(method: string, path: string, body?: unknown, key = adminKey): Promise<{ status: number; json: any }> {
  requests += 1;
  const response = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': `alerts-e2e-${requests}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

const waitFor = waitingFor({ timeoutMs: 30_000, pollMs: 100 });

test('a failure-rate spike reaches every robot and the mail server in their published shapes, signed, with its runbook', async () => {
  for (let n = 0; n < 2; n += 1) {
    const answer = await api('POST', '/v1/payments', { merchantId, terminalId: 'T0000001', amountMinor: 99_930, currency: 'CNY', card: { number: '6222020000000000018', expiry: '3012', cvv: '123', entryMode: 'chip' } }, merchantKey);
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    assert.equal(answer.json.responseCode, '30');
  }
  await waitFor('the three robots and the mail', () => ['/wecom', '/dingtalk', '/feishu'].every((prefix) => calls.some((call) => call.path.startsWith(prefix))) && mails.length > 0);

  const wecom = calls.find((call) => call.path.startsWith('/wecom'));
  assert.deepEqual(Object.keys(wecom?.body ?? {}).sort(), ['markdown', 'msgtype']);
  assert.equal(wecom?.body.msgtype, 'markdown');
  assert.match(wecom?.body.markdown.content, /失败率突增/);
  assert.match(wecom?.body.markdown.content, /https:\/\/wiki\.example\.test\/runbooks\/failure-rate-spike\.md/);
  assert.equal(wecom?.query.get('key'), 'k1');

  const ding = calls.find((call) => call.path.startsWith('/dingtalk'));
  assert.equal(ding?.body.msgtype, 'markdown');
  assert.equal(typeof ding?.body.markdown.title, 'string');
  assert.match(ding?.body.markdown.text, /failure-rate-spike\.md/);
  const timestamp = ding?.query.get('timestamp') ?? '';
  assert.match(timestamp, /^[0-9]{13}$/, 'DingTalk takes milliseconds');
  assert.equal(ding?.query.get('access_token'), 't1');
  assert.equal(ding?.query.get('sign'), createHmac('sha256', dingSecret).update(`${timestamp}\n${dingSecret}`).digest('base64'), 'sign = base64(HMAC-SHA256(secret, timestamp \\n secret))');

  const feishu = calls.find((call) => call.path.startsWith('/feishu'));
  assert.equal(feishu?.body.msg_type, 'text');
  assert.match(feishu?.body.content.text, /Failure rate spike/);
  assert.match(feishu?.body.timestamp, /^[0-9]{10}$/, 'Feishu takes seconds');
  assert.equal(feishu?.body.sign, createHmac('sha256', `${feishu?.body.timestamp}\n${feishuSecret}`).update('').digest('base64'));

  assert.match(mails[0] ?? '', /Subject: reswipe \[CRITICAL\] FIRING: Failure rate spike/);
  assert.match(mails[0] ?? '', /To: oncall@example\.test/);

  const firing = await api('GET', '/v1/alerts?state=firing');
  assert.equal(firing.status, 200);
  const alert = firing.json.data.find((candidate: any) => candidate.ruleId === 'merchant-failure-spike');
  assert.ok(alert !== undefined, JSON.stringify(firing.json));
  assert.equal(alert.labels.subject, merchantId);
  assert.equal(alert.runbook, 'https://wiki.example.test/runbooks/failure-rate-spike.md');
  const events = await api('GET', '/v1/events?type=alert.firing');
  assert.equal(events.json.data.length, 1, 'one firing notice: de-duplicated while it fires');
});

test('rules and silences change over the API, validated and audited', async () => {
  const bad = await api('PUT', '/v1/alert-rules/circuit-open', { kind: 'circuit_open', severity: 'deafening' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'RSW_ALERT_RULE_INVALID');
  assert.equal(bad.json.field, 'rule.severity');
  const changed = await api('PUT', '/v1/alert-rules/circuit-open', { kind: 'circuit_open', severity: 'warning', repeatIntervalMs: 0 });
  assert.equal(changed.status, 200, JSON.stringify(changed.json));
  const rules = await api('GET', '/v1/alert-rules');
  assert.equal(rules.json.data.find((rule: any) => rule.id === 'circuit-open')?.severity, 'warning');

  const everything = await api('POST', '/v1/alert-silences', { matchers: {}, reason: 'all', endsAt: new Date(Date.now() + 3_600_000).toISOString() });
  assert.equal(everything.status, 400);
  assert.equal(everything.json.code, 'RSW_SILENCE_INVALID');
  const notATime = await api('POST', '/v1/alert-silences', { matchers: { kind: 'circuit_open' }, reason: 'r', endsAt: 'tomorrow at noon' });
  assert.equal(notATime.status, 400);
  assert.equal(notATime.json.field, 'endsAt', JSON.stringify(notATime.json));
  const silence = await api('POST', '/v1/alert-silences', { matchers: { kind: 'circuit_open', labels: { channel: 'sim' } }, reason: 'bank maintenance window', endsAt: new Date(Date.now() + 3_600_000).toISOString() });
  assert.equal(silence.status, 201, JSON.stringify(silence.json));
  assert.equal((await api('GET', '/v1/alert-silences')).json.data.length, 1);
  assert.equal((await api('DELETE', `/v1/alert-silences/${silence.json.id}`)).status, 200);
  assert.equal((await api('DELETE', `/v1/alert-silences/${silence.json.id}`)).status, 404);
  const audit = JSON.stringify((await api('GET', '/v1/audit?limit=50')).json);
  for (const action of ['alert_rule.change', 'alert_silence.create', 'alert_silence.end']) assert.ok(audit.includes(action), action);
});
