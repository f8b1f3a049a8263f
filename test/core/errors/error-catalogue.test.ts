// Goal: keep the error catalogue and docs/errors.md in step and every definition well formed. Method: read the
// catalogue at run time, check each definition's code, statuses, placeholders and text, and compare the doc
// with a fresh rendering (run `npx tsx scripts/generate-error-docs.ts` when it drifts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { errorCatalogue } from '../../../src/core/errors/catalogue.ts';
import { retiredErrorCodes } from '../../../src/core/errors/retired-error-codes.ts';
import type { ErrorDefinition } from '../../../src/core/errors/error-definition.ts';
import { ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { errorDocsPath, renderErrorDocs } from '../../../scripts/generate-error-docs.ts';

const codePattern = /^RSW_[A-Z0-9_]+$/;
const isoResponseCodePattern = /^[0-9A-Z]{2}$/;
const placeholderPattern = /\{([^{}]*)\}/g;
/** Params with these names would put card data into a message (money-safety invariant 5). */
const cardDataNames = /^(pan|cardnumber|cardno|track\d?|track2data|cvv2?|cvc2?|pin|pinblock)$/i;

/** Every problem with one definition, as readable lines; empty when it is well formed. */
function problemsOf(definition: ErrorDefinition): string[] {
  const problems: string[] = [];
  const { code } = definition;
  if (!codePattern.test(code)) problems.push(`${code}: code must match ${codePattern}`);
  if (retiredErrorCodes.includes(code)) problems.push(`${code}: code is retired and may not be reused`);
  if (!Number.isInteger(definition.httpStatus) || STATUS_CODES[definition.httpStatus] === undefined || definition.httpStatus < 400) {
    problems.push(`${code}: httpStatus ${definition.httpStatus} is not an HTTP error status (4xx or 5xx)`);
  }
  if (definition.isoResponseCode !== undefined && !isoResponseCodePattern.test(definition.isoResponseCode)) {
    problems.push(`${code}: isoResponseCode "${definition.isoResponseCode}" must be 2 digits or upper-case letters`);
  }
  if (definition.messageTemplate.trim() === '' || /[\r\n]/.test(definition.messageTemplate)) problems.push(`${code}: messageTemplate must be one non-empty line`);
  for (const match of definition.messageTemplate.matchAll(placeholderPattern)) {
    const name = match[1] ?? '';
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) problems.push(`${code}: placeholder {${name}} must be a lowerCamel name`);
    if (cardDataNames.test(name)) problems.push(`${code}: placeholder {${name}} would put card data in a message`);
  }
  if (/[{}]/.test(definition.messageTemplate.replace(placeholderPattern, ''))) problems.push(`${code}: messageTemplate has an unbalanced brace`);
  if (!/^\S[\s\S]*[.)]$/.test(definition.description.trim()) || /[\r\n]/.test(definition.description)) {
    problems.push(`${code}: description must be one line of full sentences ending with a period`);
  }
  return problems;
}

test('the catalogue holds codes', () => {
  assert.ok(errorCatalogue.size > 0);
});

test('every definition is well formed (code, HTTP status, ISO 8583 code, placeholders, description)', () => {
  const problems = [...errorCatalogue.values()].flatMap(problemsOf);
  assert.deepEqual(problems, []);
});

test('the definition checks catch each kind of malformed definition', () => {
  const good: ErrorDefinition = { code: 'RSW_TEST_GOOD', messageTemplate: 'field {field}: {reason}', httpStatus: 400, isoResponseCode: '30', description: 'A sentence.' };
  assert.deepEqual(problemsOf(good), []);
  const rows: Array<[Partial<ErrorDefinition>, RegExp]> = [
    [{ code: 'RSW_lower' }, /code must match/],
    [{ code: 'ERR_NO_PREFIX' }, /code must match/],
    [{ httpStatus: 200 }, /httpStatus 200/],
    [{ httpStatus: 499 }, /httpStatus 499/],
    [{ httpStatus: 40.5 }, /httpStatus 40.5/],
    [{ isoResponseCode: '5' }, /isoResponseCode "5"/],
    [{ isoResponseCode: 'a1' }, /isoResponseCode "a1"/],
    [{ messageTemplate: 'card {pan} refused' }, /card data/],
    [{ messageTemplate: 'bad {track2}' }, /card data/],
    [{ messageTemplate: 'bad {Field name}' }, /lowerCamel/],
    [{ messageTemplate: 'bad {field' }, /unbalanced/],
    [{ messageTemplate: '' }, /non-empty/],
    [{ description: 'no period' }, /description/],
  ];
  for (const [change, expected] of rows) {
    const problems = problemsOf({ ...good, ...change });
    assert.ok(problems.some((problem) => expected.test(problem)), `${JSON.stringify(change)} should be reported as ${expected}, got ${JSON.stringify(problems)}`);
  }
});

test('no code is defined twice and no retired code is reused', () => {
  assert.equal(new Set(errorCatalogue.keys()).size, errorCatalogue.size);
  for (const code of retiredErrorCodes) {
    assert.match(code, codePattern);
    assert.equal(errorCatalogue.has(code), false, `${code} is retired and may not be defined again`);
  }
});

test('a code once published in docs/errors.md is either still defined or listed as retired', () => {
  assert.ok(existsSync(errorDocsPath), 'docs/errors.md is missing: run `npx tsx scripts/generate-error-docs.ts`');
  const published = [...readFileSync(errorDocsPath, 'utf8').matchAll(/^\| `(RSW_[A-Z0-9_]+)` \|/gm)].map((match) => match[1] as string);
  const vanished = published.filter((code) => !errorCatalogue.has(code) && !retiredErrorCodes.includes(code));
  assert.deepEqual(vanished, [], 'codes are never removed silently: add them to src/core/errors/retired-error-codes.ts');
});

test('docs/errors.md matches the catalogue (run `npx tsx scripts/generate-error-docs.ts` when this fails)', () => {
  const onDisk = readFileSync(errorDocsPath, 'utf8');
  assert.equal(onDisk, renderErrorDocs(errorCatalogue.values()), 'docs/errors.md is out of date: run `npx tsx scripts/generate-error-docs.ts` (npm run docs:errors)');
});

test('the rendered doc lists every code with its statuses and escapes table characters', () => {
  const rendered = renderErrorDocs([{ code: 'RSW_TEST_PIPE', messageTemplate: 'a | b {field}', httpStatus: 503, isoResponseCode: '91', description: 'Line one.' }], ['RSW_TEST_OLD']);
  assert.match(rendered, /^\| `RSW_TEST_PIPE` \| 503 \| 91 \| a \\\| b `\{field\}` \| Line one\. \|$/m);
  assert.match(rendered, /^- `RSW_TEST_OLD`$/m);
});

test('a ReswipeError takes its status and ISO code from the catalogue and fills its message', () => {
  const error = new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: 'http.port', reason: 'must be an integer' });
  assert.equal(error.httpStatus, errorCatalogue.get('RSW_CONFIG_INVALID_VALUE')?.httpStatus);
  assert.equal(error.message, 'configuration key http.port must be an integer');
  assert.equal(error.field, 'http.port');
});
