// Goal: the troubleshooting guide covers the agreed symptoms in both languages and follows the source article's steps. Method: table tests over the shipped guide and broken documents fed to the validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findSymptom, formatSymptom, parseSymptomGuide, symptomGuide } from '../../../src/core/declines/index.ts';
import symptomsJson from '../../../src/core/declines/symptoms.json' with { type: 'json' };
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const expected: Array<[string, string]> = [
  ['network-error', 'later'],
  ['card-unreadable', 'now'],
  ['chip-fails-swipe', 'fix'],
  ['not-signed-on', 'fix'],
  ['in-progress-after-timeout', 'wait'],
  ['no-paper', 'fix'],
];

for (const [id, verdict] of expected) {
  test(`symptom ${id} has verdict ${verdict}, causes and steps in both languages, ending by recording the failure`, () => {
    const symptom = findSymptom(id);
    assert.equal(symptom.verdict, verdict);
    assert.ok(symptom.causes.length > 0 && symptom.steps.length >= 3);
    for (const step of symptom.steps) assert.ok(step.text.zh.length > 0 && step.text.en.length > 0);
    assert.equal(symptom.steps.at(-1)?.kind, 'record_failure');
    assert.match(formatSymptom(symptom, symptomGuide, 'zh'), /处理步骤/);
    assert.match(formatSymptom(symptom, symptomGuide, 'en'), /Steps:/);
  });
}

test('the guide uses all six of the source article\'s recovery steps', () => {
  const used = new Set(symptomGuide.symptoms.flatMap((s) => s.steps.map((step) => step.kind)));
  for (const kind of ['wait_retry', 'check_network', 'switch_network', 'confirm_balance', 'call_bank', 'call_pos_provider', 'record_failure']) assert.ok(used.has(kind), kind);
});

test('an unknown symptom is RSW_DECLINE_UNKNOWN_SYMPTOM', () => {
  assert.throws(() => findSymptom('smoke'), (e: unknown) => isReswipeError(e, 'RSW_DECLINE_UNKNOWN_SYMPTOM') && e.httpStatus === 404);
});

test('bad symptom entries are refused naming the path', () => {
  const doc = structuredClone(symptomsJson) as unknown as { symptoms: Array<{ steps: Array<{ kind: string }>; verdict: string }> };
  (doc.symptoms[1] as { steps: Array<{ kind: string }> }).steps[0] = { kind: 'pray' } as never;
  assert.throws(() => parseSymptomGuide(doc), (e: unknown) => isReswipeError(e, 'RSW_DECLINE_DATA_INVALID') && e.field === '$.symptoms[1].steps[0].kind');
  const doc2 = structuredClone(symptomsJson) as unknown as { symptoms: Array<{ waitSeconds: number | null }> };
  (doc2.symptoms[0] as { waitSeconds: number | null }).waitSeconds = null;
  assert.throws(() => parseSymptomGuide(doc2), (e: unknown) => isReswipeError(e, 'RSW_DECLINE_DATA_INVALID') && e.field === '$.symptoms[0].waitSeconds');
});
