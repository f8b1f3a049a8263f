// Goal: whatever faults hide, a client that reverses every unanswered sale ends with exactly the approved-and-answered sales charged. Method: fast-check generates traffic (cards, amounts including magic ones, fault rates, duplicate re-sends, reversal repeats and reversals that overtake their sale) through the pure fault plan and rules, then an independent auditor compares the ledger with what the client was told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { decideIssuerResponse } from '../../../src/sim/issuer/decide-issuer-response.ts';
import { decideFault, isProcessedBeforeFault, mergeFaultSettings, noFaults } from '../../../src/sim/issuer/fault-plan.ts';
import { IssuerBook, viewLedger } from '../../../src/sim/issuer/issuer-book.ts';
import { testCards } from '../../../src/sim/issuer/test-cards.ts';
import { reversalOf, saleRequest } from './issuer-requests.ts';

const nowMs = Date.UTC(2026, 10, 25, 22, 0, 0);
const amounts = [100, 4_000, 10_000, 88_801, 88_802, 88_803, 88_804, 88_805, 88_806, 88_807, 99_951, 99_991];

test('every charge the client was not told about is reversed exactly once; told approvals stay charged once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.array(
        fc.record({
          card: fc.integer({ min: 0, max: testCards.length - 1 }),
          amount: fc.constantFrom(...amounts),
          resend: fc.boolean(),
          reverseFirst: fc.boolean(),
          reversalTries: fc.integer({ min: 1, max: 3 }),
        }),
        { minLength: 1, maxLength: 60 },
      ),
      (seed, traffic) => {
        const book = new IssuerBook();
        const faultRandom = new SeededRandom(seed);
        const authRandom = new SeededRandom(seed + 1);
        const settings = mergeFaultSettings(noFaults, { noReply: 0.1, replyLost: 0.1, lateReply: 0.1, drop: 0.05, dropAfterProcessing: 0.05, malformedReply: 0.05, duplicateReply: 0.05 });
        // What the host does with one message: fault plan, then the rules; returns the reply the client saw (or null).
        const deliver = (message: IsoMessage): IsoMessage | null => {
          const fault = decideFault(message, settings, faultRandom);
          if (!isProcessedBeforeFault(fault)) return null;
          const decision = decideIssuerResponse(book, message, { nowMs, random: authRandom });
          for (const event of decision.events) book.apply(event);
          return fault === null || fault === 'duplicate_reply' ? decision.response : null;
        };
        let stan = 0;
        const nextStan = (): string => String(++stan).padStart(6, '0');
        const toldApprovedMinor = new Map<string, number>();
        for (const step of traffic) {
          const card = testCards[step.card];
          assert.ok(card);
          const sale = saleRequest({ pan: card.pan, amountMinor: step.amount, stan: nextStan() });
          const reverse = (): void => {
            // The client repeats its reversal (0400, then 0401s with the same key) until it gets 00 or 25.
            const reversal = reversalOf(sale, nextStan());
            for (let tryNumber = 1; tryNumber <= 50; tryNumber++) {
              const answer = deliver(tryNumber === 1 ? reversal : { ...reversal, mti: '0401' });
              const code = answer?.fields[39];
              if (code === '00' || code === '25') return;
            }
            assert.fail('a reversal never completed within 50 tries');
          };
          if (step.reverseFirst) {
            reverse();
            deliver(sale);
            continue;
          }
          let answer = deliver(sale);
          if (answer === null && step.resend) answer = deliver(sale);
          if (answer === null) {
            reverse();
          } else if (answer.fields[39] === '00') {
            toldApprovedMinor.set(card.id, (toldApprovedMinor.get(card.id) ?? 0) + step.amount);
          }
        }
        const ledger = viewLedger(book, 0);
        for (const row of ledger.cards) assert.equal(row.netChargedMinor, toldApprovedMinor.get(row.cardId) ?? 0, `card ${row.cardId}, seed ${seed}`);
        for (const [cardId, amountMinor] of toldApprovedMinor) {
          assert.equal(ledger.cards.find((row) => row.cardId === cardId)?.netChargedMinor, amountMinor, cardId);
        }
      },
    ),
    { numRuns: 200, seed: 20261125 },
  );
});
