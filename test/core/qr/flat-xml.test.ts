// Goal: WeChat's flat XML is written and read exactly, and hostile documents are refused, never expanded
// or half-read. Method: round trips with CDATA and awkward values, the shapes WeChat really sends (plain
// text values, an XML declaration), then documents built to attack a parser: DOCTYPE and entities,
// nesting, duplicates, oversize documents, fields and values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFlatXml, encodeFlatXml } from '../../../src/core/qr/flat-xml.ts';

function decoded(text: string, limits?: Parameters<typeof decodeFlatXml>[1]): Record<string, string> {
  const result = decodeFlatXml(text, limits);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.fields;
}

function refused(text: string, pattern: RegExp, limits?: Parameters<typeof decodeFlatXml>[1]): void {
  const result = decodeFlatXml(text, limits);
  assert.equal(result.ok, false, `expected a refusal of ${text.slice(0, 80)}`);
  if (!result.ok) assert.match(result.reason, pattern);
}

test('encoding puts every value in CDATA and reads back the same fields', () => {
  const fields = { appid: 'wxd930ea5d5a258f4f', body: '测试 & <商品> "quoted"', empty: '', tricky: 'a]]>b]]>' };
  const text = encodeFlatXml(fields);
  assert.match(text, /^<xml><appid><!\[CDATA\[wxd930ea5d5a258f4f\]\]><\/appid>/);
  assert.deepEqual(decoded(text), fields);
});

test('what WeChat sends: a declaration, whitespace, plain values, CDATA values, entities', () => {
  const text = `<?xml version="1.0" encoding="UTF-8"?>
<xml>
   <return_code><![CDATA[SUCCESS]]></return_code>
   <total_fee>1</total_fee>
   <err_code_des>a &amp; b &lt;c&gt; &#x4E2D;&#25991;</err_code_des>
   <attach/>
</xml>`;
  assert.deepEqual(decoded(text), { return_code: 'SUCCESS', total_fee: '1', err_code_des: 'a & b <c> 中文', attach: '' });
});

test('a closing tag inside CDATA does not end the field', () => {
  assert.deepEqual(decoded('<xml><a><![CDATA[x</a>y]]></a></xml>'), { a: 'x</a>y' });
});

test('DOCTYPE, entity declarations and unknown entities are refused (nothing is expanded)', () => {
  refused('<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>', /DOCTYPE/);
  refused('<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><xml></xml>', /DOCTYPE/);
  refused('<xml><a>&a;</a></xml>', /entity &a; is not allowed/);
  refused('<xml><a>&#0;</a></xml>', /not allowed/);
  refused('<xml><a>&#xD800;</a></xml>', /not allowed/);
  refused('<xml><a>&amp</a></xml>', /bad entity/);
});

test('nesting, attributes, duplicates and junk are refused', () => {
  refused('<xml><a><b>1</b></a></xml>', /nested element/);
  refused('<xml><a x="1">1</a></xml>', /expected a field element/);
  refused('<xml><a>1</a><a>2</a></xml>', /appears twice/);
  refused('<xml><a>1</a>', /does not end with <\/xml>/);
  refused('<root><a>1</a></root>', /does not start with <xml>/);
  refused('<xml><a>1</b></xml>', /not closed/);
  refused('<xml><a><![CDATA[1</a></xml>', /unterminated CDATA|not closed/);
  refused('<xml>text<a>1</a></xml>', /expected a field element/);
  refused('<xml><a>\u0001</a></xml>', /character XML does not allow/);
  refused('<xml><__proto__>1</__proto__><a>1</a><a>2</a></xml>', /appears twice/);
});

test('a field named __proto__ is an ordinary field', () => {
  const fields = decoded('<xml><__proto__>x</__proto__></xml>');
  assert.equal(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value, 'x');
  assert.equal(Object.getPrototypeOf(fields), Object.prototype);
});

test('size limits: the document, the number of fields and a value', () => {
  const limits = { charsMax: 200, fieldsMax: 3, valueCharsMax: 10 };
  refused(`<xml><a>${'x'.repeat(300)}</a></xml>`, /longer than 200 characters/, limits);
  refused('<xml><a>1</a><b>2</b><c>3</c><d>4</d></xml>', /more than 3 fields/, limits);
  refused('<xml><a><![CDATA[12345678901]]></a></xml>', /longer than 10 characters/, limits);
  assert.deepEqual(decoded('<xml><a>1234567890</a></xml>', limits), { a: '1234567890' });
});

test('encoding refuses names and values XML cannot carry', () => {
  assert.throws(() => encodeFlatXml({ 'a b': '1' }), /not a simple XML name/);
  assert.throws(() => encodeFlatXml({ a: 'x\u0000y' }), /character XML cannot carry/);
});
