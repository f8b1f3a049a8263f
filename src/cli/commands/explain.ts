// `reswipe explain <code>`: why a response code happens and what to do, from the catalogue;
// `--symptom <id>` for troubleshooting without a code, `--outcome <kind>` for outcomes without a code,
// `--list` and `--symptoms` to list what there is. Human text by default (zh, or --lang en); --json for machines.
import type { Command } from 'commander';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import {
  classifyOutcome,
  classifyResponseCode,
  explainEntry,
  findSymptom,
  formatCodeExplanation,
  formatSymptom,
  nonCodeOutcomeMeaningZh,
  nonCodeOutcomes,
  responseCodeTable,
  symptomGuide,
  terminalVerdictText,
} from '../../core/declines/index.ts';
import { isMember, languages, type Language } from '../../core/vocabulary.ts';
import { explainQrEntry, findQrCode, qrCodePattern } from '../../core/declines/qr-code-table.ts';
import { loadQrCodeTables } from '../../adapters/declines/qr-code-table-files.ts';

interface ExplainOptions {
  lang?: string;
  json?: boolean;
  symptom?: string;
  outcome?: string;
  list?: boolean;
  symptoms?: boolean;
}

/** A response code as typed by a person: two letters or digits, case-insensitive. */
export function parseCodeArgument(text: string): string {
  if (!/^[0-9A-Za-z]{2}$/.test(text)) throw new ReswipeError('RSW_DECLINE_BAD_CODE', { field: 'code', value: text.slice(0, 20) });
  return text.toUpperCase();
}

function languageOption(text: string | undefined): Language {
  if (text === undefined) return 'zh';
  if (!isMember(languages, text)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'lang', reason: `must be one of ${languages.join(', ')}` });
  return text;
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function listCodes(lang: Language, json: boolean): void {
  const rows = responseCodeTable.entries.map((entry) => explainEntry(entry, classifyResponseCode(entry.code)));
  if (json) return print(JSON.stringify(rows, null, 2));
  const lines = rows.map((x) => `${x.code}  ${x.terminalVerdict.padEnd(12)} ${x.category.padEnd(20)} ${x.advice.cashier[lang]}`);
  print([lang === 'zh' ? '码  结论         类别                 收银员提示' : 'code verdict      category             cashier advice', ...lines].join('\n'));
}

function listSymptoms(lang: Language, json: boolean): void {
  if (json) return print(JSON.stringify(symptomGuide.symptoms.map((s) => ({ id: s.id, title: s.title, verdict: s.verdict })), null, 2));
  print(symptomGuide.symptoms.map((s) => `${s.id.padEnd(28)} ${s.title[lang]}`).join('\n'));
}

/** A QR provider code, in every provider catalogue that has it (a code may mean different things at WeChat and Alipay). */
function explainQrCode(code: string, lang: Language, json: boolean): void {
  if (!qrCodePattern.test(code)) throw new ReswipeError('RSW_DECLINE_BAD_CODE', { field: 'code', value: code.slice(0, 20) });
  const found = findQrCode(loadQrCodeTables(), code).map(explainQrEntry);
  if (found.length === 0) throw new ReswipeError('RSW_DECLINE_BAD_CODE', { field: 'code', value: code.slice(0, 64) });
  if (json) return print(JSON.stringify(found.length === 1 ? found[0] : found, null, 2));
  const providerName = { 'wechatpay-v2': lang === 'zh' ? '微信支付' : 'WeChat Pay', alipay: lang === 'zh' ? '支付宝' : 'Alipay' } as const;
  print(found.map((x) => `${providerName[x.provider]} · ${formatCodeExplanation(x, lang)}`).join('\n'));
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('why a response code happens and what to do next; --symptom for problems that are not codes')
    .argument('[code]', 'DE 39 response code, e.g. 51, 05, A0, N7; or a QR provider code, e.g. USERPAYING, ACQ.SYSTEM_ERROR')
    .option('--lang <lang>', 'zh or en (default zh)')
    .option('--json', 'print JSON (the Diagnosis shape the HTTP API uses)')
    .option('--symptom <id>', 'troubleshooting steps for a symptom (see --symptoms)')
    .option('--outcome <kind>', `an outcome without a code: ${nonCodeOutcomes.join(', ')}`)
    .option('--list', 'list every response code with its verdict and cashier advice')
    .option('--symptoms', 'list the symptom ids')
    .action((code: string | undefined, options: ExplainOptions) => {
      const lang = languageOption(options.lang);
      const json = options.json === true;
      if (options.list === true) return listCodes(lang, json);
      if (options.symptoms === true) return listSymptoms(lang, json);
      if (options.symptom !== undefined) {
        const symptom = findSymptom(options.symptom);
        return print(json ? JSON.stringify(symptom, null, 2) : formatSymptom(symptom, symptomGuide, lang));
      }
      if (options.outcome !== undefined) {
        if (!isMember(nonCodeOutcomes, options.outcome)) {
          throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'outcome', reason: `must be one of ${nonCodeOutcomes.join(', ')}` });
        }
        const d = classifyOutcome(options.outcome);
        const x = { ...explainEntry(undefined, d, nonCodeOutcomeMeaningZh[options.outcome]), known: true, terminalVerdict: terminalVerdictText(d) };
        return print(json ? JSON.stringify(x, null, 2) : formatCodeExplanation(x, lang).replace(/^(Code|应答码) /, `${options.outcome} → $1 `));
      }
      if (code === undefined) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'code', reason: 'give a response code, or --symptom <id>, --outcome <kind>, --list or --symptoms' });
      }
      // Longer codes are the QR providers' (WeChat err_code, Alipay sub_code): docs/qr-payments.md.
      if (!/^[0-9A-Za-z]{2}$/.test(code)) return explainQrCode(code, lang, json);
      const wanted = parseCodeArgument(code);
      const x = explainEntry(responseCodeTable.byCode.get(wanted), classifyResponseCode(wanted));
      return print(json ? JSON.stringify(x, null, 2) : formatCodeExplanation(x, lang));
    });
}
