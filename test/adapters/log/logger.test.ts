// Goal: the logger never writes a PAN, CVV, track 2 or PIN block (money-safety invariant 5). Method: log objects,
// strings, errors and child bindings holding test card data into an in-memory stream, then assert that no full
// test PAN or other secret appears in any line and that the lines are still useful JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, redactForLog, redactedText } from '../../../src/adapters/log/logger.ts';
import { CardNumber } from '../../../src/core/cards/pan.ts';
import { ReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const testPans = ['4111111111111111', '6222021234567890123', '5500000000000004', '6212345678901232'];
const track2 = '6222021234567890123=30121010000000000000';
const cvv = '737';
const pinBlock = '0412AC89ABCDEF67';

function capture(level = 'trace'): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>>; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const logger = createLogger({ level, destination: sink, name: 'test' });
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function assertNoCardData(text: string): void {
  for (const pan of testPans) assert.ok(!text.includes(pan), `full PAN ${pan.slice(0, 6)}… leaked: ${text}`);
  assert.ok(!text.includes(pinBlock), 'PIN block leaked');
  assert.ok(!text.includes(`"${cvv}"`), 'CVV leaked');
  assert.ok(!text.includes('=3012101'), 'track 2 leaked');
}

test('sensitive keys are redacted at any depth, in any spelling', () => {
  const { logger, lines, text } = capture();
  logger.info(
    {
      pan: testPans[0],
      cardNumber: testPans[1],
      card_number: testPans[2],
      card: { number: testPans[3], brand: 'visa' },
      request: { fields: { '2': testPans[0], '35': track2, '52': pinBlock, '4': '000000001000' }, track2, cvv, cvv2: cvv, pinBlock },
      list: [{ PAN: testPans[1] }],
    },
    'authorization',
  );
  assertNoCardData(text());
  const [line] = lines();
  assert.equal(line?.pan, redactedText);
  assert.deepEqual(line?.card, { number: redactedText, brand: 'visa' });
  assert.deepEqual((line?.request as { fields: unknown }).fields, { '2': redactedText, '35': redactedText, '52': redactedText, '4': '000000001000' });
  assert.equal(line?.msg, 'authorization');
});

test('PANs inside free text, messages, format arguments and keys are masked', () => {
  const { logger, text, lines } = capture();
  logger.info({ note: `customer said card ${testPans[0]} was declined`, byCard: { [testPans[1] as string]: 2 } }, `retry of ${testPans[2]} on %s`, `card ${testPans[3]}`);
  logger.warn(`bare message with ${testPans[0]}`);
  assertNoCardData(text());
  const [first, second] = lines();
  assert.equal(first?.note, 'customer said card 411111******1111 was declined');
  assert.equal(first?.msg, 'retry of 550000******0004 on card 621234******1232');
  assert.equal(second?.msg, 'bare message with 411111******1111');
});

test('CardNumber objects, PAN-sized integers and raw bytes never print in clear', () => {
  const { logger, text, lines } = capture();
  logger.info({ card: new CardNumber(testPans[0] as string), asNumber: 4111111111111111, frame: Buffer.from(testPans[1] as string), amountMinor: 12345, atMs: 1764000000000 }, 'x');
  assertNoCardData(text());
  const [line] = lines();
  assert.equal(line?.card, '411111******1111');
  assert.equal(line?.asNumber, '411111******1111');
  assert.equal(line?.frame, '[19 bytes]');
  assert.equal(line?.amountMinor, 12345);
  assert.equal(line?.atMs, 1764000000000, 'millisecond timestamps stay numbers');
});

test('errors are logged with masked message and stack, and keep their code', () => {
  const { logger, text, lines } = capture();
  logger.error(new Error(`upstream echoed ${testPans[0]}`));
  logger.error({ err: new ReswipeError('RSW_BAD_ARGUMENT', { field: 'pan', reason: `bad card ${testPans[1]}` }) }, 'refused');
  assertNoCardData(text());
  const [first, second] = lines();
  assert.match(String(first?.message), /411111\*{6}1111/);
  assert.equal((second?.err as { code: string }).code, 'RSW_BAD_ARGUMENT');
});

test('child bindings and setBindings are redacted, through grandchildren', () => {
  const { logger, text, lines } = capture();
  const child = logger.child({ pan: testPans[0], terminalId: '10000001', note: `for ${testPans[1]}` });
  const grandchild = child.child({ track2 });
  grandchild.info('sale');
  grandchild.setBindings({ cvv, other: testPans[2] });
  grandchild.info('again');
  assertNoCardData(text());
  const [line] = lines();
  assert.equal(line?.terminalId, '10000001');
  assert.equal(line?.pan, redactedText);
  assert.equal(line?.track2, redactedText);
});

test('levels filter lines and silent writes nothing', () => {
  const info = capture('info');
  info.logger.debug('hidden');
  info.logger.info('shown');
  assert.deepEqual(
    info.lines().map((line) => line.msg),
    ['shown'],
  );
  const silent = capture('silent');
  silent.logger.fatal('nothing');
  assert.equal(silent.text(), '');
});

test('an unknown level is refused with a stable code', () => {
  assert.throws(() => createLogger({ level: 'loud', destination: new Writable({ write: (_c, _e, done) => done() }) }), /RSW_BAD_ARGUMENT|log\.level/);
});

test('redactForLog is bounded: circular and very deep values do not hang or throw', () => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  assert.deepEqual(redactForLog(circular), { name: 'loop', self: '[circular]' });
  let deep: Record<string, unknown> = { pan: testPans[0] };
  for (let index = 0; index < 50; index += 1) deep = { next: deep };
  assert.ok(!JSON.stringify(redactForLog(deep)).includes(testPans[0] as string));
  const wide = Array.from({ length: 1000 }, (_, index) => index);
  assert.equal((redactForLog(wide) as unknown[]).length, 201);
});

test('credentials are redacted under their usual keys, and URL passwords inside any text are masked', () => {
  const { logger, text } = capture();
  const secrets = ['Bearer rsw_abc_SECRETKEY', 'PwSecret1', 'TokSecret2', 'ApiSecret3', 'CliSecret4', 'QuerySecret5', 'At@Secret6'];
  logger.info(
    {
      headers: { authorization: secrets[0], 'x-api-key': secrets[3] },
      password: secrets[1],
      token: secrets[2],
      apiKey: secrets[3],
      client_secret: secrets[4],
      url: `postgres://gw@db/reswipe?password=${secrets[5]}`,
      error: new Error(`connect postgres://gw:${secrets[6]}@db.internal/reswipe failed`),
    },
    `retrying postgres://gw:${secrets[1]}@db/x`,
  );
  for (const secret of secrets) assert.ok(!text().includes(secret) && !text().includes(secret.split('@')[1] ?? secret), `${secret} leaked: ${text()}`);
  assert.match(text(), /postgres:\/\/gw:\*{8}@db/);
});
