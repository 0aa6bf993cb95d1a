// A link is a credential: redactUrl / redactText keep what a link points at and cut who may use it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasControlCharacter } from '../src/base/text.js';
import { REDACTED, redactText, redactUrl } from '../src/cos/redact.js';
import { cosEncode } from '../src/cos/sign.js';

const HOST = 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com';
const LINK =
  `${HOST}/dir/a%20b.zip?q-sign-algorithm=sha1&q-ak=AKIDexample0001&q-sign-time=1700000000%3B1700003600` +
  '&q-key-time=1700000000%3B1700003600&q-header-list=host&q-url-param-list=response-content-disposition%3Bversionid' +
  '&q-signature=0123456789abcdef0123456789abcdef01234567&x-cos-security-token=tok%2Bsecret%3D' +
  '&versionId=MTg0NDUx&response-content-disposition=attachment%3B%20filename%3D%22a.zip%22';

describe('redactUrl', () => {
  it('keeps the object, its version and response-* parameters, and cuts every signature field and the token', () => {
    expect(redactUrl(LINK)).toBe(
      `${HOST}/dir/a%20b.zip?q-sign-algorithm=***&q-ak=***&q-sign-time=***&q-key-time=***&q-header-list=***` +
        '&q-url-param-list=***&q-signature=***&x-cos-security-token=***' +
        '&versionId=MTg0NDUx&response-content-disposition=attachment%3B%20filename%3D%22a.zip%22',
    );
  });

  it.each([
    ['no query', `${HOST}/a.txt`, `${HOST}/a.txt`],
    [
      'a traffic limit',
      `${HOST}/a.txt?x-cos-traffic-limit=819200`,
      `${HOST}/a.txt?x-cos-traffic-limit=819200`,
    ],
    [
      'names in another case',
      `${HOST}/a?Q-Signature=abc&X-COS-SECURITY-TOKEN=t`,
      `${HOST}/a?Q-Signature=***&X-COS-SECURITY-TOKEN=***`,
    ],
    ['an encoded name, shown as odd', `${HOST}/a?q%2Dsignature=abc`, `${HOST}/a?***`],
    ['an encoded harmless name', `${HOST}/a?version%49d=v1`, `${HOST}/a?version%49d=v1`],
    [
      'an S3 link',
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=ff&X-Amz-Security-Token=t',
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=***&X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***',
    ],
    [
      'an Azure SAS',
      'https://a.blob.core.windows.net/c/k?sv=2022&se=2030&sig=abc%3D',
      'https://a.blob.core.windows.net/c/k?sv=***&se=***&sig=***',
    ],
    [
      'a CDN sign parameter',
      'https://cdn.example.com/k?sign=1700000000-abc-0-md5',
      'https://cdn.example.com/k?sign=***',
    ],
    [
      'a bare token as parameter',
      `${HOST}/k?eyJhbGciOiJIUzI1NiJ9secret&versionId=v`,
      `${HOST}/k?***&versionId=v`,
    ],
    ['an odd parameter name', `${HOST}/k?${'a'.repeat(80)}=1`, `${HOST}/k?***`],
    ['user and password', 'https://user:pass@host.example/k?x=1', 'https://***@host.example/k?x=***'],
    ['a fragment', `${HOST}/k?versionId=v#access_token=abc`, `${HOST}/k?versionId=v`],
    ['empty pairs', `${HOST}/k?&&versionId=v&`, `${HOST}/k?versionId=v`],
    ['not a URL', 'q-signature=abc', 'an unparsable URL'],
  ])('%s', (_name, url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});

describe('redactText', () => {
  it('cuts links inside a message and signature fields outside one', () => {
    const text =
      `GET failed: ${LINK} answered 403 (request was "q-sign-algorithm=sha1&q-ak=AKIDx&q-signature=ab12", ` +
      `see ${HOST}/plain.txt)`;
    const redacted = redactText(text);
    expect(redacted).toContain(`${HOST}/dir/a%20b.zip?q-sign-algorithm=***&`);
    expect(redacted).toContain('"q-sign-algorithm=***&q-ak=***&q-signature=***"');
    expect(redacted).toContain(`see ${HOST}/plain.txt)`);
    for (const secret of ['AKIDexample0001', '0123456789abcdef', 'tok%2Bsecret', 'AKIDx', 'ab12']) {
      expect(redacted).not.toContain(secret);
    }
  });

  it('still replaces the secrets it is given, raw and URL-encoded', () => {
    expect(redactText('key=se/cret+1 and se%2Fcret%2B1', ['se/cret+1'])).toBe('key=*** and ***');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: whatever the link looks like, no signature field's or token's value survives.

const MARK = 'SeCrEt';
/** A secret value: random text fenced by a marker that nothing else generated here contains. */
const secretValue = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('&', '=', '%', '+', ';', '#', '?', '/', ' ', 'é'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 24,
  })
  .map((inner) => `${MARK}${inner}${MARK}`);
const secretName = fc.constantFrom(
  'q-sign-algorithm',
  'q-ak',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
  'q-signature',
  'Q-Signature',
  'x-cos-security-token',
  'X-Cos-Security-Token',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'sig',
  'sign',
  'token',
);
const harmlessName = fc.constantFrom(
  'versionId',
  'response-content-disposition',
  'response-content-type',
  'x-cos-traffic-limit',
);
const plainText = fc
  .string({ maxLength: 16 })
  .filter((text) => !text.toLowerCase().includes(MARK.toLowerCase()) && !text.includes('*'));

/** How a secret value may appear in a URL. */
function forms(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    cosEncode(value),
    new URLSearchParams({ v: value }).toString().slice(2),
  ];
}

describe('redactUrl on generated links', () => {
  it('leaves no signature, token or credential value, keeps the harmless ones, stays one parsable line', () => {
    const pair = fc.oneof(
      fc.tuple(secretName, secretValue).map(([name, value]) => ({ name, value, secret: true })),
      fc.tuple(harmlessName, plainText).map(([name, value]) => ({ name, value, secret: false })),
    );
    fc.assert(
      fc.property(
        fc.array(plainText, { minLength: 1, maxLength: 3 }),
        fc.array(pair, { maxLength: 10 }),
        fc.option(secretValue, { nil: undefined }),
        fc.option(secretValue, { nil: undefined }),
        (segments, pairs, password, fragment) => {
          const authority = password === undefined ? '' : `user:${encodeURIComponent(password)}@`;
          const search = pairs.map(({ name, value }) => `${cosEncode(name)}=${cosEncode(value)}`).join('&');
          const url =
            `https://${authority}examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/` +
            `${segments.map(cosEncode).join('/')}${search === '' ? '' : `?${search}`}` +
            (fragment === undefined ? '' : `#${cosEncode(fragment)}`);
          const redacted = redactUrl(url);
          expect(redacted.toLowerCase()).not.toContain(MARK.toLowerCase());
          for (const { value, secret } of pairs) {
            if (secret) for (const form of forms(value)) expect(redacted).not.toContain(form);
            else expect(redacted).toContain(cosEncode(value));
          }
          expect(hasControlCharacter(redacted)).toBe(false);
          expect(() => new URL(redacted)).not.toThrow();
          expect(redactUrl(redacted)).toBe(redacted);
          expect(redacted.split(REDACTED).length - 1).toBe(
            pairs.filter((p) => p.secret).length + (password === undefined ? 0 : 1),
          );
        },
      ),
      { seed: 0x11c, numRuns: 500 },
    );
  });

  it('leaves no secret when a link sits anywhere inside a message', () => {
    fc.assert(
      fc.property(
        plainText,
        fc.array(fc.tuple(secretName, secretValue), { minLength: 1, maxLength: 5 }),
        plainText,
        (before, pairs, after) => {
          const link = `${HOST}/k.bin?${pairs.map(([name, value]) => `${name}=${cosEncode(value)}`).join('&')}`;
          const redacted = redactText(`${before} ${link} ${after}`);
          expect(redacted.toLowerCase()).not.toContain(MARK.toLowerCase());
        },
      ),
      { seed: 0x11d, numRuns: 300 },
    );
  });
});
