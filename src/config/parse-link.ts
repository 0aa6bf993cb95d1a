// The `url` input: a link to download (a presigned COS URL, or any ranged-HTTPS URL). A link is a
// credential, so no message shows it, only its origin and path; and it names its server, object,
// version and signature itself, so the inputs that would say those again are refused by name.
import { isLoopbackHost } from './endpoint.js';
import { InputError } from './errors.js';
import { differsFromDefault, type InputName, type InputReader } from './inputs.js';
import type { LinkTarget } from './options.js';
import { parseConditions } from './parse-target.js';
import { ROLE_INPUTS } from './role.js';

/** Inputs a link makes pointless, each with why; refused when set to anything but their default. */
const NOT_WITH_URL: ReadonlyArray<readonly [readonly InputName[], string, string]> = [
  [
    ['bucket', 'region', 'endpoint', 'accelerate'],
    'a link names its server and object itself',
    "remove it, or download by 'key' instead of 'url'",
  ],
  [
    ['secret-id', 'secret-key', 'session-token', ...ROLE_INPUTS, 'web-identity-token-file'],
    'a link carries its own signature: no credentials sign its requests',
    'remove it',
  ],
  [
    [
      'version-id',
      'response-cache-control',
      'response-content-disposition',
      'response-content-encoding',
      'response-content-language',
      'response-content-type',
      'response-expires',
    ],
    "belongs in a link's signed query, so it cannot be added to one",
    "make the link with it (e.g. 'cos-download presign --version-id …'), or remove it",
  ],
  [['range'], 'a link downloads the whole object', "remove 'range', or download by 'key'"],
  [
    ['include', 'exclude', 'shard', 'delete', 'allow-empty', 'cache', 'cache-key'],
    "applies only to a folder mirror ('prefix'), not to a link ('url')",
    'remove it',
  ],
  [['expires'], "is for making a link ('presign'), not for downloading one", "remove 'expires'"],
];

/** The link as a message may name it: origin and path, never the query (its signature). */
function shownLink(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Why `name` (a decoded path segment) cannot be a file's name; undefined when it can. */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'its path ends in "/", so it names no file';
  if (name === '.' || name === '..') return `its file name '${name}' cannot name a file`;
  if (/[/\\]/.test(name)) return "its file name holds a '/' or '\\' (encoded in the link)";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters refused
  if (/[\x00-\x1f\x7f]/.test(name)) return 'its file name holds NUL or a control character';
  if (Buffer.byteLength(name) > 255) return 'its file name is longer than 255 bytes';
  return undefined;
}

/** Parses `url` and refuses the inputs that do not go with a link. Throws InputError naming the input. */
export function parseLinkTarget(get: InputReader, text: string): LinkTarget {
  const value = text.trim();
  const fail = (rule: string, fix: string, subject?: string): InputError =>
    new InputError({ input: 'url', value, rule, fix, subject });
  // The URL parser drops tabs and line breaks silently: a link broken across lines is refused instead.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters refused
  if (/[\s\x00-\x1f\x7f]/.test(value)) {
    throw fail(
      'holds a space, line break or control character',
      'copy the link again, whole and on one line (spaces in a link are written %20)',
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail('is not an absolute URL', "copy the whole link, from 'https://' on");
  }
  const subject = `Input 'url' (the link to ${shownLink(url)})`;
  if (url.protocol === 'http:' && !isLoopbackHost(url)) {
    throw fail(
      'uses plain http, which would send the link (a credential) and the bytes unencrypted',
      'use the https:// form of the link (plain http only to this machine)',
      subject,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail(`must be an https:// URL, not ${url.protocol}`, "copy the link from 'https://' on", subject);
  }
  if (url.username !== '' || url.password !== '') {
    throw fail(
      'holds user:password@ credentials, which would end up in logs and process lists',
      "remove 'user:password@': a link carries its own signature",
      `Input 'url' (a link to ${url.protocol}//${url.host}${url.pathname})`,
    );
  }
  if (value.includes('#')) {
    throw fail(
      "has a fragment ('#…'), which is never sent to the server",
      "copy the link again; a '#' in an object key is written %23",
      subject,
    );
  }
  for (const [names, rule, fix] of NOT_WITH_URL) {
    for (const name of names) {
      const given = get(name);
      if (!differsFromDefault(name, given)) continue;
      throw new InputError({ input: name, value: given, rule: `${rule} ('url' is set)`, fix });
    }
  }
  const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  let fileName: string | undefined;
  let problem: string | undefined;
  try {
    fileName = decodeURIComponent(segment);
    problem = fileNameProblem(fileName);
  } catch {
    problem = 'its file name is not valid percent-encoding';
  }
  return {
    kind: 'link',
    url: value,
    name: shownLink(url),
    ...(problem === undefined && fileName !== undefined ? { fileName } : { fileNameProblem: problem ?? '' }),
    conditions: parseConditions(get),
  };
}
