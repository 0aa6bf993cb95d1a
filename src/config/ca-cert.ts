// The `ca-cert` input: a PEM file of extra CA certificates (a TLS-inspecting proxy's, a private
// endpoint's), trusted in addition to Node's default roots, never instead of them. The file is read
// through an injected reader; everything else here is pure.
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type { CaCertificates } from '../base/request.js';
import { hasControlCharacter } from '../base/text.js';
import { InputError } from './errors.js';

export type { CaCertificates };

export interface CaCertDeps {
  /** Absolute path the input is relative to (the workspace, or the CLI's working folder). */
  readonly cwd: string;
  /** Reads a whole file; throws the file system's error (ENOENT, EACCES, EISDIR…). */
  readonly readFile: (absolutePath: string) => Uint8Array | string;
}

/** Larger than any CA bundle (the Mozilla roots take about 220 KiB). */
export const CA_FILE_MAX_BYTES = 4 * 1024 * 1024;

const FIX =
  "give the path of a PEM file of CA certificates ('-----BEGIN CERTIFICATE-----' blocks), e.g. 'certs/corp-root.pem'";
const BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

function caError(value: string, rule: string, fix = FIX, cause?: unknown): InputError {
  return new InputError({ input: 'ca-cert', value, rule, fix, cause });
}

function readRule(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'the file cannot be read (permission denied)';
    case 'EISDIR':
      return 'this is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOTREG':
      return 'this is not a regular file (a device, a pipe or a socket)';
    case 'EFBIG':
      return `the file is larger than any CA bundle (at most ${CA_FILE_MAX_BYTES} bytes)`;
    default:
      return `the file cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}

/** The extra CAs the input names, or undefined when it is not set. Throws InputError. */
export function parseCaCert(value: string | undefined, deps: CaCertDeps): CaCertificates | undefined {
  const given = value?.trim();
  if (given === undefined || given === '') return undefined;
  if (hasControlCharacter(given))
    throw caError(given, 'a path must not hold line breaks or control characters');
  let content: Uint8Array | string;
  try {
    content = deps.readFile(path.resolve(deps.cwd, given));
  } catch (error: unknown) {
    throw caError(given, readRule(error), FIX, error);
  }
  return parseCaPem(content, given);
}

/** The certificates of a CA file's content. Pure. Throws InputError naming `ca-cert` and `source`. */
export function parseCaPem(content: Uint8Array | string, source: string): CaCertificates {
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
  if (size > CA_FILE_MAX_BYTES) {
    throw caError(
      source,
      `the file holds ${size} bytes, more than any CA bundle (at most ${CA_FILE_MAX_BYTES})`,
    );
  }
  if (size === 0) throw caError(source, 'the file is empty');
  const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  // A DER certificate is an ASN.1 SEQUENCE: 0x30 then a long-form length.
  if (bytes[0] === 0x30 && (bytes[1] === 0x82 || bytes[1] === 0x81)) {
    throw caError(
      source,
      'the file is a binary (DER) certificate, not PEM',
      `convert it: openssl x509 -inform der -in '${source}' -out ca.pem, and give ca.pem`,
    );
  }
  const text = bytes.toString('utf8');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw caError(
      source,
      'the file holds a private key; a CA file holds certificates only',
      'give the CA certificate alone (never a key), and replace that key if the file was shared',
    );
  }
  const pems = text.match(BLOCK) ?? [];
  const begins = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (begins === 0) {
    throw caError(source, "the file holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line)");
  }
  if (pems.length !== begins) {
    throw caError(source, `a certificate block has no '-----END CERTIFICATE-----' line`, FIX);
  }
  pems.forEach((pem, index) => {
    try {
      new X509Certificate(pem);
    } catch (error: unknown) {
      throw caError(
        source,
        `certificate ${index + 1} of ${pems.length} is not a valid X.509 certificate (${error instanceof Error ? error.message : String(error)})`,
        FIX,
        error,
      );
    }
  });
  return { path: source, pems: pems.map((pem) => `${pem.replace(/\r\n/g, '\n')}\n`) };
}
