// A real proxy for tests: Debian's tinyproxy on 127.0.0.1, in the foreground, with a generated
// config in a temp folder. The host names clients ask it for are real-looking COS names that no
// resolver here knows (tests run offline, and /etc/hosts is not ours), so tinyproxy forwards every
// connection to an upstream SOCKS5 hop in this process, which receives the name (SOCKS5 carries
// names, not addresses) and maps it to the local server standing in for that host. tinyproxy still
// does all the proxying the client sees: CONNECT tunnels, absolute-form requests, Basic auth, 407s.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const exec = promisify(execFile);

async function listen<T extends net.Server>(server: T): Promise<T> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function portOf(server: net.Server): number {
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
}

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

export interface NameHop {
  readonly port: number;
  /** Every name:port tinyproxy asked for, in order. */
  readonly asked: string[];
  close(): Promise<void>;
}

/**
 * A SOCKS5 server (no authentication, CONNECT only) that connects `name:port` to the local port
 * `route` gives, and refuses names it does not know (reply 4, host unreachable).
 */
export async function startNameHop(
  route: (name: string, port: number) => number | undefined,
): Promise<NameHop> {
  const asked: string[] = [];
  const server = net.createServer((client) => {
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'request' | 'piping' = 'greeting';
    client.on('error', () => client.destroy());
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + (buffer[1] ?? 0)) return;
        if (buffer[0] !== 5) return void client.destroy();
        buffer = buffer.subarray(2 + (buffer[1] ?? 0));
        client.write(Buffer.from([5, 0]));
        stage = 'request';
      }
      if (stage === 'request') {
        if (buffer.length < 5) return;
        if (buffer[0] !== 5 || buffer[1] !== 1 || buffer[3] !== 3) {
          client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const length = buffer[4] ?? 0;
        if (buffer.length < 5 + length + 2) return;
        const name = buffer.subarray(5, 5 + length).toString('latin1');
        const port = buffer.readUInt16BE(5 + length);
        const rest = buffer.subarray(5 + length + 2);
        stage = 'piping';
        client.off('data', onData);
        asked.push(`${name}:${port}`);
        const target = route(name, port);
        if (target === undefined) {
          client.end(Buffer.from([5, 4, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const upstream = net.connect(target, '127.0.0.1', () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          if (rest.length > 0) upstream.write(rest);
          client.pipe(upstream);
          upstream.pipe(client);
        });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
      }
    };
    client.on('data', onData);
  });
  const sockets = track(server);
  await listen(server);
  return { port: portOf(server), asked, close: () => closeServer(server, sockets) };
}

export interface TlsFront {
  readonly port: number;
  close(): Promise<void>;
}

/** Terminates TLS with `key`/`cert` and passes the clear bytes to `127.0.0.1:target` (the emulator). */
export async function startTlsFront(target: number, pem: { key: string; cert: string }): Promise<TlsFront> {
  const server = tls.createServer({ key: pem.key, cert: pem.cert }, (clear) => {
    const upstream = net.connect(target, '127.0.0.1');
    clear.pipe(upstream);
    upstream.pipe(clear);
    clear.on('error', () => upstream.destroy());
    upstream.on('error', () => clear.destroy());
    clear.on('close', () => upstream.destroy());
  });
  server.on('tlsClientError', () => {});
  const sockets = track(server);
  await listen(server);
  return { port: portOf(server), close: () => closeServer(server, sockets) };
}

export interface Tinyproxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  readonly url: string;
  readonly port: number;
  /** The request lines tinyproxy logged: `GET http://host/key`, `CONNECT host:443`. */
  requests(): string[];
  /** Everything it wrote (for a failing test's message). */
  output(): string;
  close(): Promise<void>;
}

export interface TinyproxyOptions {
  /** Folder for the generated config. */
  readonly folder: string;
  /** Port of the SOCKS5 hop every connection goes through. */
  readonly upstreamSocks: number;
  readonly basicAuth?: { readonly user: string; readonly password: string };
}

async function freePort(): Promise<number> {
  const server = await listen(net.createServer());
  const port = portOf(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `tinyproxy -d` on a free port of 127.0.0.1; resolves once it accepts connections. */
export async function startTinyproxy(options: TinyproxyOptions): Promise<Tinyproxy> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = path.join(options.folder, `tinyproxy-${port}.conf`);
    await writeFile(
      config,
      [
        `Port ${port}`,
        'Listen 127.0.0.1',
        'Timeout 30',
        'MaxClients 64',
        'LogLevel Info',
        `Upstream socks5 127.0.0.1:${options.upstreamSocks}`,
        ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
        '',
      ].join('\n'),
    );
    const child = spawn('tinyproxy', ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const started = new Promise<boolean>((resolve) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Accepting connections')) resolve(true);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error: NodeJS.ErrnoException) => {
        output +=
          error.code === 'ENOENT'
            ? 'tinyproxy is not installed: apt-get install tinyproxy (the tests start it themselves)'
            : String(error);
        resolve(false);
      });
      child.once('exit', () => resolve(false));
    });
    if (await started) return tinyproxyHandle(child, port, () => output);
    if (attempt >= 3 || output.includes('not installed'))
      throw new Error(`tinyproxy did not start:\n${output}`);
  }
}

function tinyproxyHandle(child: ChildProcess, port: number, output: () => string): Tinyproxy {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output,
    requests: () =>
      [...output().matchAll(/Request \(file descriptor \d+\): (.+?) HTTP\/1\.[01]\r?$/gm)].map(
        (match) => match[1] ?? '',
      ),
    close: async () => {
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface TestCa {
  /** The CA's certificate (PEM) and where it is on disk. */
  readonly caPem: string;
  readonly caPath: string;
  /** A server key and certificate for the hosts, signed by the CA. */
  readonly key: string;
  readonly cert: string;
}

/**
 * A throwaway CA and a server certificate for `hosts` (names, or IPv4 literals such as `127.0.0.1`)
 * signed by it, made by openssl in `folder`.
 */
export async function makeTestCa(folder: string, hosts: string | readonly string[]): Promise<TestCa> {
  const names = typeof hosts === 'string' ? [hosts] : hosts;
  const file = (name: string) => path.join(folder, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
  await exec(
    'openssl',
    [
      ...['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem')],
      ...['-subj', '/CN=cos-download test CA'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    { timeout: 10_000 },
  );
  await exec(
    'openssl',
    [
      ...['req', '-x509', ...ec, '-keyout', file('server.key'), '-out', file('server.pem')],
      ...['-subj', `/CN=${names[0]}`, '-CA', file('ca.pem'), '-CAkey', file('ca.key')],
      ...[
        '-addext',
        `subjectAltName=${names.map((name) => (/^\d+(\.\d+){3}$/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',')}`,
      ],
      ...['-addext', 'basicConstraints=critical,CA:FALSE'],
      ...['-addext', 'extendedKeyUsage=serverAuth'],
    ],
    { timeout: 10_000 },
  );
  return {
    caPem: await readFile(file('ca.pem'), 'utf8'),
    caPath: file('ca.pem'),
    key: await readFile(file('server.key'), 'utf8'),
    cert: await readFile(file('server.pem'), 'utf8'),
  };
}
