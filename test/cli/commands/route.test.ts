// Goal: `reswipe route` explains the channel choice from a real config and rules file, prints JSON on --json,
// and stops with one line naming the bad entry of a broken rules file. Method: run `node bin/reswipe.mjs route`
// as a child process against temp YAML files and read stdout, stderr and the exit code.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envWithoutReswipe, runReswipe, type ReswipeRun } from '../../support/reswipe-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-route-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): ReswipeRun {
  return runReswipe(['route', ...args], { env: envWithoutReswipe() });
}

function writeConfig(rules: string): string {
  const rulesFile = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(rulesFile, rules);
  const configFile = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    configFile,
    [
      'channels:',
      '  - { name: bank-a, host: 127.0.0.1, port: 9001, priority: 1 }',
      '  - { name: bank-b, host: 127.0.0.1, port: 9002, priority: 2 }',
      'merchants:',
      '  - { id: "M00000000000001", name: Shop, mcc: "5411" }',
      'routing:',
      `  rulesFile: ${JSON.stringify(rulesFile)}`,
      '',
    ].join('\n'),
  );
  return configFile;
}

const goodRules = [
  'rules:',
  '  - name: grocery',
  '    match: { mccs: ["5411"] }',
  '    channels: [bank-b, bank-a]',
  '  - name: icbc',
  '    match: { binPrefixes: ["622202"] }',
  '    channels: [bank-a]',
  'defaultRoute: [bank-a, bank-b]',
  '',
].join('\n');

test('route explains the longest BIN prefix winning over an MCC rule', () => {
  const config = writeConfig(goodRules);
  const result = run(['--pan-bin', '622202', '--amount', '100.00', '--merchant', 'M00000000000001', '--config', config]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /rule\s+icbc/);
  assert.match(result.stdout, /channels\s+bank-a\n/);
  assert.match(result.stdout, /longest matching prefix/);
});

test('route --json: the MCC rule for another BIN, the merchant MCC taken from the config', () => {
  const config = writeConfig(goodRules);
  const result = run(['--pan-bin', '411111', '--amount', '1.00', '--merchant', 'M00000000000001', '--config', config, '--json']);
  assert.equal(result.status, 0, result.stderr);
  const choice = JSON.parse(result.stdout) as { rule: string; channels: Array<{ name: string }>; input: { mcc: string; amountMinor: number } };
  assert.equal(choice.rule, 'grocery');
  assert.equal(choice.input.mcc, '5411');
  assert.equal(choice.input.amountMinor, 100);
  assert.deepEqual(choice.channels.map((channel) => channel.name), ['bank-b', 'bank-a']);
});

test('a rules file naming an unknown channel stops with one line naming the entry', () => {
  const config = writeConfig('rules:\n  - name: x\n    channels: [bank-a, bank-z]\n');
  const result = run(['--pan-bin', '622202', '--amount', '1.00', '--config', config]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^error RSW_ROUTING_INVALID: .*rules\[0\]\.channels\[1\]\.name/m);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('a bad BIN is refused', () => {
  const config = writeConfig(goodRules);
  const result = run(['--pan-bin', '62', '--amount', '1.00', '--config', config]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /RSW_BAD_ARGUMENT.*pan-bin/);
});
