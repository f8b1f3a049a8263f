// Goal: a follow-up from a terminal is allowed only for the merchant that terminal is registered to;
// an unknown terminal or one of another shop is refused with RSW_TXN_TERMINAL_NOT_MERCHANTS (DE 39 97).
// Method: table rows over decideFollowUpTerminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideFollowUpTerminal } from '../../../src/core/payments/follow-up-terminal-rules.ts';

test('a terminal acts only for its own merchant', () => {
  const rows: Array<[string, string | null, string, string | null]> = [
    ['its own merchant', 'M00000000000001', 'M00000000000001', null],
    ['another merchant named in DE 42', 'M00000000000002', 'M00000000000001', 'RSW_TXN_TERMINAL_NOT_MERCHANTS'],
    ['an unknown terminal', null, 'M00000000000001', 'RSW_TXN_TERMINAL_NOT_MERCHANTS'],
  ];
  for (const [name, terminalMerchantId, merchantId, code] of rows) {
    const result = decideFollowUpTerminal({ terminalId: 'T0000009', terminalMerchantId, merchantId });
    assert.equal(result.kind === 'allowed' ? null : result.code, code, name);
    if (result.kind === 'refused') assert.equal(result.isoResponseCode, '97', name);
  }
});
