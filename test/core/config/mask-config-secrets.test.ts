// Goal: secrets in a configuration never print in clear. Method: table of values and keys, masked copy compared
// with the expected text, and a check that the original stays untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskConfigSecrets, maskSecretsInText, maskUrlPassword, maskedSecretText } from '../../../src/core/config/mask-config-secrets.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';

test('URL passwords are masked, URLs without one are unchanged', () => {
  const rows: Array<[string, string]> = [
    ['postgres://gw:pw@db:5432/reswipe', `postgres://gw:${maskedSecretText}@db:5432/reswipe`],
    ['postgresql://gw:p%40ss@db/reswipe?sslmode=require', `postgresql://gw:${maskedSecretText}@db/reswipe?sslmode=require`],
    ['postgres://gw@db/reswipe', 'postgres://gw@db/reswipe'],
    ['sqlite:reswipe.db', 'sqlite:reswipe.db'],
    ['postgres://db/reswipe', 'postgres://db/reswipe'],
    ['postgres://gw@db.internal/reswipe?password=QuerySecret', `postgres://gw@db.internal/reswipe?password=${maskedSecretText}`],
    ['postgres://gw@db/reswipe?sslmode=require&sslpassword=S&application_name=x', `postgres://gw@db/reswipe?sslmode=require&sslpassword=${maskedSecretText}&application_name=x`],
    ['postgres://gw:p@ssw0rd@db.internal/reswipe', `postgres://gw:${maskedSecretText}@db.internal/reswipe`],
    ['postgres://gw:a/b@c@db/reswipe', `postgres://gw:${maskedSecretText}@db/reswipe`],
    ['https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=633a31f6', `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${maskedSecretText}`],
    ['https://oapi.dingtalk.com/robot/send?access_token=abc123', `https://oapi.dingtalk.com/robot/send?access_token=${maskedSecretText}`],
  ];
  for (const [url, expected] of rows) assert.equal(maskUrlPassword(url), expected, url);
});

test('passwords inside free text are masked too (log lines, driver errors)', () => {
  assert.equal(maskSecretsInText('connect to postgres://gw:p@ss@db/x failed; retry postgres://u@h/d?password=QS'), `connect to postgres://gw:${maskedSecretText}@db/x failed; retry postgres://u@h/d?password=${maskedSecretText}`);
});

test('retired PAN keys are masked and their ids shown', () => {
  const masked = maskConfigSecrets({ security: { panKeysRetired: [{ id: 'pk_1', key: 'secret-key-text' }], macKeys: ['ABCDEF'] } });
  assert.deepEqual(masked, { security: { panKeysRetired: [{ id: 'pk_1', key: maskedSecretText }], macKeys: [maskedSecretText] } });
});

test('keys naming a secret are masked at any depth; other values are kept', () => {
  const masked = maskConfigSecrets({
    security: { panKey: 'k'.repeat(20), panKeyIsDefault: false },
    database: { url: 'postgres://a:b@c/d' },
    channels: [{ name: 'bank', macKey: 'ABCDEF', clientSecret: 'x', apiToken: 'y', password: 'z', host: 'h' }],
  });
  assert.deepEqual(masked, {
    security: { panKey: maskedSecretText, panKeyIsDefault: false },
    database: { url: `postgres://a:${maskedSecretText}@c/d` },
    channels: [{ name: 'bank', macKey: maskedSecretText, clientSecret: maskedSecretText, apiToken: maskedSecretText, password: maskedSecretText, host: 'h' }],
  });
});

test('masking a frozen config returns a copy and leaves the config intact', () => {
  const config = validateConfig({ security: { panKey: 'a-production-key-long-enough', developmentMode: true } });
  const masked = maskConfigSecrets(config) as { security: { panKey: string } };
  assert.equal(masked.security.panKey, maskedSecretText);
  assert.equal(config.security.panKey, 'a-production-key-long-enough');
});
