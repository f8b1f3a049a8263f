// Shared by the tests that run the real `node bin/reswipe.mjs` as a child process: one way to run a
// command to its end, to start a long-running one and read the JSON line it prints once it listens,
// and to stop it again, each with a bounded wait.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The checkout's root folder. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The `reswipe` entry point of this checkout. */
export const reswipeBin = fileURLToPath(new URL('../../bin/reswipe.mjs', import.meta.url));

const runTimeoutMs = 60_000;
const startTimeoutMs = 30_000;
const stopKillAfterMs = 10_000;
/** How much of a child's stderr is kept to explain a failed start. */
const stderrCharsMax = 8000;

export interface ReswipeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working folder; the checkout's root by default. */
  cwd?: string;
  /** The child's whole environment; the parent's by default. */
  env?: NodeJS.ProcessEnv;
  /** How long the command may run before it is killed; 60 s by default. */
  timeoutMs?: number;
  /** Written to the child's standard input (then closed), for commands that read secrets from it. */
  input?: string;
}

/** Runs `reswipe <args>` to its end (bounded by `timeoutMs`) and returns its exit status, stdout and stderr. */
export function runReswipe(args: readonly string[], options: RunOptions = {}): ReswipeRun {
  const result = spawnSync(process.execPath, [reswipeBin, ...args], { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, encoding: 'utf8', timeout: options.timeoutMs ?? runTimeoutMs, ...(options.input === undefined ? {} : { input: options.input }) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Tests run the gateway in development mode (security.developmentMode): the public development PAN key
 * and relaxed terminal security are allowed only there, and `serve` refuses to start without it or a
 * real key. Spread this into a child's environment; a test of the refusal itself leaves it out.
 */
export const developmentModeEnv: Readonly<NodeJS.ProcessEnv> = Object.freeze({ RESWIPE_DEVELOPMENT_MODE: '1' });

/** The parent's environment without its RESWIPE_* variables, plus the given ones (development mode included only when given). */
export function envWithoutReswipe(vars: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('RESWIPE_')) env[name] = value;
  return { ...env, ...vars };
}

export interface StartOptions {
  cwd: string;
  /** RESWIPE_LOG_LEVEL for the child; `warn` by default. */
  logLevel?: string;
  /** Added to the parent's environment (after the log level and development mode, so it may override them). */
  env?: NodeJS.ProcessEnv;
  /** Sees every chunk of the child's stderr as text (e.g. to keep or echo the log). */
  onStderr?: (text: string) => void;
  /** Sees the child as soon as it is spawned, before it has started (e.g. to kill it in `after` whatever happens). */
  onSpawn?: (child: ChildProcess) => void;
  /** How long the command may take to print its first line; 30 s by default. */
  startTimeoutMs?: number;
}

export interface StartedReswipe {
  child: ChildProcess;
  /** The first stdout line, parsed as JSON (a command started with --json prints where it listens). */
  info: Record<string, unknown>;
}

/**
 * Spawns `reswipe <args>` and resolves once its first stdout line has arrived, parsed as JSON; rejects
 * with the tail of its stderr if it exits first or prints nothing within `startTimeoutMs` (then it is
 * killed, so a hung start leaves nothing behind). Later stdout is drained.
 */
export function startReswipeJson(args: readonly string[], options: StartOptions): Promise<StartedReswipe> {
  const child = spawn(process.execPath, [reswipeBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, RESWIPE_LOG_LEVEL: options.logLevel ?? 'warn', ...developmentModeEnv, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr = (stderr + text).slice(-stderrCharsMax);
    options.onStderr?.(text);
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timeoutMs = options.startTimeoutMs ?? startTimeoutMs;
    const timer = setTimeout(() => {
      reject(new Error(`${args[0]} did not start within ${timeoutMs / 1000} s: ${stderr}`));
      child.kill('SIGKILL');
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      // Stop collecting but keep the pipe flowing, so a chatty child never blocks on a full pipe.
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      try {
        resolve({ child, info: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown> });
      } catch (error) {
        reject(error as Error);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited (${code ?? signal}) before starting: ${stderr}`));
    });
  });
}

/**
 * Sends `signal` (SIGTERM by default) to a running child and waits for it to exit, escalating to
 * SIGKILL after `killAfterMs` (10 s by default). A child that is absent or already gone is left alone.
 */
export async function stopChild(child: ChildProcess | undefined, options: { signal?: NodeJS.Signals; killAfterMs?: number } = {}): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(options.signal ?? 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? stopKillAfterMs);
  await exited;
  clearTimeout(timer);
}

/**
 * `startReswipeJson` at log level `error` in `cwd`, the child remembered in `children` until it exits,
 * so a test's `after` can SIGKILL whatever is left running.
 */
export function startTracked(args: readonly string[], cwd: string, children: Set<ChildProcess>): Promise<StartedReswipe> {
  return startReswipeJson(args, {
    cwd,
    logLevel: 'error',
    onSpawn: (child) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
  });
}
