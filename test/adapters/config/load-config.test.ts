// Goal: configuration loads from a JSON or YAML file, then RESWIPE_* variables, then flags, each overriding the
// one before key by key, and every fault names the file and line, the variable or the key. Method: write temp
// files under os.tmpdir(), call loadConfig with an explicit env and flags, and compare results and error codes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envKeyPath, loadConfig, parseKeyPath, readConfigFile } from '../../../src/adapters/config/load-config.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-load-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function expectError(run: () => unknown, code: string, check?: (error: { field: string | undefined; message: string; params: Record<string, unknown> }) => void): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isReswipeError(error), `expected a ReswipeError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check?.(error as never);
    return true;
  });
}

const yamlConfig = `# a gateway with one bank
http:
  port: 9080
engine:
  terminalTimeoutMs: 30000
channels:
  - name: bank-a
    host: 10.1.1.1
    port: 9583
    timeoutMs: 8000
merchants:
  - id: "898310048161234"
    name: Corner Shop
    mcc: "5411"
    terminals: ["10000001"]
`;

test('a YAML file is read, .yml and .yaml alike', () => {
  for (const name of ['gateway.yaml', 'gateway.yml']) {
    const config = loadConfig({ configFile: writeFile(name, yamlConfig), env: {} });
    assert.equal(config.http.port, 9080);
    assert.equal(config.engine.terminalTimeoutMs, 30000);
    assert.equal(config.channels[0]?.timeoutMs, 8000);
    assert.equal(config.merchants[0]?.terminals[0], '10000001');
    assert.equal(config.listeners[0]?.port, 8583);
  }
});

test('a JSON file is read', () => {
  const file = writeFile('gateway.json', JSON.stringify({ http: { port: 9081 }, log: { level: 'debug' } }));
  const config = loadConfig({ configFile: file, env: {} });
  assert.equal(config.http.port, 9081);
  assert.equal(config.log.level, 'debug');
});

test('an empty YAML file means all defaults', () => {
  const config = loadConfig({ configFile: writeFile('empty.yaml', '# nothing\n'), env: {} });
  assert.equal(config.http.port, 8080);
});

test('no file, no env, no flags: defaults', () => {
  assert.equal(loadConfig({ env: {} }).http.port, 8080);
});

test('precedence: file, then environment, then flags, key by key', () => {
  const file = writeFile('precedence.yaml', 'http:\n  host: 0.0.0.0\n  port: 9000\n  allowPlaintext: true\nlog:\n  level: warn\ndatabase:\n  url: sqlite:from-file.db\n');
  const env = { RESWIPE_HTTP_PORT: '9001', RESWIPE_LOG_LEVEL: 'error' };
  const fromFileAndEnv = loadConfig({ configFile: file, env });
  assert.equal(fromFileAndEnv.http.host, '0.0.0.0', 'kept from the file');
  assert.equal(fromFileAndEnv.http.port, 9001, 'env overrides the file');
  assert.equal(fromFileAndEnv.log.level, 'error');
  assert.equal(fromFileAndEnv.database.url, 'sqlite:from-file.db');
  const withFlags = loadConfig({ configFile: file, env, flags: { 'http.port': '9002', database: { url: 'sqlite:from-flag.db' }, 'log.level': undefined } });
  assert.equal(withFlags.http.port, 9002, 'a flag overrides env');
  assert.equal(withFlags.database.url, 'sqlite:from-flag.db', 'nested flag objects work');
  assert.equal(withFlags.log.level, 'error', 'an undefined flag changes nothing');
  assert.equal(withFlags.http.host, '0.0.0.0');
});

test('RESWIPE_CONFIG names the file when no --config is given, and --config wins over it', () => {
  const a = writeFile('a.json', '{"http":{"port":7001}}');
  const b = writeFile('b.json', '{"http":{"port":7002}}');
  assert.equal(loadConfig({ env: { RESWIPE_CONFIG: a } }).http.port, 7001);
  assert.equal(loadConfig({ configFile: b, env: { RESWIPE_CONFIG: a } }).http.port, 7002);
});

test('every documented env alias maps to its key, numbers converted by the schema type', () => {
  const config = loadConfig({
    env: {
      RESWIPE_DATABASE_URL: 'postgres://gw:pw@db/reswipe',
      RESWIPE_HTTP_HOST: '0.0.0.0',
      RESWIPE_HTTP_PORT: '18080',
      RESWIPE_HTTP__ALLOW_PLAINTEXT: 'true',
      RESWIPE_PAN_KEY: '3f9c1e7a52b04d86a1e0c7f25b9d3e48c6a71f0e2d5b8c94e3a7f16b0d2c5e98',
      RESWIPE_PAN_KEYS_RETIRED: 'q8VvJ3m0cX5Tn2WbR7yLk1Hs9DfGp4Za6Ue0Oi3Bw2M=',
      RESWIPE_DEVELOPMENT_MODE: 'no',
      RESWIPE_LOG_LEVEL: 'trace',
      RESWIPE_TERMINAL_HOST: '0.0.0.0',
      RESWIPE_TERMINAL_PORT: '18583',
    },
  });
  assert.equal(config.database.url, 'postgres://gw:pw@db/reswipe');
  assert.deepEqual({ host: config.http.host, port: config.http.port, allowPlaintext: config.http.allowPlaintext }, { host: '0.0.0.0', port: 18080, allowPlaintext: true });
  assert.equal(config.security.panKey, '3f9c1e7a52b04d86a1e0c7f25b9d3e48c6a71f0e2d5b8c94e3a7f16b0d2c5e98');
  assert.deepEqual(config.security.panKeysRetired.map((retired) => retired.key), ['q8VvJ3m0cX5Tn2WbR7yLk1Hs9DfGp4Za6Ue0Oi3Bw2M=']);
  assert.equal(config.security.panKeyIsDefault, false);
  assert.equal(config.security.developmentMode, false);
  assert.equal(config.log.level, 'trace');
  assert.equal(config.listeners[0]?.name, 'terminals');
  assert.equal(config.listeners[0]?.host, '0.0.0.0');
  assert.equal(config.listeners[0]?.port, 18583);
});

test('RESWIPE_TERMINAL_PORT changes the first listener of a file and keeps the others', () => {
  const file = writeFile('listeners.yaml', 'listeners:\n  - name: pos\n    port: 9100\n  - name: kiosk\n    port: 9101\n');
  const config = loadConfig({ configFile: file, env: { RESWIPE_TERMINAL_PORT: '9200' } });
  assert.deepEqual(
    config.listeners.map((listener) => [listener.name, listener.port]),
    [
      ['pos', 9200],
      ['kiosk', 9101],
    ],
  );
});

test('the generic form: double underscore nests, single underscore joins camelCase words, digits index lists', () => {
  const file = writeFile('generic.yaml', yamlConfig);
  const config = loadConfig({
    configFile: file,
    env: {
      RESWIPE_ENGINE__TERMINAL_TIMEOUT_MS: '45000',
      RESWIPE_ENGINE__REVERSAL__TRIES_MAX: '3',
      RESWIPE_CHANNELS__0__DISABLED: 'true',
      RESWIPE_CHANNELS__0__FRAMING__LENGTH: 'ascii4',
      RESWIPE_MERCHANTS__0__ACCEPTS: 'debit, wechat',
      RESWIPE_DECLINES__STRICT_LUHN: 'yes',
      RESWIPE_FEES__SETTLE_MODE: 'd0',
      RESWIPE_SECURITY__PAN_KEY: 'q8VvJ3m0cX5Tn2WbR7yLk1Hs9DfGp4Za6Ue0Oi3Bw2M=',
    },
  });
  assert.equal(config.engine.terminalTimeoutMs, 45000);
  assert.equal(config.engine.reversal.triesMax, 3);
  assert.equal(config.channels[0]?.disabled, true);
  assert.equal(config.channels[0]?.framing.length, 'ascii4');
  assert.deepEqual(config.merchants[0]?.accepts, ['debit', 'wechat']);
  assert.equal(config.declines.strictLuhn, true);
  assert.equal(config.fees.settleMode, 'd0');
  assert.equal(config.security.panKey, 'q8VvJ3m0cX5Tn2WbR7yLk1Hs9DfGp4Za6Ue0Oi3Bw2M=');
});

test('a whole list may be given as JSON in one variable', () => {
  const config = loadConfig({ env: { RESWIPE_CHANNELS: JSON.stringify([{ name: 'bank-b', host: 'h', port: 1 }]) } });
  assert.equal(config.channels[0]?.name, 'bank-b');
});

test('envKeyPath and parseKeyPath', () => {
  assert.deepEqual(envKeyPath('RESWIPE_ENGINE__TERMINAL_TIMEOUT_MS'), ['engine', 'terminalTimeoutMs']);
  assert.deepEqual(envKeyPath('RESWIPE_LISTENERS__1__PORT'), ['listeners', 1, 'port']);
  assert.equal(envKeyPath('RESWIPE_engine__x'), undefined);
  assert.deepEqual(parseKeyPath('listeners[0].framing.length'), ['listeners', 0, 'framing', 'length']);
  assert.deepEqual(parseKeyPath('http.port'), ['http', 'port']);
});

test('unknown RESWIPE_* variables are errors naming the variable', () => {
  for (const variable of ['RESWIPE_HTTPS_PORT', 'RESWIPE_ENGINE__TIMEOUT_MS', 'RESWIPE_ENGINE__REVERSAL__TRIES', 'RESWIPE_', 'RESWIPE_http__port', 'RESWIPE_HTTP__PORT__X']) {
    expectError(() => loadConfig({ env: { [variable]: '1' } }), 'RSW_CONFIG_UNKNOWN_ENV', (error) => {
      assert.equal(error.field, variable);
      assert.ok(error.message.includes(variable));
    });
  }
});

test('allow-listed variables and other prefixes are ignored', () => {
  const config = loadConfig({
    env: { RESWIPE_TEST_CONCURRENCY: '4', RESWIPE_TEST_POSTGRES_URL: 'postgres://x', RESWIPE_REQUIRE_POSTGRES: '1', HOME: '/root', NOT_RESWIPE_X: '1' },
  });
  assert.equal(config.http.port, 8080);
});

test('a variable that cannot convert names the key and the variable, never the value', () => {
  expectError(() => loadConfig({ env: { RESWIPE_HTTP_PORT: 'eighty' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => {
    assert.equal(error.field, 'http.port');
    assert.match(error.message, /RESWIPE_HTTP_PORT/);
    assert.doesNotMatch(error.message, /eighty/);
  });
  expectError(() => loadConfig({ env: { RESWIPE_DECLINES__STRICT_BIN: 'maybe' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => assert.equal(error.field, 'declines.strictBin'));
});

test('a variable whose value is out of range names the variable that set it', () => {
  expectError(() => loadConfig({ env: { RESWIPE_HTTP_PORT: '70000' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => {
    assert.equal(error.field, 'http.port');
    assert.match(error.message, /set by RESWIPE_HTTP_PORT/);
  });
  expectError(() => loadConfig({ env: { RESWIPE_PAN_KEY: 'short' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => {
    assert.match(error.message, /set by RESWIPE_PAN_KEY/);
    assert.doesNotMatch(error.message, /short/);
  });
});

test('a list index may extend a list by one but not leave a gap', () => {
  const file = writeFile('one-listener.yaml', 'listeners:\n  - name: pos\n    port: 9100\n');
  const config = loadConfig({ configFile: file, env: { RESWIPE_LISTENERS__1__NAME: 'kiosk', RESWIPE_LISTENERS__1__PORT: '9101' } });
  assert.deepEqual(
    config.listeners.map((listener) => listener.name),
    ['pos', 'kiosk'],
  );
  expectError(() => loadConfig({ configFile: file, env: { RESWIPE_LISTENERS__2__PORT: '9102' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => assert.equal(error.field, 'listeners[2]'));
  // Without a file the list starts empty (defaults are filled later), so index 1 would leave a gap.
  expectError(() => loadConfig({ env: { RESWIPE_LISTENERS__1__PORT: '9101' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => assert.equal(error.field, 'listeners[1]'));
});

test('a whole section may be given as JSON in one variable', () => {
  const config = loadConfig({ env: { RESWIPE_ENGINE: '{"autoRetriesMax": 0}' } });
  assert.equal(config.engine.autoRetriesMax, 0);
  assert.equal(config.engine.terminalTimeoutMs, 60000);
  expectError(() => loadConfig({ env: { RESWIPE_ENGINE: 'fast' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => assert.equal(error.field, 'engine'));
});

test('an unknown flag is an unknown key', () => {
  expectError(() => loadConfig({ env: {}, flags: { 'http.prot': 1 } }), 'RSW_CONFIG_UNKNOWN_KEY', (error) => assert.equal(error.field, 'http.prot'));
});

test('a relation broken across sources is reported with the key', () => {
  const file = writeFile('relation.yaml', yamlConfig);
  expectError(() => loadConfig({ configFile: file, env: { RESWIPE_ENGINE__TERMINAL_TIMEOUT_MS: '8500' } }), 'RSW_CONFIG_RELATION', (error) =>
    assert.equal(error.field, 'channels[0].timeoutMs'),
  );
});

test('file faults: missing, a directory, a wrong extension', () => {
  expectError(() => loadConfig({ configFile: join(dir, 'missing.yaml'), env: {} }), 'RSW_CONFIG_FILE_UNREADABLE', (error) => assert.match(error.message, /missing\.yaml: no such file/));
  mkdirSync(join(dir, 'folder.yaml'));
  expectError(() => loadConfig({ configFile: join(dir, 'folder.yaml'), env: {} }), 'RSW_CONFIG_FILE_UNREADABLE');
  expectError(() => loadConfig({ configFile: writeFile('gateway.toml', 'x = 1'), env: {} }), 'RSW_CONFIG_FILE_UNREADABLE', (error) => assert.match(error.message, /\.json, \.yaml or \.yml/));
});

test('JSON syntax errors name the file and the line', () => {
  const file = writeFile('broken.json', '{\n  "http": {\n    "port": 80,\n  }\n}\n');
  expectError(() => readConfigFile(file), 'RSW_CONFIG_FILE_SYNTAX', (error) => {
    assert.equal(error.params.line, 4);
    assert.ok(error.message.includes(file));
  });
});

test('YAML syntax errors name the file and the line', () => {
  const file = writeFile('broken.yaml', 'http:\n  port: 80\n  host: [unclosed\nlog:\n  level: info\n');
  expectError(() => readConfigFile(file), 'RSW_CONFIG_FILE_SYNTAX', (error) => {
    assert.equal(typeof error.params.line, 'number');
    assert.ok((error.params.line as number) >= 3, `line ${String(error.params.line)}`);
    assert.ok(error.message.includes(file));
  });
  const duplicate = writeFile('duplicate.yaml', 'http:\n  port: 80\nhttp:\n  port: 81\n');
  expectError(() => readConfigFile(duplicate), 'RSW_CONFIG_FILE_SYNTAX', (error) => assert.equal(error.params.line, 3));
});

test('a file whose top level is not a mapping is a syntax error', () => {
  expectError(() => readConfigFile(writeFile('list.yaml', '- a\n- b\n')), 'RSW_CONFIG_FILE_SYNTAX');
  expectError(() => readConfigFile(writeFile('number.json', '42')), 'RSW_CONFIG_FILE_SYNTAX');
});

test('a schema error from a file names the key path', () => {
  const file = writeFile('bad-key.yaml', 'channels:\n  - name: a\n    host: h\n    port: 1\n  - name: b\n    host: h\n    port: 2\n    timeoutMS: 5000\n');
  expectError(() => loadConfig({ configFile: file, env: {} }), 'RSW_CONFIG_UNKNOWN_KEY', (error) => assert.equal(error.field, 'channels[1].timeoutMS'));
});

test('a schema or relation error from a file names the file and the line of the key', () => {
  const yamlFile = writeFile('lines.yaml', 'http:\n  port: 80\nmerchants:\n  - id: "898310048161234"\n    name: Shop\n    mcc: 54a1\n');
  expectError(() => loadConfig({ configFile: yamlFile, env: {} }), 'RSW_CONFIG_INVALID_VALUE', (error) => {
    assert.equal(error.field, 'merchants[0].mcc');
    assert.ok(error.message.includes(`${yamlFile} line 6`), error.message);
  });
  const jsonFile = writeFile('lines.json', '{\n  "engine": {\n    "reversal": {\n      "backoffMs": 99999\n    }\n  }\n}\n');
  expectError(() => loadConfig({ configFile: jsonFile, env: {} }), 'RSW_CONFIG_RELATION', (error) => {
    assert.equal(error.field, 'engine.reversal.backoffMs');
    assert.ok(error.message.includes(`${jsonFile} line 4`), error.message);
  });
  const unknownKey = writeFile('unknown-line.yaml', 'log:\n  level: info\nengine:\n  reversal:\n    tries: 2\n');
  expectError(() => loadConfig({ configFile: unknownKey, env: {} }), 'RSW_CONFIG_UNKNOWN_KEY', (error) => assert.ok(error.message.includes(`${unknownKey} line 5`), error.message));
});

test('an error about a key the variables set names the variable, not the file', () => {
  const file = writeFile('overridden.yaml', 'http:\n  port: 80\n');
  expectError(() => loadConfig({ configFile: file, env: { RESWIPE_HTTP_PORT: '99999' } }), 'RSW_CONFIG_INVALID_VALUE', (error) => {
    assert.match(error.message, /set by RESWIPE_HTTP_PORT/);
    assert.doesNotMatch(error.message, /line 2/);
  });
});

test('the loaded config is frozen', () => {
  const config = loadConfig({ env: {} });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.listeners[0]));
});
