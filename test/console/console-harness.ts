// What the console's browser tests and the screenshot script share (docs/console.md, "Tests"):
// a real gateway with the demo's shop day in it (`reswipe demo`, two merchants, ~45 payments with
// every failure the demo plays), console users of each role made through the API with the demo's
// admin key, and a real Chromium (Debian's /usr/bin/chromium) driven by playwright-core with a fresh
// profile. Chromium missing is an error, never a skip: CI installs it (.ci/run).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { testCards } from '../../src/sim/issuer/test-cards.ts';

export const chromiumPath = '/usr/bin/chromium';
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
export const viewport = { width: 1280, height: 800 };

/** The demo's merchants (src/app/demo/demo-script.ts). */
export const lotusId = '898110053110001';
export const noodlesId = '898110058120002';

/** Every card number the issuer simulator knows: none may ever appear on a console page. */
export const testPans: readonly string[] = testCards.map((card) => card.pan);

export type Role = 'admin' | 'operator' | 'merchant' | 'cashier' | 'auditor';

export interface ConsoleUser {
  name: string;
  password: string;
  role: Role;
  merchantIds: string[];
}

export interface ConsoleGateway {
  url: string;
  adminKey: string;
  users: Record<string, ConsoleUser>;
  /** GET/POST on /v1 with the admin key. */
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;
  stop: () => Promise<void>;
}

/** The console must have been built (`npm ci` builds it; `npm run build:console` after a change). */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(repoRoot, 'console', 'dist', 'index.html'))) return;
  throw new Error('console/dist/index.html is missing: run `npm run build:console` (npm install builds it)');
}

/** The users each test logs in as: one per role, the merchant and the cashier bound to Lotus. */
export const userSpecs: ReadonlyArray<{ name: string; role: Role; merchantIds: string[] }> = [
  { name: 'ada-admin', role: 'admin', merchantIds: [] },
  { name: 'oscar-operator', role: 'operator', merchantIds: [] },
  { name: 'lotus-owner', role: 'merchant', merchantIds: [lotusId] },
  { name: 'lotus-cashier', role: 'cashier', merchantIds: [lotusId] },
  { name: 'audrey-auditor', role: 'auditor', merchantIds: [] },
];

/** Starts `reswipe demo` on free ports in a fresh folder and creates the console users. */
export async function startConsoleGateway(): Promise<ConsoleGateway> {
  ensureConsoleBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-console-'));
  let child: ChildProcess | undefined;
  const started = await startReswipeJson(['demo', '--json', '--dir', join(dir, 'demo'), '--http-port', '0', '--terminal-port', '0'], {
    cwd: dir,
    startTimeoutMs: 120_000,
    onSpawn: (spawned) => {
      child = spawned;
    },
  });
  const url = String(started.info.httpUrl);
  const adminKey = String(started.info.adminKey);
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const headers: Record<string, string> = { authorization: `Bearer ${adminKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST') headers['idempotency-key'] = `console-test-${Math.random().toString(36).slice(2)}`;
    const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed };
  };
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const users: Record<string, ConsoleUser> = {};
    for (const spec of userSpecs) {
      const answer = await api('POST', '/v1/users', { name: spec.name, role: spec.role, merchantIds: spec.merchantIds });
      const password = (answer.body as { password?: unknown }).password;
      if (answer.status !== 201 || typeof password !== 'string') throw new Error(`creating console user ${spec.name} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      users[spec.role] = { ...spec, password };
    }
    return { url, adminKey, users, api, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (CSP violations land here). */
  errors: string[];
  close: () => Promise<void>;
}

/** A real Chromium with a fresh profile folder; fails when /usr/bin/chromium is missing. */
export async function openBrowser(): Promise<ConsoleBrowser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (CI does it in .ci/run)`);
  const profile = mkdtempSync(join(tmpdir(), 'reswipe-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: chromiumArgs, viewport, locale: 'zh-CN', timezoneId: 'UTC' });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[1349]/.test(message.text())) errors.push(`console error: ${message.text()}`);
  });
  const close = async (): Promise<void> => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, errors, close };
}

/** Logs in through the login page; resolves once the console's shell shows the user. */
export async function logIn(page: Page, gatewayUrl: string, user: { name: string; password: string }): Promise<void> {
  await page.goto(`${gatewayUrl}/console/login`);
  await page.fill('input[data-test="login-user"]', user.name);
  await page.fill('input[data-test="login-password"]', user.password);
  await page.click('[data-test="login-submit"]');
  await page.waitForSelector('[data-test="whoami"]', { timeout: 15_000 });
}

export async function logOut(page: Page): Promise<void> {
  await page.click('[data-test="logout"]');
  await page.waitForSelector('[data-test="login-submit"]', { timeout: 15_000 });
}

/** Switches the console to the given language (the header's one-click switch), if it is not already in it. */
export async function useLanguage(page: Page, language: 'zh-CN' | 'en'): Promise<void> {
  const current = await page.evaluate(() => document.documentElement.lang || 'zh-CN');
  if (current !== language) await page.click('[data-test="locale-switch"]');
  await waitInPage(page, () => document.documentElement.lang, language);
}

/**
 * Polls a value of the page until it equals `wanted` (bounded). Playwright's waitForFunction compiles
 * its function inside the page, which the console's CSP (no 'unsafe-eval') rightly forbids.
 */
export async function waitInPage<T>(page: Page, read: () => T, wanted: T, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: T | undefined;
  while (Date.now() < deadline) {
    seen = await page.evaluate(read);
    if (seen === wanted) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`page value stayed ${JSON.stringify(seen)}, wanted ${JSON.stringify(wanted)}`);
}

/** Opens a page of the console by its menu name and waits until its data has been asked for and drawn. */
export async function openPage(page: Page, gatewayUrl: string, name: string): Promise<void> {
  await page.goto(`${gatewayUrl}/console/${name}`);
  await page.waitForSelector('.page h1', { timeout: 15_000 });
  await page.waitForLoadState('networkidle');
}

/** Card numbers of the test cards found in the page's visible text (should be none). */
export async function fullCardNumbersOnPage(page: Page): Promise<string[]> {
  const text = (await page.evaluate(() => document.body.innerText)).replace(/[\s-]/g, '');
  return testPans.filter((pan) => text.includes(pan));
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
