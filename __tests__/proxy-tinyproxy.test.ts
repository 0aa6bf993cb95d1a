// Downloads through a real proxy (Debian's tinyproxy, started here on 127.0.0.1): plain http as
// absolute-form requests, https through CONNECT to the emulator behind TLS with a throwaway CA,
// the CA trusted through `extraCa` (the ca-cert input) and refused without it, NO_PROXY, and proxy
// credentials that never reach a message. The COS host name is the real-looking virtual-host name
// of the emulator's bucket, which nothing here can resolve: the request succeeds only if it went
// through the proxy (see helpers/proxy-stack.ts for how tinyproxy's side reaches the emulator).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net, { type LookupFunction } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CaCertificates, parseCaCert } from '../src/config/ca-cert.js';
import type { TransportOptions } from '../src/cos/dispatcher.js';
import { proxySettingsFrom } from '../src/cos/proxy.js';
import { StsClient, stsCredentials } from '../src/cos/sts.js';
import {
  type Emulator,
  exampleWebIdentityToken,
  type StsEmulator,
  startStsEmulator,
} from '../src/emulator/index.js';
import {
  emulatorWithKeys,
  optionsFor,
  recordingLogger,
  removeFolder,
  run,
  tempFolder,
} from './helpers/env.js';
import {
  makeTestCa,
  type NameHop,
  startNameHop,
  startTinyproxy,
  startTlsFront,
  type TestCa,
  type Tinyproxy,
  type TlsFront,
} from './helpers/proxy-stack.js';

const BUCKET = 'examplebucket-1250000000';
const REGION = 'ap-guangzhou';
const HOST = `${BUCKET}.cos.${REGION}.myqcloud.com`;
const STS_HOST = 'sts.tencentcloudapi.com';
const PROXY_USER = 'cos-proxy-user';
// tinyproxy's config takes no '@' or ':' in a password; percent-encoding is covered by proxy-resolve.test.ts.
const PROXY_PASSWORD = 'pr0xy-pass_word-never-shown';
const BODY = 'bytes that crossed a proxy\n'.repeat(1000);

let folder: string;
let emulator: Emulator;
let ca: TestCa;
let extraCa: CaCertificates;
let front: TlsFront;
let sts: StsEmulator;
let stsFront: TlsFront;
let hop: NameHop;
let proxy: Tinyproxy;
let authProxy: Tinyproxy;

const emulatorPort = () => Number(new URL(emulator.url).port);

beforeAll(async () => {
  folder = await tempFolder();
  sts = await startStsEmulator();
  emulator = await emulatorWithKeys({ bucket: BUCKET, region: REGION, temporaryCredentials: sts.issued });
  emulator.put('dir/file.txt', BODY);
  ca = await makeTestCa(folder, [HOST, STS_HOST]);
  const parsed = parseCaCert(ca.caPath, { cwd: folder, readFile: (p) => readFileSync(p) });
  if (parsed === undefined) throw new Error('the test CA did not parse');
  extraCa = parsed;
  front = await startTlsFront(emulatorPort(), ca);
  stsFront = await startTlsFront(Number(new URL(sts.url).port), ca);
  // Port 80 of the COS host is the emulator itself; any other port is its TLS front. STS is on 443.
  hop = await startNameHop((name, port) => {
    if (name === STS_HOST) return port === 443 ? stsFront.port : undefined;
    if (name !== HOST) return undefined;
    return port === 80 ? emulatorPort() : front.port;
  });
  proxy = await startTinyproxy({ folder, upstreamSocks: hop.port });
  authProxy = await startTinyproxy({
    folder,
    upstreamSocks: hop.port,
    basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD },
  });
});

afterAll(async () => {
  await proxy?.close();
  await authProxy?.close();
  await hop?.close();
  await front?.close();
  await stsFront?.close();
  await emulator?.close();
  await sts?.close();
  await removeFolder(folder);
});

let work: string;
beforeEach(async () => {
  await removeFolder(work ?? path.join(folder, 'none'));
  work = await tempFolder();
  emulator.stats.reset();
  hop.asked.length = 0;
});

/** Downloads dir/file.txt from `endpoint` with these transport options. */
async function fetchFile(
  endpoint: string,
  transport: TransportOptions,
  retries = '0',
  logger = recordingLogger(),
  timeout = '5s',
) {
  const options = optionsFor(emulator, work, {
    endpoint,
    region: REGION,
    key: 'dir/file.txt',
    destination: 'file.txt',
    retries,
    timeout,
  });
  const result = await run(options, { client: { transport, retryBaseMs: 1 }, logger });
  return { result, body: await readFile(path.join(work, 'file.txt'), 'utf8') };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error: unknown) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected a failure');
}

function newRequests(p: Tinyproxy, before: number): string[] {
  return p.requests().slice(before);
}

describe('through tinyproxy', () => {
  it('plain http: absolute-form requests, each one logged by the proxy and seen by the emulator', async () => {
    const before = proxy.requests().length;
    const { body } = await fetchFile(`http://${HOST}`, {
      proxy: proxySettingsFrom({ HTTP_PROXY: proxy.url, HTTPS_PROXY: 'http://127.0.0.1:9' }),
    });
    expect(body).toBe(BODY);
    const logged = newRequests(proxy, before);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged).toContain(`GET http://${HOST}/dir/file.txt`);
    expect(logged.every((line) => line.startsWith('GET ') || line.startsWith('HEAD '))).toBe(true);
    expect(logged.every((line) => line.includes(`http://${HOST}/`))).toBe(true);
    expect(emulator.stats.requests.length).toBe(logged.length);
    expect(emulator.stats.requests.every((r) => r.headers.host === HOST && r.headers.via !== undefined)).toBe(
      true,
    );
    expect(hop.asked.every((asked) => asked === `${HOST}:80`)).toBe(true);
  });

  it('https: one CONNECT tunnel to the COS host, TLS to the emulator trusted through the extra CA', async () => {
    const before = proxy.requests().length;
    const { body, result } = await fetchFile(`https://{bucket}.cos.{region}.myqcloud.com`, {
      proxy: proxySettingsFrom({ HTTPS_PROXY: proxy.url }),
      extraCa,
    });
    expect(body).toBe(BODY);
    expect(result.object).toMatchObject({ status: 'downloaded', length: BODY.length });
    const logged = newRequests(proxy, before);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((line) => line === `CONNECT ${HOST}:443`)).toBe(true);
    expect(hop.asked).toEqual(logged.map(() => `${HOST}:443`));
    // Inside the tunnel the emulator sees the client's own requests: no Via, no proxy header.
    expect(emulator.stats.requests.length).toBeGreaterThan(0);
    expect(emulator.stats.requests.every((r) => r.headers.via === undefined)).toBe(true);
  });

  it('https without the extra CA: refused in one line naming the host and ca-cert, before any request', async () => {
    const message = await failure(
      fetchFile(`https://${HOST}`, { proxy: proxySettingsFrom({ https_proxy: proxy.url }) }, '3'),
    );
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      new RegExp(
        `^HEAD 'dir/file\\.txt': the TLS certificate of https://${HOST.replaceAll('.', '\\.')} could not be verified \\(.*(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)\\. Certificate checks cannot be turned off\\. Fix: .*'ca-cert'`,
      ),
    );
    expect(emulator.stats.requests).toEqual([]);
  });

  it('NO_PROXY: a listed host goes direct (the proxy logs nothing), an unlisted one through the proxy', async () => {
    const lookup: LookupFunction = (hostname, options, callback) => {
      if (hostname !== HOST) return callback(new Error(`unknown test host ${hostname}`), '', 4);
      if (options.all)
        return (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: '127.0.0.1', family: 4 },
        ]);
      return callback(null, '127.0.0.1', 4);
    };
    const endpoint = `https://${HOST}:${front.port}`;
    for (const noProxy of ['.myqcloud.com', `${HOST}:${front.port}`, 'cos.ap-guangzhou.myqcloud.com', '*']) {
      const before = proxy.requests().length;
      const { body } = await fetchFile(endpoint, {
        proxy: proxySettingsFrom({ HTTPS_PROXY: proxy.url, NO_PROXY: `example.org, ${noProxy}` }),
        extraCa,
        lookup,
      });
      expect(body).toBe(BODY);
      expect(newRequests(proxy, before)).toEqual([]);
      await removeFolder(work);
      work = await tempFolder();
    }
    const before = proxy.requests().length;
    await fetchFile(endpoint, {
      proxy: proxySettingsFrom({ HTTPS_PROXY: proxy.url, NO_PROXY: `.ap-guangzhou.myqcloud.com:443` }),
      extraCa,
      lookup,
    });
    expect(newRequests(proxy, before).every((line) => line === `CONNECT ${HOST}:${front.port}`)).toBe(true);
    expect(newRequests(proxy, before).length).toBeGreaterThan(0);
  });
});

describe('the idle timeout through the proxy', () => {
  afterEach(() => emulator.clearFaults());

  // A stalled body must fail after `timeout`, not after undici's default 300 s (the test's 30 s
  // limit would catch that), whether the proxy forwards the request or tunnels it.
  it.each(['http', 'https'])('%s: a body that stalls fails on the timeout input', async (scheme) => {
    emulator.setFaults({ stallAfterBytes: 1000 });
    const variable = scheme === 'http' ? 'HTTP_PROXY' : 'HTTPS_PROXY';
    const message = await failure(
      fetchFile(
        `${scheme}://${HOST}`,
        { proxy: proxySettingsFrom({ [variable]: proxy.url }), extraCa },
        '0',
        recordingLogger(),
        '1s',
      ),
    );
    expect(message).toMatch(/timeout|timed out/i);
  });

  it.each(['http', 'https'])('%s: a proxy that accepts the connection and never answers', async (scheme) => {
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
      const variable = scheme === 'http' ? 'HTTP_PROXY' : 'HTTPS_PROXY';
      const message = await failure(
        fetchFile(
          `${scheme}://${HOST}`,
          { proxy: proxySettingsFrom({ [variable]: url }) },
          '0',
          recordingLogger(),
          '1s',
        ),
      );
      expect(message).toMatch(
        new RegExp(
          `^HEAD 'dir/file\\.txt' through the proxy ${url.replaceAll('.', '\\.')} \\(from ${variable}\\): no answer within the timeout \\(UND_ERR_HEADERS_TIMEOUT\\)`,
        ),
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('proxy credentials', () => {
  const password = PROXY_PASSWORD;
  const withCredentials = (pass: string) =>
    authProxy.url.replace('http://', `http://${encodeURIComponent(PROXY_USER)}:${encodeURIComponent(pass)}@`);
  const token = (pass: string) => Buffer.from(`${PROXY_USER}:${pass}`).toString('base64');

  function expectNoSecret(message: string, pass: string): void {
    expect(message).not.toContain(pass);
    expect(message).not.toContain(encodeURIComponent(pass));
    expect(message).not.toContain(token(pass));
    expect(message).not.toContain(PROXY_USER);
    expect(message).not.toContain('\n');
  }

  it('are sent as Proxy-Authorization, and tinyproxy does not pass them on', async () => {
    for (const endpoint of [`http://${HOST}`, `https://${HOST}`]) {
      const before = authProxy.requests().length;
      const { body } = await fetchFile(endpoint, {
        proxy: proxySettingsFrom({
          HTTP_PROXY: withCredentials(password),
          HTTPS_PROXY: withCredentials(password),
        }),
        extraCa,
      });
      expect(body).toBe(BODY);
      expect(newRequests(authProxy, before).length).toBeGreaterThan(0);
      await removeFolder(work);
      work = await tempFolder();
    }
    expect(emulator.stats.requests.length).toBeGreaterThan(0);
    expect(emulator.stats.requests.every((r) => r.headers['proxy-authorization'] === undefined)).toBe(true);
  });

  it.each(['http', 'https'])(
    'wrong ones over %s: one line naming the proxy (hidden) and the variable, no secret',
    async (scheme) => {
      const wrong = `wrong-${password}`;
      const variable = scheme === 'http' ? 'HTTP_PROXY' : 'HTTPS_PROXY';
      const message = await failure(
        fetchFile(
          `${scheme}://${HOST}`,
          { proxy: proxySettingsFrom({ [variable]: withCredentials(wrong) }), extraCa },
          '3',
        ),
      );
      expect(message).toMatch(
        new RegExp(
          `^HEAD 'dir/file\\.txt' through the proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${authProxy.port} \\(from ${variable}\\): ` +
            `the proxy refused the credentials in ${variable} \\(40[17] [A-Za-z ]+\\)\\. Fix: put the proxy's user and password in ${variable}`,
        ),
      );
      expectNoSecret(message, wrong);
      expect(emulator.stats.requests).toEqual([]);
    },
  );

  it('none, where the proxy wants them: one line saying so', async () => {
    const message = await failure(
      fetchFile(`https://${HOST}`, { proxy: proxySettingsFrom({ HTTPS_PROXY: authProxy.url }) }),
    );
    expect(message).toMatch(
      /through the proxy http:\/\/127\.0\.0\.1:\d+ \(from HTTPS_PROXY\): the proxy wants credentials \(407/,
    );
  });

  it('an unreachable proxy: retried, then one line naming it without its password', async () => {
    const logger = recordingLogger();
    const message = await failure(
      fetchFile(
        `https://${HOST}`,
        { proxy: proxySettingsFrom({ HTTPS_PROXY: `http://${PROXY_USER}:${password}@127.0.0.1:9` }) },
        '2',
        logger,
      ),
    );
    expect(message).toMatch(
      /^HEAD 'dir\/file\.txt' through the proxy http:\/\/\*\*\*@127\.0\.0\.1:9 \(from HTTPS_PROXY\): the proxy cannot be reached \(ECONNREFUSED\)/,
    );
    expectNoSecret(message, password);
    const retries = logger.lines.filter((line) =>
      /attempt \d\/3 failed \(.*the proxy cannot be reached/.test(line),
    );
    expect(retries).toHaveLength(2);
    for (const line of logger.lines) expectNoSecret(line, password);
  });
});

describe('STS through the proxy', () => {
  it('keyless credentials: STS at its real host name, then COS, each through a CONNECT tunnel, on the extra CA', async () => {
    const transport: TransportOptions = { proxy: proxySettingsFrom({ HTTPS_PROXY: proxy.url }), extraCa };
    const client = new StsClient({
      endpoint: `https://${STS_HOST}`,
      region: REGION,
      timeoutMs: 5000,
      transport,
    });
    try {
      const before = proxy.requests().length;
      const credentials = stsCredentials({
        sts: client,
        role: {
          roleArn: 'qcs::cam::uin/1250000000:roleName/ci',
          providerId: 'github-actions',
          roleSessionName: 'proxied',
          durationSeconds: 3600,
        },
        webIdentityToken: async () => exampleWebIdentityToken(),
      });
      const options = optionsFor(emulator, work, {
        endpoint: 'https://{bucket}.cos.{region}.myqcloud.com',
        region: REGION,
        key: 'dir/file.txt',
        destination: 'file.txt',
      });
      // The provider, not the static keys of optionsFor, signs every request.
      const result = await run(options, { client: { transport, credentials } });
      expect(result.object.status).toBe('downloaded');
      expect(await readFile(path.join(work, 'file.txt'), 'utf8')).toBe(BODY);
      const logged = newRequests(proxy, before);
      expect(logged[0]).toBe(`CONNECT ${STS_HOST}:443`);
      expect(logged.length).toBeGreaterThan(1);
      expect(logged.slice(1).every((line) => line === `CONNECT ${HOST}:443`)).toBe(true);
      expect(sts.requests).toHaveLength(1);
      const [issued] = sts.credentials;
      expect(emulator.stats.requests.length).toBeGreaterThan(0);
      expect(
        emulator.stats.requests.every((r) => r.authorization?.includes(`q-ak=${issued?.secretId}`)),
      ).toBe(true);
    } finally {
      await client.close();
    }
  });
});
