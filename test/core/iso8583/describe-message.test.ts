// Goal: the printed form of a message hides card data by the documented rules and reveals it only
// on request. Method: table of fields with their masked output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMessage, stringifyDescription, type IsoMessage } from '../../../src/core/iso8583/index.ts';

const message: IsoMessage = {
  mti: '0200',
  tpdu: Buffer.from('6000030000', 'hex'),
  header: '603100000000',
  fields: {
    2: '6222020000000000018',
    3: '000000',
    35: '6222020000000000018=2912201123',
    36: '0123456789',
    48: 'CVV2=123;MAC=01',
    52: Buffer.from('3A5F9C0E71B2D448', 'hex'),
    55: { '9F26': '8A1B2C3D4E5F6071', '9F10': '0701', '5A': '6222020000000000018F', '57': '6222020000000000018D2912', '9F02': '000000012345', '9F27': '80' },
    60: { '1': '22', '2': '000001' },
    62: Buffer.from('9C3E0A1B', 'hex'),
    63: 'card 6222020000000000018 declined',
    64: Buffer.from('0102030405060708', 'hex'),
  },
};

test('masked by default', () => {
  assert.deepEqual(describeMessage(message), {
    mti: '0200',
    tpdu: '6000030000',
    header: '603100000000',
    2: '622202*********0018',
    3: '000000',
    35: '622202*********0018=****',
    36: '****',
    48: 'CVV2=****;MAC=01',
    52: '****',
    55: { '9F26': '****', '9F10': '****', '5A': '****', '57': '****', '9F02': '000000012345', '9F27': '****' },
    60: { '1': '22', '2': '000001' },
    62: '****',
    63: 'card 622202*********0018 declined',
    64: '****',
  });
});

test('revealed on request, binary as hex', () => {
  const revealed = describeMessage(message, { reveal: true });
  assert.equal(revealed['2'], '6222020000000000018');
  assert.equal(revealed['52'], '3A5F9C0E71B2D448');
  assert.deepEqual(revealed['55'], message.fields[55]);
});

test('stringifyDescription puts mti, tpdu and header first', () => {
  assert.ok(stringifyDescription(describeMessage(message)).startsWith('{"mti":"0200","tpdu":"6000030000","header":"603100000000","2":'));
});

test('identifier fields are not mistaken for card numbers', () => {
  const described = describeMessage({ mti: '0210', fields: { 32: '48020000', 42: '898110053110001', 90: '020000012311251015000000048020000000000000', 44: 'card 6222020000000000018' } });
  assert.equal(described['42'], '898110053110001');
  assert.equal(described['90'], '020000012311251015000000048020000000000000');
  assert.equal(described['44'], 'card 622202*********0018');
});
