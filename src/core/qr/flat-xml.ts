// The flat XML documents of WeChat Pay API v2: `<xml><name><![CDATA[value]]></name>...</xml>`, one
// level, no attributes. A small strict reader instead of a general XML parser on purpose: no DOCTYPE,
// no entity declarations, no external entities (nothing to expand), only the five predefined entities
// and numeric character references in text; bounded bytes, fields and value lengths. Anything else is
// refused with a reason, never half-read.

export interface FlatXmlLimits {
  /** Largest document, in characters. */
  readonly charsMax: number;
  /** Most fields. */
  readonly fieldsMax: number;
  /** Longest value, in characters. */
  readonly valueCharsMax: number;
}

export const flatXmlDefaultLimits: FlatXmlLimits = Object.freeze({ charsMax: 65_536, fieldsMax: 200, valueCharsMax: 8_192 });

export type FlatXmlResult = { ok: true; fields: Record<string, string> } | { ok: false; reason: string };

const fieldNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Characters XML 1.0 does not allow in a document, even escaped. */
const forbiddenCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Encodes fields as a WeChat Pay request body; every value in CDATA. Throws on a name or value XML cannot carry. */
export function encodeFlatXml(fields: Readonly<Record<string, string>>): string {
  let body = '<xml>';
  for (const [name, value] of Object.entries(fields)) {
    if (!fieldNamePattern.test(name)) throw new Error(`field name ${JSON.stringify(name)} is not a simple XML name`);
    if (forbiddenCharacters.test(value)) throw new Error(`field ${name} holds a character XML cannot carry`);
    // `]]>` cannot appear inside CDATA: split it across two sections.
    body += `<${name}><![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${name}>`;
  }
  return `${body}</xml>`;
}

const predefinedEntities: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the text between two tags: CDATA sections and character data with the predefined entities. */
function decodeContent(raw: string): { ok: true; value: string } | { ok: false; reason: string } {
  let value = '';
  let at = 0;
  while (at < raw.length) {
    if (raw.startsWith('<![CDATA[', at)) {
      const end = raw.indexOf(']]>', at + 9);
      if (end < 0) return { ok: false, reason: 'unterminated CDATA section' };
      value += raw.slice(at + 9, end);
      at = end + 3;
      continue;
    }
    const character = raw[at] ?? '';
    if (character === '<') return { ok: false, reason: 'nested element or markup inside a field' };
    if (character === '&') {
      const end = raw.indexOf(';', at);
      if (end < 0 || end - at > 10) return { ok: false, reason: 'bad entity reference' };
      const name = raw.slice(at + 1, end);
      let decoded: string | undefined = predefinedEntities[name];
      if (decoded === undefined) {
        const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(name);
        const codePoint = numeric === null ? Number.NaN : numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
        if (!(Number.isInteger(codePoint) && codePoint > 0 && codePoint <= 0x10ffff && !(codePoint >= 0xd800 && codePoint <= 0xdfff))) {
          return { ok: false, reason: `entity &${name}; is not allowed (only the predefined ones and character references)` };
        }
        decoded = String.fromCodePoint(codePoint);
      }
      value += decoded;
      at = end + 1;
      continue;
    }
    value += character;
    at += 1;
  }
  return { ok: true, value };
}

/** Reads a flat `<xml>` document into its fields; a duplicate field, markup in a value or anything over the limits is refused. */
export function decodeFlatXml(text: string, limits: FlatXmlLimits = flatXmlDefaultLimits): FlatXmlResult {
  if (text.length > limits.charsMax) return { ok: false, reason: `document longer than ${limits.charsMax} characters` };
  if (forbiddenCharacters.test(text)) return { ok: false, reason: 'document holds a character XML does not allow' };
  let rest = text.replace(/^\uFEFF/, '').trim();
  // An XML declaration is tolerated; a DOCTYPE (and with it every entity declaration) is not.
  const declaration = /^<\?xml[^?<>]{0,200}\?>/.exec(rest);
  if (declaration !== null) rest = rest.slice(declaration[0].length).trim();
  if (!rest.startsWith('<xml>')) return { ok: false, reason: rest.startsWith('<!') ? 'DOCTYPE or markup declarations are not allowed' : 'the document does not start with <xml>' };
  if (!rest.endsWith('</xml>')) return { ok: false, reason: 'the document does not end with </xml>' };
  let inner = rest.slice(5, rest.length - 6);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  for (;;) {
    inner = inner.trimStart();
    if (inner === '') break;
    const open = /^<([A-Za-z_][A-Za-z0-9_]{0,63})>/.exec(inner);
    if (open === null) {
      const empty = /^<([A-Za-z_][A-Za-z0-9_]{0,63})\s*\/>/.exec(inner);
      if (empty === null) return { ok: false, reason: `expected a field element at ${JSON.stringify(inner.slice(0, 20))}` };
      const name = empty[1] as string;
      if (name in fields) return { ok: false, reason: `field ${name} appears twice` };
      fields[name] = '';
      count += 1;
      inner = inner.slice(empty[0].length);
    } else {
      const name = open[1] as string;
      if (name in fields) return { ok: false, reason: `field ${name} appears twice` };
      const closing = `</${name}>`;
      // The closing tag is the first one not inside a CDATA section.
      let scan = open[0].length;
      let end = -1;
      while (scan < inner.length) {
        const nextCdata = inner.indexOf('<![CDATA[', scan);
        const nextClose = inner.indexOf(closing, scan);
        if (nextClose < 0) break;
        if (nextCdata >= 0 && nextCdata < nextClose) {
          const cdataEnd = inner.indexOf(']]>', nextCdata + 9);
          if (cdataEnd < 0) return { ok: false, reason: `unterminated CDATA section in ${name}` };
          scan = cdataEnd + 3;
          continue;
        }
        end = nextClose;
        break;
      }
      if (end < 0) return { ok: false, reason: `field ${name} is not closed` };
      const content = decodeContent(inner.slice(open[0].length, end));
      if (!content.ok) return { ok: false, reason: `${name}: ${content.reason}` };
      if (content.value.length > limits.valueCharsMax) return { ok: false, reason: `field ${name} longer than ${limits.valueCharsMax} characters` };
      fields[name] = content.value;
      count += 1;
      inner = inner.slice(end + closing.length);
    }
    if (count > limits.fieldsMax) return { ok: false, reason: `more than ${limits.fieldsMax} fields` };
  }
  return { ok: true, fields: { ...fields } };
}
