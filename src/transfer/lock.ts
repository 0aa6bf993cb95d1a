// A lock per destination: a file in the state folder naming the run that holds it. A second run
// waits a bounded time, saying so, then fails in one line; a lock left by a run that died (its
// process is gone, or the machine rebooted since) is taken over. See ADR 0007.
import { randomBytes } from 'node:crypto';
import { readFileSync, type Stats } from 'node:fs';
import { link, lstat, lutimes, mkdir, open, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { asLocalFileError } from '../base/local-errors.js';
import type { Clock, Logger } from '../base/runtime.js';
import { quoteValue } from '../base/text.js';
import { type TransferDeps, withSignal } from './settings.js';
import { ensureOwnFolder, type ObjectState, objectState, readOwnFile, removeIfEmpty } from './state.js';

const LOCK_FORMAT = 'cos-download-lock/1';
/** How often a holder refreshes its lock's mtime. */
const HEARTBEAT_MS = 5_000;
/** A lock whose holder cannot be checked is stale once it has not been refreshed for this long. */
const STALE_AFTER_MS = 30_000;
const POLL_MS = 250;

/** Who holds a lock. */
export interface LockOwner {
  readonly format: typeof LOCK_FORMAT;
  readonly pid: number;
  readonly host: string;
  /** Linux boot id: a lock from before a reboot is stale. */
  readonly boot?: string | undefined;
  /** Start time of the process (Linux clock ticks since boot): tells a reused pid apart. */
  readonly start?: string | undefined;
  readonly since: string;
  readonly nonce: string;
}

export interface LockOptions {
  /** What the lock guards, for messages: the destination file or folder. */
  readonly what: string;
  /** How long to wait for another run; 0 fails at once. */
  readonly waitMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** How often the holder refreshes and checks its lock (default 5 s). */
  readonly heartbeatMs?: number;
}

export interface HeldLock {
  readonly path: string;
  /** Aborted if another run took the lock over (this run must stop writing). */
  readonly lost: AbortSignal;
  /** Writes the lock again as ours (after a restore put something else at its path). */
  reclaim(): Promise<void>;
  /** Removes the lock if it is still ours; never throws. */
  release(): Promise<void>;
}

/** Another live run holds the lock past the wait. */
export class LockedError extends Error {
  override readonly name = 'LockedError';
  constructor(message: string) {
    super(message);
  }
}

function procField(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state …`: comm may hold spaces and parentheses, so count from the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function currentOwner(now: number): LockOwner {
  return {
    format: LOCK_FORMAT,
    pid: process.pid,
    host: os.hostname(),
    boot: bootId(),
    start: procField(process.pid),
    since: new Date(now).toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
}

export function parseOwner(text: string): LockOwner | undefined {
  try {
    const d = JSON.parse(text) as Record<string, unknown>;
    if (
      d.format !== LOCK_FORMAT ||
      !Number.isSafeInteger(d.pid) ||
      typeof d.host !== 'string' ||
      typeof d.since !== 'string' ||
      typeof d.nonce !== 'string' ||
      (d.boot !== undefined && typeof d.boot !== 'string') ||
      (d.start !== undefined && typeof d.start !== 'string')
    ) {
      return undefined;
    }
    return d as unknown as LockOwner;
  } catch {
    return undefined;
  }
}

/** True when the run that wrote `owner` is certainly gone; a lock from another host is never stale. */
export function isStale(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return false;
  const boot = bootId();
  if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error: unknown) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const start = procField(owner.pid);
  return owner.start !== undefined && start !== undefined && start !== owner.start;
}

/** Creates `lockPath` holding `text`, atomically and exclusively: false when it exists. */
async function tryCreate(lockPath: string, text: string, nonce: string): Promise<boolean> {
  // Written whole under a name of our own, then hard-linked into place: a reader never sees half a
  // lock, and link() fails, without following anything, when the name exists.
  const draft = `${lockPath}.${nonce}.new`;
  const handle = await open(draft, 'wx', 0o600).catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw await asLocalFileError(error, lockPath);
    // The run that held the lock removed the state folder as it left: make it again.
    await ensureOwnFolder(path.dirname(lockPath));
    return undefined;
  });
  if (handle === undefined) return false;
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
  try {
    await link(draft, lockPath);
    return true;
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    // EEXIST: a lock is there. ENOENT: another run tidied our draft away as it took the lock.
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    // A file system without hard links: an exclusive create, then the text.
    const direct = await open(lockPath, 'wx', 0o600).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw e;
    });
    if (direct === undefined) return false;
    try {
      await direct.writeFile(text, 'utf8');
    } finally {
      await direct.close();
    }
    return true;
  } finally {
    await unlink(draft).catch(() => {});
  }
}

/**
 * Moves a stale lock out of the way, but only the very lock that was judged stale: if another run
 * replaced it meanwhile, it is put back.
 */
async function takeOver(lockPath: string, staleText: string, nonce: string): Promise<boolean> {
  const aside = `${lockPath}.${nonce}.stale`;
  try {
    await rename(lockPath, aside);
  } catch {
    return false;
  }
  const moved = await textOf(aside);
  if (moved === staleText) {
    // A planted folder or link goes too; rm never follows a link.
    await rm(aside, { recursive: true, force: true }).catch(() => {});
    return true;
  }
  await link(aside, lockPath).catch(() => {});
  await rm(aside, { force: true }).catch(() => {});
  return false;
}

/** A lock file's text ('' for a link or an unreadable file); undefined when there is none. */
async function textOf(lockPath: string): Promise<string | undefined> {
  const read = await readOwnFile(lockPath);
  return read.kind === 'text' ? read.text : read.kind === 'absent' ? undefined : '';
}

function describeOwner(owner: LockOwner | undefined): string {
  if (owner === undefined) return 'a run whose lock file cannot be read';
  const where = owner.host === os.hostname() ? 'on this machine' : `on host ${quoteValue(owner.host)}`;
  return `pid ${owner.pid} ${where}, since ${quoteValue(owner.since)}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}

/**
 * Whether a lock found at the path is stale. A lock we write is always a regular file, so anything
 * else there was planted. One whose holder can be checked (this machine) is stale when the holder
 * is gone; one that cannot be checked (another host, or text that is not a lock) when its holder
 * has not refreshed it for STALE_AFTER_MS: a live holder touches it every HEARTBEAT_MS.
 */
function staleLock(info: Stats, owner: LockOwner | undefined, now: number): boolean {
  if (!info.isFile()) return true;
  if (owner !== undefined && owner.host === os.hostname()) return isStale(owner);
  return now - info.mtimeMs > STALE_AFTER_MS;
}

/** Takes the lock at `lockPath` (its folder must exist), waiting up to `waitMs` for another run. */
export async function acquireLock(lockPath: string, options: LockOptions): Promise<HeldLock> {
  const { clock, logger } = options;
  const me = currentOwner(clock.now());
  const text = `${JSON.stringify(me)}\n`;
  const deadline = clock.now() + options.waitMs;
  let announced = false;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryCreate(lockPath, text, me.nonce)) {
      await removeDrafts(lockPath);
      return heldLock(lockPath, text, me.nonce, options);
    }
    const info = await lstat(lockPath).catch(() => undefined);
    if (info === undefined) continue;
    const found = await textOf(lockPath);
    if (found === undefined) continue;
    const owner = parseOwner(found);
    if (staleLock(info, owner, clock.now())) {
      if (await takeOver(lockPath, found, me.nonce)) {
        logger.info(
          `Took over the lock on ${options.what} left by ${describeOwner(owner)}, which is no longer running`,
        );
      }
      continue;
    }
    const left = deadline - clock.now();
    if (left <= 0) {
      throw new LockedError(
        `Another cos-download run (${describeOwner(owner)}) is writing ${options.what}` +
          `${options.waitMs > 0 ? `; waited ${seconds(options.waitMs)} s` : ''}. ` +
          `Fix: let it finish, then run again; if no such run exists, remove '${lockPath}'`,
      );
    }
    if (!announced) {
      announced = true;
      logger.info(
        `Waiting up to ${Math.ceil(left / 1000)} s for another cos-download run (${describeOwner(owner)}) writing ${options.what}`,
      );
    }
    await clock.sleep(Math.min(POLL_MS, left), options.signal);
  }
}

/** Removes drafts and moved-aside locks that killed runs left beside `lockPath`. */
async function removeDrafts(lockPath: string): Promise<void> {
  const base = path.basename(lockPath);
  const names = await readdir(path.dirname(lockPath)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(`${base}.`) && /\.[0-9a-f]+\.(new|stale)$/.test(name)) {
      await rm(path.join(path.dirname(lockPath), name), { recursive: true, force: true }).catch(() => {});
    }
  }
}

function heldLock(lockPath: string, text: string, nonce: string, options: LockOptions): HeldLock {
  const what = options.what;
  let released = false;
  const lost = new AbortController();
  // The holder refreshes its lock, so another host can tell it is alive, and checks that the lock
  // is still its own: a run that lost it stops rather than write beside another.
  const heartbeat = setInterval(() => {
    void (async () => {
      if ((await textOf(lockPath)) !== text) {
        lost.abort(new LockedError(`The lock on ${what} was taken over by another run; this run stopped`));
        return;
      }
      const now = new Date();
      await lutimes(lockPath, now, now).catch(() => {});
    })();
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  return {
    path: lockPath,
    lost: lost.signal,
    async reclaim() {
      // Written whole under our draft name, then renamed over whatever is at the path.
      const draft = `${lockPath}.${nonce}.new`;
      await writeFile(draft, text, { flag: 'wx', mode: 0o600 }).catch(async () => {
        await rm(draft, { recursive: true, force: true });
        await writeFile(draft, text, { flag: 'wx', mode: 0o600 });
      });
      await rename(draft, lockPath);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if ((await textOf(lockPath)) === text) await unlink(lockPath).catch(() => {});
    },
  };
}

/**
 * Runs `work` for the one file `destination` with its folder and state folder made and its lock
 * held, so no other run writes that file meanwhile. `work` gets the state and deps whose signal also
 * stops it if another run takes the lock over; the lock is released and an emptied state folder
 * removed whatever happens.
 */
export async function withDestinationLock<T>(
  destination: string,
  deps: TransferDeps,
  work: (state: ObjectState, locked: TransferDeps) => Promise<T>,
): Promise<T> {
  const state = objectState(destination);
  const folder = path.dirname(destination);
  await mkdir(folder, { recursive: true }).catch(async (error: unknown) => {
    throw await asLocalFileError(error, folder);
  });
  await ensureOwnFolder(state.folder, destination);
  const lock = await acquireLock(state.lock, {
    what: `'${destination}'`,
    waitMs: deps.lockWaitMs,
    clock: deps.clock,
    logger: deps.logger,
    signal: deps.signal,
  });
  try {
    return await work(state, withSignal(deps, lock.lost));
  } finally {
    await lock.release();
    await removeIfEmpty(state.folder);
  }
}
