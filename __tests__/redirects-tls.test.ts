// Transport policy: redirects are never followed (a 3xx fails, naming where it pointed, and the
// target never hears from us), certificates are always verified (no input, flag or environment
// variable turns that off), and plain http to another machine draws a one-line warning.
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeCore } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { main, parseArgs } from '../src/cli/main.js';
import { plainHttpWarning } from '../src/config/endpoint.js';
import { INPUTS } from '../src/config/inputs.js';
import { listFolder, removeFolder, SECRET_ID, SECRET_KEY, tempFolder } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

const exec = promisify(execFile);
const repository = path.resolve(import.meta.dirname, '..');

const ctx = useEmulator();
const servers: Server[] = [];
/** Requests the redirect target received: must stay 0. */
let baitRequests = 0;
let bait: Server;
/** Answers HEAD like COS and every GET with `redirectStatus` to the bait server. */
let redirector: Server;
let redirectStatus = 302;

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function listen<T extends Server>(server: T): Promise<T> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  ctx.emulator.put('file.txt', 'the real body');
  bait = await listen(
    createServer((_req, res) => {
      baitRequests++;
      res.end('a body from somewhere else');
    }),
  );
  redirector = await listen(
    createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, {
          etag: '"0123456789abcdef0123456789abcdef"',
          'content-length': 13,
          'last-modified': new Date(0).toUTCString(),
        });
        res.end();
        return;
      }
      res.writeHead(redirectStatus, {
        location: `${urlOf(bait)}/elsewhere/file.txt?sign=abc&q-signature=0123`,
        'content-length': 0,
      });
      res.end();
    }),
  );
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
beforeEach(() => {
  baitRequests = 0;
});

async function cli(args: readonly string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY, ...env },
    cwd: ctx.work,
  });
  return { code, stdout, stderr };
}

/** CLI flags that download file.txt from the emulator. */
function fileFromEmulator(): string[] {
  return ['--bucket', ctx.emulator.bucket, '--endpoint', ctx.emulator.url, '--key', 'file.txt'];
}

describe('redirects are never followed', () => {
  it('a COS 302 (origin-pull) fails, names the target without its query, and the target gets no request', async () => {
    ctx.emulator.setFaults({ redirect: { location: `${urlOf(bait)}/origin/file.txt?sign=abc&t=1` } });
    const result = await cli(fileFromEmulator());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `302 .*COS redirected to ${urlOf(bait)}/origin/file\\.txt \\(an origin-pull redirect.*never followed`,
      ),
    );
    expect(result.stderr).not.toContain('sign=');
    expect(baitRequests).toBe(0);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it.each([301, 302, 303, 307, 308])(
    '%i to another loopback port that would serve a body: not followed',
    async (status) => {
      redirectStatus = status;
      const core = fakeCore({
        bucket: 'b-1250000000',
        endpoint: urlOf(redirector),
        key: 'file.txt',
        retries: '3',
      });
      await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
      expect(core.failed).toMatch(
        new RegExp(`GET 'file.txt': ${status} .*redirected to ${urlOf(bait)}/elsewhere/file\\.txt `),
      );
      expect(core.failed).toMatch(/never followed/);
      expect(core.failed).not.toMatch(/q-signature|sign=/);
      expect(baitRequests).toBe(0);
      expect(core.outputs).toEqual({});
      expect(await listFolder(ctx.work)).toEqual([]);
    },
  );
});

describe('TLS verification cannot be turned off', () => {
  it('no input or flag weakens TLS (ca-cert, the one about it, only adds trust), and the CLI refuses the usual spellings of "insecure"', async () => {
    // CAs trusted besides the default ones; never instead of them, never "accept anything".
    const addsTrust = new Set(['ca-cert']);
    for (const [name, spec] of Object.entries(INPUTS)) {
      expect(name).not.toMatch(/insecure|verify|reject|unauthori|skip|no-?check|disable|ignore/i);
      expect(spec.description).not.toMatch(/insecure|unauthori|disable|ignore|without (verif|check)/i);
      if (addsTrust.has(name)) {
        expect(spec.description).toMatch(/extra CAs to trust besides the system ones/);
        expect(spec.description).not.toMatch(/instead|replac/i);
        continue;
      }
      expect(name).not.toMatch(/tls|ssl|cert|ca-?file/i);
      expect(spec.description).not.toMatch(/\btls\b|\bssl\b|certificate/i);
    }
    for (const flag of [
      '--insecure',
      '--no-verify-ssl',
      '--tls-reject-unauthorized=false',
      '--skip-tls-verify',
      '--ca-file=x',
      '--no-ca-cert',
    ]) {
      expect(() => parseArgs([flag])).toThrow(/unknown option/);
      const result = await cli([...fileFromEmulator(), flag]);
      expect(result.code).toBe(2);
    }
  });

  it('nothing in src/ creates a connection with verification off (a complement to the test below)', async () => {
    const offenders: string[] = [];
    for (const entry of await readdir(path.join(repository, 'src'), {
      recursive: true,
      withFileTypes: true,
    })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = path.join(entry.parentPath, entry.name);
      const text = await readFile(file, 'utf8');
      if (
        /rejectUnauthorized\s*:\s*(false|0|!)|checkServerIdentity|process\.env\.NODE_TLS|maxRedirections|redirect\s*:\s*['"]follow/.test(
          text,
        )
      ) {
        offenders.push(path.relative(repository, file));
      }
    }
    expect(offenders).toEqual([]);
  });

  it('a self-signed certificate is refused, even with NODE_TLS_REJECT_UNAUTHORIZED=0, before any request', async () => {
    const pem = await selfSigned();
    let requests = 0;
    const https = await listen(
      createHttpsServer({ key: pem.key, cert: pem.cert }, (_req, res) => {
        requests++;
        res.end();
      }),
    );
    const endpoint = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const result = await cli([
        '--bucket',
        ctx.emulator.bucket,
        '--endpoint',
        endpoint,
        '--key',
        'file.txt',
        '--retries',
        '2',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
        new RegExp(
          `^cos-download: HEAD 'file.txt': the TLS certificate of ${endpoint} could not be verified \\(.*DEPTH_ZERO_SELF_SIGNED_CERT\\)\\. ` +
            'Certificate checks cannot be turned off\\. Fix: .*NODE_EXTRA_CA_CERTS',
        ),
      );
      // Not retried: a certificate does not get better by asking again.
      expect(result.stderr).not.toMatch(/attempt \d/);
      // A ca-cert of another CA adds that CA and nothing else: still refused.
      const other = await selfSigned();
      await writeFile(path.join(ctx.work, 'other-ca.pem'), other.cert);
      const withOther = await cli([
        ...['--bucket', ctx.emulator.bucket, '--endpoint', endpoint, '--key', 'file.txt'],
        ...['--ca-cert', 'other-ca.pem', '--retries', '2'],
      ]);
      expect(withOther.code).toBe(1);
      expect(withOther.stderr).toMatch(/could not be verified \(.*DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
    expect(requests).toBe(0);
    expect(await listFolder(ctx.work)).toEqual(['other-ca.pem']);
  });
});

/** A throwaway key and self-signed certificate for 127.0.0.1, made by openssl in a folder of its own. */
async function selfSigned(): Promise<{ key: string; cert: string }> {
  const folder = await tempFolder();
  try {
    const key = path.join(folder, 'key.pem');
    const cert = path.join(folder, 'cert.pem');
    await exec(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...[
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
      ],
      { timeout: 10_000 },
    );
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
  } finally {
    await removeFolder(folder);
  }
}

describe('plain http to another machine draws a warning', () => {
  it.each([
    ['http://cos.example.com', 'http://cos.example.com', 'https://cos.example.com'],
    ['http://10.0.0.5:9000', 'http://10.0.0.5:9000', 'https://10.0.0.5:9000'],
    ['http://minio.internal:9000/cos', 'http://minio.internal:9000', 'https://minio.internal:9000/cos'],
    ['http://[2001:db8::1]:80', 'http://[2001:db8::1]', 'https://[2001:db8::1]'],
  ])('%s warns in one line, naming it and suggesting https', (endpoint, shown, secure) => {
    const warning = plainHttpWarning(endpoint) ?? '';
    expect(warning).toContain(`The endpoint ${shown} uses plain http`);
    expect(warning).toContain(`Use https (e.g. '${secure}')`);
    expect(warning).not.toContain('\n');
  });

  it.each([
    'https://b-1250000000.cos.ap-guangzhou.myqcloud.com',
    'http://127.0.0.1:9000',
    'http://127.8.9.10',
    'http://localhost:9000',
    'http://LOCALHOST',
    'http://[::1]:9000',
  ])('%s: no warning', (endpoint) => {
    expect(plainHttpWarning(endpoint)).toBeUndefined();
  });

  // Non-loopback connections are refused by the test setup: the warning must come before the attempt.
  it('the action warns before it connects', async () => {
    const core = fakeCore({
      bucket: 'b-1250000000',
      endpoint: 'http://cos.example.com',
      key: 'file.txt',
      retries: '0',
    });
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    const warnings = core.logs.filter((line) => line.startsWith('warning: '));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: The endpoint http:\/\/cos\.example\.com uses plain http.*Use https/),
    ]);
    expect(core.failed).toMatch(/cos\.example\.com/);
  });

  it('the CLI warns on stderr before it connects, also with --json', async () => {
    for (const json of [[], ['--json']]) {
      const result = await cli([
        '--bucket',
        'b-1250000000',
        '--endpoint',
        'http://cos.example.com:8080',
        '--key',
        'f',
        '--retries',
        '0',
        ...json,
      ]);
      expect(result.code).toBe(1);
      const lines = result.stderr.split('\n');
      expect(lines[0]).toMatch(
        /^warning: The endpoint http:\/\/cos\.example\.com:8080 uses plain http.*Use https \(e\.g\. 'https:\/\/cos\.example\.com:8080'\)/,
      );
      expect(lines.filter((line) => line.includes('plain http'))).toHaveLength(1);
    }
  });

  it.each(['emulator', 'http://localhost:1', 'http://[::1]:1'])(
    '%s: the action and the CLI do not warn',
    async (endpoint) => {
      const url = endpoint === 'emulator' ? ctx.emulator.url : endpoint;
      const core = fakeCore({
        bucket: ctx.emulator.bucket,
        endpoint: url,
        key: 'file.txt',
        retries: '0',
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
      });
      await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
      expect(core.logs.filter((line) => line.includes('plain http'))).toEqual([]);
      if (endpoint === 'emulator') expect(core.failed).toBeUndefined();
      else expect(core.failed).toBeDefined();
      const result = await cli([
        '--bucket',
        ctx.emulator.bucket,
        '--endpoint',
        url,
        '--key',
        'file.txt',
        '--retries',
        '0',
        '--destination',
        'again.txt',
      ]);
      expect(result.stderr).not.toContain('plain http');
      expect(result.code).toBe(endpoint === 'emulator' ? 0 : 1);
    },
  );
});
