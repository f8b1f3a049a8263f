// Goal: a card a follow-up carries (DE 2, DE 35) must be the original's card by fingerprint (under the
// current or a retired PAN key), or the follow-up is refused with RSW_TXN_CARD_MISMATCH (DE 39 14); a
// follow-up without a card is allowed.
// Method: table rows over decideFollowUpCard with real keyed fingerprints, and the track-2 PAN reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideFollowUpCard, panOfTrack2 } from '../../../src/core/payments/follow-up-card-rules.ts';
import { fingerprintPan } from '../../../src/core/cards/pan.ts';

const key = 'test-pan-key-0123456789';
const original = fingerprintPan('6222020000000000018', key);
const other = fingerprintPan('4111111111111111', key);

test('the presented cards must all be the original card', () => {
  const rotated = fingerprintPan('6222020000000000018', 'the-new-pan-key-0123456');
  const rows: Array<[string, string[][], 'allowed' | 'RSW_TXN_CARD_MISMATCH']> = [
    ['no card presented', [], 'allowed'],
    ['the original card in DE 2', [[original]], 'allowed'],
    ['the original card in DE 2 and DE 35', [[original], [original]], 'allowed'],
    ['another card in DE 2', [[other]], 'RSW_TXN_CARD_MISMATCH'],
    ['the original in DE 2, another in DE 35', [[original], [other]], 'RSW_TXN_CARD_MISMATCH'],
    ['the original card under another key only is another fingerprint', [[rotated]], 'RSW_TXN_CARD_MISMATCH'],
    ['after a rotation: the original card under the new key and the retired one', [[rotated, original]], 'allowed'],
    ['after a rotation: another card under both keys', [[fingerprintPan('4111111111111111', 'the-new-pan-key-0123456'), other]], 'RSW_TXN_CARD_MISMATCH'],
  ];
  for (const [name, presented, expected] of rows) {
    const result = decideFollowUpCard({ originalFingerprint: original, presentedCards: presented });
    assert.equal(result.kind === 'allowed' ? 'allowed' : result.code, expected, name);
    if (result.kind === 'refused') {
      assert.equal(result.isoResponseCode, '14', name);
      assert.equal(result.httpStatus, 409, name);
      assert.ok(!result.reason.includes('4111'), 'the reason carries no card digits');
    }
  }
});

test('track 2 gives its PAN before = or D, or nothing', () => {
  assert.equal(panOfTrack2('6222020000000000018=30121010000000000'), '6222020000000000018');
  assert.equal(panOfTrack2('6222020000000000018D30121010000000000'), '6222020000000000018');
  assert.equal(panOfTrack2('=3012'), null);
  assert.equal(panOfTrack2('12ab=3012'), null);
});
