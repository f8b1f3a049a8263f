// Loads the configuration the same way for every command: the file given with --config (JSON or
// YAML), then RESWIPE_* environment variables, then flags; later sources override earlier ones key
// by key. The result is validated once by the pure schema and comes back deep-frozen. Call it
// before opening any port or database, so a bad config stops start-up with one message and nothing
// half-started (docs/configuration.md).
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import { ReswipeError, isReswipeError } from '../../core/errors/reswipe-error.ts';
import { describeExpectation, formatKeyPath, schemaAtPath, validateConfig, type ReswipeConfig } from '../../core/config/config-schema.ts';

export interface LoadConfigOptions {
  /** Path of a .json, .yaml or .yml file. When absent, RESWIPE_CONFIG may name one. */
  readonly configFile?: string | undefined;
  /** Environment to read RESWIPE_* variables from; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Overrides from command-line flags: dotted key paths (`'http.port'`, `'listeners[0].port'`) or nested objects. Undefined values are ignored. */
  readonly flags?: Readonly<Record<string, unknown>> | undefined;
}

type KeyPath = (string | number)[];

/** Config files larger than this are refused before parsing: configuration is loaded whole into memory. */
export const configFileBytesMax = 64 * 1024 * 1024;

/** Short names for the settings people set most often. Every key also has the generic form (`RESWIPE_HTTP__PORT`). */
export const envAliases: Readonly<Record<string, KeyPath>> = {
  RESWIPE_DATABASE_URL: ['database', 'url'],
  RESWIPE_NODE_ID: ['node', 'id'],
  RESWIPE_HTTP_HOST: ['http', 'host'],
  RESWIPE_HTTP_PORT: ['http', 'port'],
  RESWIPE_PAN_KEY: ['security', 'panKey'],
  RESWIPE_PAN_KEYS_RETIRED: ['security', 'panKeysRetired'],
  RESWIPE_DEVELOPMENT_MODE: ['security', 'developmentMode'],
  RESWIPE_TERMINAL_MASTER_KEY: ['security', 'terminalMasterKey'],
  RESWIPE_LOG_LEVEL: ['log', 'level'],
  RESWIPE_TERMINAL_HOST: ['listeners', 0, 'host'],
  RESWIPE_TERMINAL_PORT: ['listeners', 0, 'port'],
};

/** RESWIPE_* variables that are not configuration keys and are therefore not errors: the config file itself, and test switches. */
export const envIgnored: readonly RegExp[] = [/^RESWIPE_CONFIG$/, /^RESWIPE_TEST_/, /^RESWIPE_REQUIRE_POSTGRES$/];

/** Loads, merges and validates configuration; throws ReswipeError naming the file, variable or key at fault. */
export function loadConfig(options: LoadConfigOptions = {}): ReswipeConfig {
  const env = options.env ?? process.env;
  const configFile = options.configFile ?? nonEmpty(env.RESWIPE_CONFIG);
  // Which variable or flag set each key path, so an error about that key can say so.
  const sources = new Map<string, string>();
  const source = configFile === undefined ? undefined : readConfigSource(configFile);
  const raw: Record<string, unknown> = source?.raw ?? {};

  for (const [variable, keyPath, text] of envOverrides(env)) {
    setAtPath(raw, keyPath, convertText(text, keyPath, variable), variable);
    sources.set(formatKeyPath(toPointer(keyPath)), variable);
  }
  for (const [keyPath, value] of flagOverrides(options.flags ?? {})) {
    const flagName = `flag ${formatKeyPath(toPointer(keyPath))}`;
    setAtPath(raw, keyPath, typeof value === 'string' ? convertText(value, keyPath, flagName) : value, flagName);
    sources.set(formatKeyPath(toPointer(keyPath)), flagName);
  }

  try {
    return validateConfig(raw);
  } catch (error) {
    throw attributeToSource(error, sources, configFile, source?.lineOf);
  }
}

/** Adds `--config <file>` to a command; pair with configFromCommand in its action. */
export function addConfigOptions(command: Command): Command {
  return command.option('--config <file>', 'configuration file (.json, .yaml or .yml); RESWIPE_CONFIG may name it instead');
}

/** Loads config for a command's parsed options (`--config`), the process environment and the command's own overrides. */
export function configFromCommand(opts: { readonly config?: string | undefined }, flags?: Readonly<Record<string, unknown>>): ReswipeConfig {
  return loadConfig({ configFile: opts.config, env: process.env, flags });
}

/** Reads and parses a JSON or YAML config file; the top level must be a mapping. */
export function readConfigFile(file: string): Record<string, unknown> {
  return readConfigSource(file).raw;
}

interface ConfigSource {
  readonly raw: Record<string, unknown>;
  /** The line of the deepest part of a key path present in the file, for messages about keys. */
  readonly lineOf: (keyPath: KeyPath) => number | undefined;
}

function readConfigSource(file: string): ConfigSource {
  const extension = extname(file).toLowerCase();
  if (extension !== '.json' && extension !== '.yaml' && extension !== '.yml') {
    throw new ReswipeError('RSW_CONFIG_FILE_UNREADABLE', { file, reason: 'the name must end in .json, .yaml or .yml' });
  }
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > configFileBytesMax) throw new Error(`it is larger than ${configFileBytesMax} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new ReswipeError('RSW_CONFIG_FILE_UNREADABLE', { file, reason });
  }
  // JSON is read by JSON.parse (exact JSON semantics); YAML's parser, which reads JSON too, supplies positions.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const parsed = extension === '.json' ? parseJson(file, text) : parseYaml(file, text, document, lineCounter);
  if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw new ReswipeError('RSW_CONFIG_FILE_SYNTAX', { file, line: 1, reason: 'the top level must be a mapping of keys' });
  }
  const raw = (parsed ?? {}) as Record<string, unknown>;
  return { raw, lineOf: (keyPath) => (document.errors.length > 0 ? undefined : lineOfKeyPath(document.contents, keyPath, lineCounter)) };
}

function lineOfKeyPath(root: unknown, keyPath: KeyPath, lineCounter: LineCounter): number | undefined {
  let node = root;
  let offset: number | undefined;
  for (const segment of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined || !isScalar(pair.key) || pair.key.range == null) break;
      offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!isNode(item) || item.range == null) break;
      offset = item.range[0];
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const lineFromMessage = /line (\d+)/.exec(message)?.[1];
    const line = lineFromMessage !== undefined ? Number(lineFromMessage) : position !== undefined ? lineAt(text, Number(position)) : lineAt(text, text.length);
    throw new ReswipeError('RSW_CONFIG_FILE_SYNTAX', { file, line, reason: `invalid JSON: ${withoutSource(message)}` });
  }
}

function parseYaml(file: string, text: string, document: Document.Parsed, lineCounter: LineCounter): unknown {
  const first = document.errors[0];
  if (first !== undefined) {
    const line = first.linePos?.[0].line ?? lineCounter.linePos(first.pos[0]).line;
    throw new ReswipeError('RSW_CONFIG_FILE_SYNTAX', { file, line, reason: `invalid YAML: ${first.message.split('\n')[0] ?? first.code}` });
  }
  try {
    return document.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    throw new ReswipeError('RSW_CONFIG_FILE_SYNTAX', { file, line: 1, reason: `invalid YAML: ${(error as Error).message}` });
  }
}

/** Parser messages may quote the text around the fault, which could be a secret; keep only the description. */
function withoutSource(message: string): string {
  return message.replace(/,?\s*"[^"]*" is not valid JSON/, '').replace(/ in JSON at position \d+.*$/, '').slice(0, 120);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset && index < text.length; index += 1) if (text[index] === '\n') line += 1;
  return line;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Maps RESWIPE_* variables to key paths, sorted by name so the result never depends on environment order. */
function envOverrides(env: NodeJS.ProcessEnv): Array<[string, KeyPath, string]> {
  const overrides: Array<[string, KeyPath, string]> = [];
  for (const variable of Object.keys(env).sort()) {
    const text = env[variable];
    if (!variable.startsWith('RESWIPE_') || text === undefined) continue;
    if (envIgnored.some((pattern) => pattern.test(variable))) continue;
    const keyPath = envAliases[variable] ?? envKeyPath(variable);
    if (keyPath === undefined || schemaAtPath(keyPath) === undefined) {
      throw new ReswipeError('RSW_CONFIG_UNKNOWN_ENV', { field: variable, variable, hint: envHint(variable) });
    }
    overrides.push([variable, keyPath, text]);
  }
  return overrides;
}

/** The generic form: `__` separates levels, `_` separates words of a camelCase key, digits index a list. */
export function envKeyPath(variable: string): KeyPath | undefined {
  const rest = variable.slice('RESWIPE_'.length);
  if (rest === '') return undefined;
  const keyPath: KeyPath = [];
  for (const segment of rest.split('__')) {
    if (/^[0-9]+$/.test(segment)) keyPath.push(Number(segment));
    else if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(segment)) {
      keyPath.push(segment.toLowerCase().replace(/_([a-z0-9])/g, (_whole, letter: string) => letter.toUpperCase()));
    } else return undefined;
  }
  return keyPath;
}

function envHint(variable: string): string {
  const keyPath = envKeyPath(variable);
  if (keyPath !== undefined && keyPath.length === 1 && typeof keyPath[0] === 'string') {
    return '; use __ between levels, for example RESWIPE_ENGINE__TERMINAL_TIMEOUT_MS';
  }
  return '';
}

/** Flags: keys are dotted paths or nested objects; undefined values (flags not given) are skipped. */
function flagOverrides(flags: Readonly<Record<string, unknown>>): Array<[KeyPath, unknown]> {
  const overrides: Array<[KeyPath, unknown]> = [];
  const walk = (prefix: KeyPath, value: unknown): void => {
    if (value === undefined) return;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && schemaAtPath(prefix)?.type === 'object') {
      for (const [key, child] of Object.entries(value)) walk([...prefix, ...parseKeyPath(key)], child);
      return;
    }
    if (schemaAtPath(prefix) === undefined) {
      throw new ReswipeError('RSW_CONFIG_UNKNOWN_KEY', { field: formatKeyPath(toPointer(prefix)), hint: ' (given as a flag)' });
    }
    overrides.push([prefix, value]);
  };
  for (const [key, value] of Object.entries(flags)) walk(parseKeyPath(key), value);
  return overrides;
}

/** `listeners[0].port` → `['listeners', 0, 'port']`. */
export function parseKeyPath(text: string): KeyPath {
  const keyPath: KeyPath = [];
  for (const match of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) keyPath.push(Number(match[2]));
    else if (match[1] !== undefined) keyPath.push(/^[0-9]+$/.test(match[1]) ? Number(match[1]) : match[1]);
  }
  return keyPath;
}

function toPointer(keyPath: KeyPath): string {
  return keyPath.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Converts text from the environment or a flag to the type the schema wants at that key. */
function convertText(text: string, keyPath: KeyPath, source: string): unknown {
  const schema = schemaAtPath(keyPath) as TSchema;
  const field = formatKeyPath(toPointer(keyPath));
  const invalid = (): never => {
    throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field, reason: `${describeExpectation(schema)} (set by ${source})` });
  };
  switch (schema.type) {
    case 'integer':
    case 'number':
      return /^-?[0-9]+(\.[0-9]+)?$/.test(text.trim()) ? Number(text.trim()) : invalid();
    case 'boolean': {
      const lowered = text.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
      if (['false', '0', 'no', 'off'].includes(lowered)) return false;
      return invalid();
    }
    case 'array':
    case 'object': {
      const trimmed = text.trim();
      if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
        try {
          return JSON.parse(trimmed) as unknown;
        } catch {
          return invalid();
        }
      }
      // A list of plain values may be given comma-separated: `debit,credit`.
      if (schema.type === 'array') return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
      return invalid();
    }
    default:
      return text;
  }
}

/** Sets a value deep in the raw config, creating sections on the way; a list index may extend a list by one. */
function setAtPath(root: Record<string, unknown>, keyPath: KeyPath, value: unknown, source: string): void {
  let container: unknown = root;
  keyPath.forEach((segment, index) => {
    const isLast = index === keyPath.length - 1;
    const next = keyPath[index + 1];
    const fresh = (): unknown => (typeof next === 'number' ? [] : {});
    const here = formatKeyPath(toPointer(keyPath.slice(0, index + 1)));
    if (typeof segment === 'number') {
      if (!Array.isArray(container)) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: formatKeyPath(toPointer(keyPath.slice(0, index))), reason: `must be a list (set by ${source})` });
      if (segment > container.length) {
        throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: here, reason: `cannot be set: the list has ${container.length} items and indexes must not leave gaps (set by ${source})` });
      }
      if (isLast) container[segment] = value;
      else {
        if (container[segment] === undefined) container[segment] = fresh();
        container = container[segment];
      }
      return;
    }
    if (typeof container !== 'object' || container === null || Array.isArray(container)) {
      throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: formatKeyPath(toPointer(keyPath.slice(0, index))), reason: `must be a mapping of keys (set by ${source})` });
    }
    const record = container as Record<string, unknown>;
    if (isLast) record[segment] = value;
    else {
      if (record[segment] === undefined || record[segment] === null) record[segment] = fresh();
      container = record[segment];
    }
  });
}

/**
 * A validation error about a key says where the key came from: the variable or flag that set it, or
 * else the config file and line. Unknown keys carry it in `hint`, other errors in `reason`.
 */
function attributeToSource(
  error: unknown,
  sources: ReadonlyMap<string, string>,
  configFile: string | undefined,
  lineOf: ((keyPath: KeyPath) => number | undefined) | undefined,
): unknown {
  if (!isReswipeError(error) || error.field === undefined || error.field === '(root)') return error;
  const variableOrFlag = sources.get(error.field);
  let where: string | undefined;
  if (variableOrFlag !== undefined) where = `set by ${variableOrFlag}`;
  else if (configFile !== undefined && lineOf !== undefined) {
    const line = lineOf(parseKeyPath(error.field));
    if (line !== undefined) where = `${configFile} line ${line}`;
  }
  if (where === undefined) return error;
  const param = error.code === 'RSW_CONFIG_UNKNOWN_KEY' ? 'hint' : 'reason';
  const current = error.params[param];
  if (typeof current !== 'string' || current.includes('(set by ')) return error;
  return new ReswipeError(error.code, { ...error.params, [param]: `${current} (${where})` }, { cause: error });
}
