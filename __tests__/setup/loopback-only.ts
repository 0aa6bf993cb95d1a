// Tests may only talk to servers on this machine: any connection to another address fails at once.
import net from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

function hostOf(args: unknown[]): string | undefined {
  const [first, second] = args;
  if (Array.isArray(first)) return hostOf(first);
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; path?: string };
    if (options.path !== undefined) return undefined; // a unix socket (vitest's own workers)
    return options.host ?? 'localhost';
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof second === 'string' ? second : 'localhost';
  }
  return undefined;
}

/** The connect options object of `args`, if there is one. */
function optionsOf(args: unknown[]): { lookup?: unknown } | undefined {
  const [first] = args;
  if (Array.isArray(first)) return optionsOf(first);
  return typeof first === 'object' && first !== null ? (first as { lookup?: unknown }) : undefined;
}

type Lookup = (
  hostname: string,
  options: object,
  callback: (error: Error | null, address: string | { address: string }[], family?: number) => void,
) => void;

/** `lookup`, refusing every address it yields that is not loopback. */
function loopbackOnly(lookup: Lookup): Lookup {
  return (hostname, options, callback) =>
    lookup(hostname, options, (error, address, family) => {
      if (error) return callback(error, address, family);
      const all = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
      const outside = all.find((ip) => !LOOPBACK.test(ip));
      if (outside !== undefined) {
        return callback(
          new Error(`tests may only connect to loopback, not ${hostname} (${outside})`),
          address,
        );
      }
      return callback(null, address, family);
    });
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const host = hostOf(args);
  if (host !== undefined && !LOOPBACK.test(host)) {
    // A host name with a test's own resolver (a `lookup` option) may connect if it resolves to loopback.
    const options = optionsOf(args);
    if (typeof options?.lookup !== 'function') {
      throw new Error(`tests may only connect to loopback, not ${host}`);
    }
    options.lookup = loopbackOnly(options.lookup as Lookup);
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;
