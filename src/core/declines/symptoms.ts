// The troubleshooting guide for symptoms that are not response codes: symptoms.json validated and
// frozen on load. Steps follow the source article's six recovery steps, in both languages.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { responsibleParties, retryVerdicts, type BilingualText, type ResponsibleParty, type RetryVerdict } from '../vocabulary.ts';
import { DataReader, deepFreeze } from './validate-data.ts';
import { responseCodePattern } from './response-code-table.ts';
import symptomsJson from './symptoms.json' with { type: 'json' };

export interface SymptomStep {
  readonly kind: string;
  readonly text: BilingualText;
}

export interface Symptom {
  readonly id: string;
  readonly title: BilingualText;
  readonly causes: readonly BilingualText[];
  readonly verdict: RetryVerdict;
  readonly waitSeconds: number | null;
  readonly party: ResponsibleParty;
  readonly relatedCodes: readonly string[];
  readonly steps: readonly SymptomStep[];
}

export interface SymptomGuide {
  readonly stepKinds: Readonly<Record<string, BilingualText>>;
  readonly symptoms: readonly Symptom[];
}

const symptomIdPattern = /^[a-z][a-z0-9-]{1,40}$/;

/** Validates a parsed symptoms document. */
export function parseSymptomGuide(document: unknown, file = 'symptoms.json'): SymptomGuide {
  const read = new DataReader(file);
  const root = read.object(document, '$');
  const kindsRaw = read.object(root.stepKinds, '$.stepKinds');
  const stepKinds: Record<string, BilingualText> = {};
  for (const [kind, text] of Object.entries(kindsRaw)) stepKinds[kind] = read.bilingual(text, `$.stepKinds.${kind}`);
  const ids = new Set<string>();
  const symptoms = read.array(root.symptoms, '$.symptoms', 200).map((raw, i): Symptom => {
    const path = `$.symptoms[${i}]`;
    const row = read.object(raw, path);
    const id = read.string(row.id, `${path}.id`, symptomIdPattern);
    if (ids.has(id)) read.fail(`${path}.id`, `symptom ${id} appears twice`);
    ids.add(id);
    const verdict = read.member(retryVerdicts, row.verdict, `${path}.verdict`);
    const waitSeconds = row.waitSeconds === null ? null : read.integer(row.waitSeconds, `${path}.waitSeconds`, 1, 86400);
    if ((verdict === 'later' || verdict === 'wait') !== (waitSeconds !== null)) read.fail(`${path}.waitSeconds`, 'a wait is given exactly for verdicts later and wait');
    const steps = read.array(row.steps, `${path}.steps`, 20).map((stepRaw, j): SymptomStep => {
      const step = read.object(stepRaw, `${path}.steps[${j}]`);
      const kind = read.member(Object.keys(stepKinds), step.kind, `${path}.steps[${j}].kind`);
      return { kind, text: read.bilingual(step.text, `${path}.steps[${j}].text`) };
    });
    if (steps.length === 0) read.fail(`${path}.steps`, 'at least one step');
    return {
      id,
      title: read.bilingual(row.title, `${path}.title`),
      causes: read.array(row.causes, `${path}.causes`, 20).map((c, j) => read.bilingual(c, `${path}.causes[${j}]`)),
      verdict,
      waitSeconds,
      party: read.member(responsibleParties, row.party, `${path}.party`),
      relatedCodes: read.array(row.relatedCodes, `${path}.relatedCodes`, 50).map((c, j) => read.string(c, `${path}.relatedCodes[${j}]`, responseCodePattern)),
      steps,
    };
  });
  return deepFreeze({ stepKinds, symptoms });
}

/** The shipped troubleshooting guide. */
export const symptomGuide: SymptomGuide = parseSymptomGuide(symptomsJson);

/** One symptom by id; RSW_DECLINE_UNKNOWN_SYMPTOM if there is none. */
export function findSymptom(id: string, guide: SymptomGuide = symptomGuide): Symptom {
  const symptom = guide.symptoms.find((candidate) => candidate.id === id);
  if (symptom === undefined) throw new ReswipeError('RSW_DECLINE_UNKNOWN_SYMPTOM', { field: 'symptom', value: id.slice(0, 60) });
  return symptom;
}
