// A lock per destination: a file in the state folder naming the run that holds it. A second run
// waits a bounded time, saying so, then fails in one line; a lock left by a run that died (its
// process is gone, or the machine rebooted since) is taken over. See ADR 0007.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { asLocalFileError } from '../base/local-errors.js';
import type { Clock, Logger } from '../base/runtime.js';
import { ensureOwnFolder, readOwnFile } from './state.js';

const LOCK_FORMAT = 'cos-download-lock/1';
/** A lock whose text cannot be read as ours is given this long to be finished by its writer. */
const GARBLED_GRACE_MS = 10_000;
const POLL_MS = 250;

/** Who holds a lock. */
export interface LockOwner {
  readonly format: typeof LOCK_FORMAT;
  readonly pid: number;
  readonly host: string;
  /** Linux boot id: a lock from before a reboot is stale. */
  readonly boot?: string;
  /** Start time of the process (Linux clock ticks since boot): tells a reused pid apart. */
  readonly start?: string;
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
}

export interface HeldLock {
  readonly path: string;
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
  const boot = bootId();
  const start = procField(process.pid);
  return {
    format: LOCK_FORMAT,
    pid: process.pid,
    host: os.hostname(),
    ...(boot === undefined ? {} : { boot }),
    ...(start === undefined ? {} : { start }),
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
    if (code === 'EEXIST') return false;
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
  if ((await textOf(aside)) === staleText) {
    await unlink(aside).catch(() => {});
    return true;
  }
  await link(aside, lockPath).catch(() => {});
  await unlink(aside).catch(() => {});
  return false;
}

/** A lock file's text ('' for a link or an unreadable file); undefined when there is none. */
async function textOf(lockPath: string): Promise<string | undefined> {
  const read = await readOwnFile(lockPath);
  return read.kind === 'text' ? read.text : read.kind === 'absent' ? undefined : '';
}

function describeOwner(owner: LockOwner | undefined): string {
  if (owner === undefined) return 'a run whose lock file cannot be read';
  const where = owner.host === os.hostname() ? 'on this machine' : `on host '${owner.host}'`;
  return `pid ${owner.pid} ${where}, since ${owner.since}`;
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
    if (await tryCreate(lockPath, text, me.nonce)) return heldLock(lockPath, text);
    const info = await lstat(lockPath).catch(() => undefined);
    if (info === undefined) continue;
    const found = await textOf(lockPath);
    if (found === undefined) continue;
    const owner = parseOwner(found);
    // A lock we write is always a regular file: a link (or anything else) there was planted.
    // Unreadable text in a regular file may be a lock being written: it gets a moment.
    const stale = !info.isFile()
      ? true
      : owner === undefined
        ? clock.now() - info.mtimeMs > GARBLED_GRACE_MS
        : isStale(owner);
    if (stale) {
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
          `${options.waitMs > 0 ? `; waited ${Math.round(options.waitMs / 1000)} s` : ''}. ` +
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

function heldLock(lockPath: string, text: string): HeldLock {
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      if ((await textOf(lockPath)) === text) await unlink(lockPath).catch(() => {});
    },
  };
}
