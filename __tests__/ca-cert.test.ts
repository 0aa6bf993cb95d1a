// The ca-cert input: real files in a temp folder, every refusal one line naming the input, the path,
// the rule and the fix; the CAs it yields are added to Node's default ones, never instead of them.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getCACertificates } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRegularFile } from '../src/base/file-system.js';
import { CA_FILE_MAX_BYTES, parseCaCert, parseCaPem } from '../src/config/ca-cert.js';
import { InputError } from '../src/config/errors.js';
import { parseOptions } from '../src/config/parse.js';
import { trustedCertificates } from '../src/cos/dispatcher.js';
import { removeFolder, tempFolder } from './helpers/env.js';
import { makeTestCa, type TestCa } from './helpers/proxy-stack.js';

const exec = promisify(execFile);
let folder: string;
let ca: TestCa;

beforeAll(async () => {
  folder = await tempFolder();
  ca = await makeTestCa(folder, 'cos.test.internal');
});
afterAll(async () => {
  await removeFolder(folder);
});

const read = (p: string) => readFileSync(p);

/** The InputError parseCaCert throws for `value` (written with `content` first, when given). */
async function refusal(value: string, content?: string | Uint8Array): Promise<InputError> {
  if (content !== undefined) await writeFile(path.join(folder, value), content);
  try {
    parseCaCert(value, { cwd: folder, readFile: read });
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
}

describe('parseCaCert', () => {
  it('not set, or blank: undefined', () => {
    expect(parseCaCert(undefined, { cwd: folder, readFile: read })).toBeUndefined();
    expect(parseCaCert('  ', { cwd: folder, readFile: read })).toBeUndefined();
  });

  it('reads the file relative to cwd and keeps every certificate, in order', async () => {
    const other = await makeTestCa(await mkdirIn('second'), 'other.test');
    await writeFile(path.join(folder, 'bundle.pem'), `# corporate roots\r\n${ca.caPem}\r\n${other.caPem}`);
    const parsed = parseCaCert('bundle.pem', { cwd: folder, readFile: read });
    expect(parsed?.path).toBe('bundle.pem');
    expect(parsed?.pems.map((pem) => new X509Certificate(pem).fingerprint256)).toEqual([
      new X509Certificate(ca.caPem).fingerprint256,
      new X509Certificate(other.caPem).fingerprint256,
    ]);
    expect(parsed?.pems.every((pem) => !pem.includes('\r'))).toBe(true);
  });

  it.each([
    ['missing.pem', undefined, /the file does not exist/],
    ['.', undefined, /this is a folder, not a file/],
    ['empty.pem', '', /the file is empty/],
    ['notes.txt', 'just some text\n', /holds no PEM certificate/],
    [
      'key.pem',
      'KEY',
      /holds a private key; a CA file holds certificates only\. Fix: give the CA certificate alone/,
    ],
    ['cut.pem', 'CUT', /has no '-----END CERTIFICATE-----' line/],
    [
      'garbage.pem',
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
      /certificate 1 of 1 is not a valid X\.509 certificate/,
    ],
    [
      'ca.der',
      'DER',
      /binary \(DER\) certificate, not PEM\. Fix: convert it: openssl x509 -inform der -in 'ca\.der' -out ca\.pem/,
    ],
  ])('%s: one line naming ca-cert and the path', async (name, content, rule) => {
    const text =
      content === 'KEY'
        ? `${ca.caPem}${ca.key}`
        : content === 'CUT'
          ? `${ca.caPem}-----BEGIN CERTIFICATE-----\nMIIB\n`
          : content === 'DER'
            ? derOf(ca.caPem)
            : content;
    const error = await refusal(name, text);
    expect(error.input).toBe('ca-cert');
    expect(error.message).toMatch(new RegExp(`^Input 'ca-cert' = '${name.replace('.', '\\.')}': `));
    expect(error.message).toMatch(rule);
    expect(error.message).toMatch(/\. Fix: .+\.$/);
    expect(error.message).not.toContain('\n');
    // A private key in the wrong file is never echoed.
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  it('a file larger than any CA bundle is refused unread further', () => {
    const big = Buffer.alloc(CA_FILE_MAX_BYTES + 1, 0x41);
    expect(() => parseCaPem(big, 'big.pem')).toThrow(
      /^Input 'ca-cert' = 'big\.pem': the file holds \d+ bytes, more than any CA bundle/,
    );
  });

  it('a path with a line break is refused before reading', () => {
    let reads = 0;
    expect(() =>
      parseCaCert('ca.pem\nx', {
        cwd: folder,
        readFile: () => {
          reads++;
          return '';
        },
      }),
    ).toThrow(/^Input 'ca-cert' = 'ca\.pem\\nx': a path must not hold line breaks/);
    expect(reads).toBe(0);
  });

  it('an unreadable file names the error code', () => {
    const error = (() => {
      try {
        parseCaCert('locked.pem', {
          cwd: folder,
          readFile: () => {
            throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          },
        });
      } catch (caught: unknown) {
        return caught as InputError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error.message).toMatch(
      /^Input 'ca-cert' = 'locked\.pem': the file cannot be read \(permission denied\)\. Fix: give the path of a PEM file/,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('the extra CAs are added to the default roots', () => {
  it('trustedCertificates: every default CA, then the extra ones', async () => {
    const extra = parseCaPem(await readFile(ca.caPath), 'ca.pem');
    const defaults = getCACertificates('default');
    const trusted = trustedCertificates(extra) ?? [];
    expect(defaults.length).toBeGreaterThan(50);
    expect(trusted.slice(0, defaults.length)).toEqual(defaults);
    expect(trusted.slice(defaults.length)).toEqual(extra.pems);
  });

  it('no extra CAs: undefined, so Node keeps its own default', () => {
    expect(trustedCertificates(undefined)).toBeUndefined();
  });
});

async function mkdirIn(name: string): Promise<string> {
  const dir = path.join(folder, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('the edges read ca-cert with readRegularFile', () => {
  const context = (cwd: string) => ({ cwd, env: {}, isDirectory: () => false, readFile: readRegularFile });
  const base = { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', key: 'a.bin' };

  it('parseOptions: Options.caCert from the file, relative to cwd, deep-frozen', async () => {
    await writeFile(path.join(folder, 'corp.pem'), ca.caPem);
    const options = parseOptions({ ...base, 'ca-cert': 'corp.pem' }, context(folder));
    expect(options.caCert).toEqual({
      path: 'corp.pem',
      pems: [`${ca.caPem.replace(/\r\n/g, '\n').trimEnd()}\n`],
    });
    expect(Object.isFrozen(options.caCert?.pems)).toBe(true);
  });

  it.each([
    [
      'a FIFO (which would block a plain read forever)',
      'fifo',
      'this is not a regular file (a device, a pipe or a socket)',
    ],
    ['a device', '/dev/zero', 'this is not a regular file (a device, a pipe or a socket)'],
    ['a folder', 'a-folder', 'this is a folder, not a file'],
    [
      'a file larger than any bundle',
      'huge.pem',
      `the file is larger than any CA bundle (at most ${CA_FILE_MAX_BYTES} bytes)`,
    ],
  ])('%s: refused before it is read', async (_, name, rule) => {
    await mkdirIn('a-folder');
    await writeFile(path.join(folder, 'huge.pem'), Buffer.alloc(CA_FILE_MAX_BYTES + 1, 0x41));
    if (!existsSync(path.join(folder, 'fifo'))) await exec('mkfifo', [path.join(folder, 'fifo')]);
    const error = (() => {
      try {
        parseOptions({ ...base, 'ca-cert': name }, context(folder));
      } catch (caught: unknown) {
        return caught as InputError;
      }
      throw new Error('expected a refusal');
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      `Input 'ca-cert' = '${name}': ${rule}. Fix: give the path of a PEM file of CA certificates ('-----BEGIN CERTIFICATE-----' blocks), e.g. 'certs/corp-root.pem'.`,
    );
  });
});
