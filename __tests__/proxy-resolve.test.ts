// Proxy resolution from the environment: a table of cases, each also checked against
// @actions/http-client (the rules the runner and @actions/cache apply), so the two cannot drift
// apart unnoticed. The only differences are listed, with the reason, in KNOWN_DIFFERENCES.
import { checkBypass, getProxyUrl } from '@actions/http-client/lib/proxy';
import { Agent, ProxyAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { CosClient } from '../src/cos/client.js';
import { createDispatcher } from '../src/cos/dispatcher.js';
import {
  bypassesProxy,
  isLoopbackHost,
  ProxyConfigError,
  proxyFor,
  proxySecrets,
  proxySettingsFrom,
  redactUrlCredentials,
} from '../src/cos/proxy.js';

type Env = Record<string, string>;

interface Case {
  readonly name: string;
  readonly env: Env;
  readonly target: string;
  /** The proxy origin expected, or undefined for a direct request. */
  readonly proxy: string | undefined;
}

const P = 'http://proxy.corp:3128';
const Q = 'http://other.corp:8080';

const CASES: readonly Case[] = [
  { name: 'nothing set', env: {}, target: 'https://cos.example.com/k', proxy: undefined },
  { name: 'HTTPS_PROXY for https', env: { HTTPS_PROXY: P }, target: 'https://cos.example.com', proxy: P },
  { name: 'https_proxy for https', env: { https_proxy: P }, target: 'https://cos.example.com', proxy: P },
  { name: 'lowercase wins', env: { https_proxy: P, HTTPS_PROXY: Q }, target: 'https://a.b', proxy: P },
  {
    name: 'empty lowercase falls back',
    env: { https_proxy: '', HTTPS_PROXY: Q },
    target: 'https://a.b',
    proxy: Q,
  },
  {
    name: 'HTTPS_PROXY is not for http',
    env: { HTTPS_PROXY: P },
    target: 'http://cos.example.com',
    proxy: undefined,
  },
  { name: 'HTTP_PROXY for http', env: { HTTP_PROXY: P }, target: 'http://cos.example.com', proxy: P },
  {
    name: 'http_proxy wins',
    env: { http_proxy: P, HTTP_PROXY: Q },
    target: 'http://cos.example.com',
    proxy: P,
  },
  { name: 'no fallback https → HTTP_PROXY', env: { HTTP_PROXY: P }, target: 'https://a.b', proxy: undefined },
  {
    name: 'https proxy URL',
    env: { HTTPS_PROXY: 'https://proxy.corp:8443' },
    target: 'https://a.b',
    proxy: 'https://proxy.corp:8443',
  },
  {
    name: 'default port dropped',
    env: { HTTPS_PROXY: 'http://proxy.corp:80' },
    target: 'https://a.b',
    proxy: 'http://proxy.corp',
  },
  {
    name: 'IP without scheme',
    env: { HTTPS_PROXY: '10.1.2.3:3128' },
    target: 'https://a.b',
    proxy: 'http://10.1.2.3:3128',
  },
  { name: 'path ignored', env: { HTTPS_PROXY: `${P}/some/path` }, target: 'https://a.b', proxy: P },
  { name: 'localhost direct', env: { HTTPS_PROXY: P }, target: 'https://localhost:9000', proxy: undefined },
  { name: 'LOCALHOST direct', env: { HTTP_PROXY: P }, target: 'http://LOCALHOST', proxy: undefined },
  { name: '127.0.0.1 direct', env: { HTTP_PROXY: P }, target: 'http://127.0.0.1:9000', proxy: undefined },
  { name: '127.8.9.10 direct', env: { HTTP_PROXY: P }, target: 'http://127.8.9.10', proxy: undefined },
  { name: '[::1] direct', env: { HTTP_PROXY: P }, target: 'http://[::1]:9000', proxy: undefined },
  { name: '[0:0:…:1] direct', env: { HTTP_PROXY: P }, target: 'http://[0:0:0:0:0:0:0:1]/', proxy: undefined },
  { name: 'a private address is proxied', env: { HTTP_PROXY: P }, target: 'http://10.0.0.5', proxy: P },
  {
    name: 'no_proxy exact',
    env: { HTTPS_PROXY: P, no_proxy: 'cos.example.com' },
    target: 'https://cos.example.com',
    proxy: undefined,
  },
  {
    name: 'no_proxy suffix',
    env: { HTTPS_PROXY: P, NO_PROXY: 'example.com' },
    target: 'https://b.cos.example.com',
    proxy: undefined,
  },
  {
    name: 'no_proxy not a bare suffix',
    env: { HTTPS_PROXY: P, NO_PROXY: 'example.com' },
    target: 'https://notexample.com',
    proxy: P,
  },
  {
    name: 'leading dot: subdomains',
    env: { HTTPS_PROXY: P, NO_PROXY: '.example.com' },
    target: 'https://a.example.com',
    proxy: undefined,
  },
  {
    name: 'leading dot: not the apex',
    env: { HTTPS_PROXY: P, NO_PROXY: '.example.com' },
    target: 'https://example.com',
    proxy: P,
  },
  {
    name: 'star',
    env: { HTTPS_PROXY: P, NO_PROXY: '*' },
    target: 'https://cos.example.com',
    proxy: undefined,
  },
  {
    name: 'star among others',
    env: { HTTPS_PROXY: P, NO_PROXY: 'a.b, *' },
    target: 'https://cos.example.com',
    proxy: undefined,
  },
  {
    name: '*.domain is no wildcard',
    env: { HTTPS_PROXY: P, NO_PROXY: '*.example.com' },
    target: 'https://a.example.com',
    proxy: P,
  },
  {
    name: 'host:port matches that port',
    env: { HTTPS_PROXY: P, NO_PROXY: 'example.com:8443' },
    target: 'https://example.com:8443',
    proxy: undefined,
  },
  {
    name: 'host:port not another',
    env: { HTTPS_PROXY: P, NO_PROXY: 'example.com:8443' },
    target: 'https://example.com',
    proxy: P,
  },
  {
    name: 'host:443 = the default port',
    env: { HTTPS_PROXY: P, NO_PROXY: 'example.com:443' },
    target: 'https://a.example.com',
    proxy: undefined,
  },
  {
    name: 'host:80 = http default',
    env: { HTTP_PROXY: P, NO_PROXY: 'example.com:80' },
    target: 'http://example.com',
    proxy: undefined,
  },
  {
    name: 'case and spaces',
    env: { HTTPS_PROXY: P, NO_PROXY: ' , Example.COM ,other' },
    target: 'https://A.example.com',
    proxy: undefined,
  },
  {
    name: 'no_proxy wins over NO_PROXY',
    env: { HTTPS_PROXY: P, no_proxy: 'a.b', NO_PROXY: 'example.com' },
    target: 'https://example.com',
    proxy: P,
  },
  {
    name: 'empty no_proxy falls back',
    env: { HTTPS_PROXY: P, no_proxy: '', NO_PROXY: 'example.com' },
    target: 'https://example.com',
    proxy: undefined,
  },
  {
    name: 'IPv4 entry',
    env: { HTTP_PROXY: P, NO_PROXY: '10.0.0.5' },
    target: 'http://10.0.0.5:9000',
    proxy: undefined,
  },
  {
    name: 'no CIDR ranges',
    env: { HTTP_PROXY: P, NO_PROXY: '10.0.0.0/8' },
    target: 'http://10.0.0.5',
    proxy: P,
  },
  {
    name: 'IPv6 entry, bracketed',
    env: { HTTP_PROXY: P, NO_PROXY: '[2001:db8::1]' },
    target: 'http://[2001:db8::1]:80/',
    proxy: undefined,
  },
  {
    name: 'a COS host',
    env: { HTTPS_PROXY: P, NO_PROXY: '.myqcloud.com' },
    target: 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com',
    proxy: undefined,
  },
];

/** Where we differ from http-client on purpose; each is a bug there (see src/cos/proxy.ts). */
const KNOWN_DIFFERENCES: readonly Case[] = [
  // http-client parses 'proxy.corp:3128' as a URL of scheme 'proxy.corp:' with no host: no proxy.
  {
    name: 'host:port without scheme',
    env: { HTTPS_PROXY: 'proxy.corp:3128' },
    target: 'https://a.b',
    proxy: P,
  },
  // http-client sends any host name starting with '127.' direct.
  { name: 'a DNS name starting 127.', env: { HTTPS_PROXY: P }, target: 'https://127.example.com', proxy: P },
];

function ours(c: Case): string | undefined {
  return proxyFor(c.target, proxySettingsFrom(c.env))?.origin;
}

/** What @actions/http-client would use (it reads process.env), as an origin. */
function httpClients(c: Case): string | undefined {
  const saved = { ...process.env };
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY']) {
    delete process.env[name];
  }
  Object.assign(process.env, c.env);
  try {
    const url = getProxyUrl(new URL(c.target));
    // http-client uses the proxy only when the URL has a host name.
    return url?.hostname ? `${url.protocol}//${url.host}` : undefined;
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

describe('proxy resolution', () => {
  it.each(CASES)('$name', (c) => {
    expect(ours(c)).toBe(c.proxy);
    expect(httpClients(c)).toBe(c.proxy);
  });

  it.each(KNOWN_DIFFERENCES)('known difference: $name', (c) => {
    expect(ours(c)).toBe(c.proxy);
    expect(httpClients(c)).not.toBe(c.proxy);
  });

  it('bypassesProxy agrees with checkBypass on every case', () => {
    for (const c of CASES) {
      const noProxy = proxySettingsFrom(c.env).noProxy;
      const saved = { no_proxy: process.env.no_proxy, NO_PROXY: process.env.NO_PROXY };
      delete process.env.no_proxy;
      delete process.env.NO_PROXY;
      if (c.env.no_proxy !== undefined) process.env.no_proxy = c.env.no_proxy;
      if (c.env.NO_PROXY !== undefined) process.env.NO_PROXY = c.env.NO_PROXY;
      try {
        expect(bypassesProxy(new URL(c.target), noProxy), c.name).toBe(checkBypass(new URL(c.target)));
      } finally {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    }
  });

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['127.example.com', false],
    ['localhost.example.com', false],
    ['128.0.0.1', false],
    ['[::2]', false],
  ])('isLoopbackHost(%s) = %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('proxy credentials are secrets', () => {
  it('are taken out of the origin, decoded into a Basic token, and hidden in the shown form', () => {
    const settings = proxySettingsFrom({ HTTPS_PROXY: 'http://alice:p%40ss%3Aw0rd@proxy.corp:3128' });
    const endpoint = proxyFor('https://a.b', settings);
    expect(endpoint).toEqual({
      origin: 'http://proxy.corp:3128',
      authorization: `Basic ${Buffer.from('alice:p@ss:w0rd').toString('base64')}`,
      shown: 'http://***@proxy.corp:3128',
      variable: 'HTTPS_PROXY',
      secrets: expect.arrayContaining(['p@ss:w0rd', 'p%40ss%3Aw0rd', 'alice:p@ss:w0rd']),
    });
    expect(proxySecrets(settings)).toContain(Buffer.from('alice:p@ss:w0rd').toString('base64'));
  });

  it('a user without a password still authenticates', () => {
    const endpoint = proxyFor('http://a.b', proxySettingsFrom({ HTTP_PROXY: 'http://bob@proxy:3128' }));
    expect(endpoint?.authorization).toBe(`Basic ${Buffer.from('bob:').toString('base64')}`);
    expect(endpoint?.shown).toBe('http://***@proxy:3128');
  });

  it.each([
    ['http://user:secret@proxy:1', 'http://***@proxy:1'],
    ['see http://user:secret@proxy:1/x and https://u:p@h', 'see http://***@proxy:1/x and https://***@h'],
    ['http://user:se@cret@proxy:1', 'http://***@proxy:1'],
    ['http://user:se/cret@proxy:1', 'http://***@proxy:1'],
    ['http://proxy:1/path', 'http://proxy:1/path'],
  ])('redactUrlCredentials(%s)', (text, shown) => {
    expect(redactUrlCredentials(text)).toBe(shown);
  });
});

describe('a bad proxy variable', () => {
  it.each([
    ['socks5://user:hunter22@proxy:1080', /only http:\/\/ and https:\/\/ proxies are supported, not socks5:/],
    ['http://user:hunter22@proxy:99999', /not a URL/],
    ['http://user:hunter22/x@proxy:1', /not a URL/],
    ['http://us%ZZer:hunter22@proxy:1', /percent-encoding/],
    ['http://proxy .corp:1', /spaces or control characters/],
  ])('%s fails in one line naming the variable, without the password', (value, rule) => {
    const settings = proxySettingsFrom({ HTTPS_PROXY: value });
    let error: unknown;
    try {
      proxyFor('https://cos.example.com', settings);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProxyConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Environment variable HTTPS_PROXY = '.*': /);
    expect(message).toMatch(rule);
    expect(message).toMatch(/Fix: set it to the proxy's URL/);
    expect(message).not.toContain('hunter22');
    expect(message).not.toContain('\n');
  });

  it('only fails a request that needs it', () => {
    const settings = proxySettingsFrom({ HTTP_PROXY: 'socks5://proxy:1080', NO_PROXY: 'internal' });
    expect(proxyFor('https://cos.example.com', settings)).toBeUndefined();
    expect(proxyFor('http://127.0.0.1:9000', settings)).toBeUndefined();
    expect(proxyFor('http://cos.internal', settings)).toBeUndefined();
    expect(() => proxyFor('http://cos.example.com', settings)).toThrow(ProxyConfigError);
  });
});

describe('createDispatcher', () => {
  const settings = proxySettingsFrom({
    HTTPS_PROXY: 'http://u:p4ssw0rd@proxy.corp:3128',
    NO_PROXY: 'internal',
  });

  it.each([
    ['https://b-1250000000.cos.ap-guangzhou.myqcloud.com', ProxyAgent, 'http://***@proxy.corp:3128'],
    ['https://cos.internal', Agent, undefined],
    ['http://127.0.0.1:9000', Agent, undefined],
    ['http://cos.example.com', Agent, undefined],
  ])('%s → %o', async (origin, kind, shown) => {
    const route = createDispatcher(origin, { timeoutMs: 1000, proxy: settings });
    try {
      expect(route.dispatcher).toBeInstanceOf(kind);
      expect(route.proxy?.shown).toBe(shown);
    } finally {
      await route.dispatcher.close();
    }
  });

  it('a bad proxy variable fails when the client is made, before any request', () => {
    const connection = {
      bucket: 'b-1250000000',
      endpoint: 'https://cos.example.com',
      retries: 0,
      timeoutMs: 1000,
    };
    const transport = { proxy: proxySettingsFrom({ https_proxy: 'socks5://u:p4ssw0rd@proxy:1080' }) };
    expect(() => new CosClient(connection, { transport })).toThrow(
      /^Environment variable https_proxy = 'socks5:\/\/\*\*\*@proxy:1080': only http:\/\/ and https:\/\/ proxies/,
    );
  });
});
