// The manifest read and written as a stream — one entry per line, sorted by key — so a mirror of a
// million keys never holds it in memory.
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { asLocalFileError } from '../base/local-errors.js';
import { compareUtf8 } from '../cos/list.js';
import { parseJsonObject } from './checkpoint.js';
import {
  headerLine,
  LEGACY_FORMAT,
  LEGACY_MANIFEST_NAME,
  MANIFEST_FORMAT,
  type ManifestEntry,
  type ManifestScope,
  trusted,
} from './manifest.js';
import { manifestPath, openNoFollow } from './state.js';
import { createExclusive, syncDirectory } from './temp-file.js';

/** A manifest not in the one-entry-per-line form is read whole, up to this size. */
const WHOLE_DOCUMENT_MAX = 64 * 1024 * 1024;

/**
 * The previous manifest, one entry at a time in key order, for a merge join with the listing (also
 * in key order). A manifest of another bucket or prefix, or none, reads as empty. A legacy manifest,
 * or one not in the one-entry-per-line form, is read whole (it is small, or was planted) and sorted.
 * An entry out of key order ends what is trusted of the file.
 */
export class ManifestReader {
  readonly #lines: AsyncIterator<unknown> | undefined;
  readonly #handle: FileHandle | undefined;
  readonly #hash: Hash;
  readonly legacyPath: string | undefined;
  #peeked: ManifestEntry | undefined;
  #done: boolean;
  #lastKey: string | undefined;

  private constructor(
    source: { lines?: AsyncIterator<unknown> | undefined; handle?: FileHandle; legacyPath?: string },
    hash: Hash,
  ) {
    this.#lines = source.lines;
    this.#handle = source.handle;
    this.#hash = hash;
    this.legacyPath = source.legacyPath;
    this.#done = source.lines === undefined;
  }

  static empty(): ManifestReader {
    return new ManifestReader({}, createHash('sha256'));
  }

  /** Opens the manifest of the mirror at `root` for `scope`, or a legacy one when there is none. */
  static async open(root: string, scope: ManifestScope): Promise<ManifestReader> {
    const current = await openManifest(manifestPath(root), scope, false);
    if (current !== 'absent') return current ?? ManifestReader.empty();
    const legacyPath = path.join(root, LEGACY_MANIFEST_NAME);
    const legacy = await openManifest(legacyPath, scope, true);
    return legacy === 'absent' || legacy === undefined
      ? ManifestReader.empty()
      : legacy.#asLegacy(legacyPath);
  }

  /** Opens a manifest file written by ManifestWriter (for `scope`); an absent or unreadable one reads as empty. */
  static async openFile(file: string, scope: ManifestScope): Promise<ManifestReader> {
    const reader = await openManifest(file, scope, false);
    return reader === 'absent' || reader === undefined ? ManifestReader.empty() : reader;
  }

  /** @internal */
  static fromSource(
    source: { lines?: AsyncIterator<unknown>; handle?: FileHandle },
    hash: Hash,
  ): ManifestReader {
    return new ManifestReader(source, hash);
  }

  #asLegacy(legacyPath: string): ManifestReader {
    return new ManifestReader({ lines: this.#lines, legacyPath }, this.#hash);
  }

  async #peek(): Promise<ManifestEntry | undefined> {
    while (this.#peeked === undefined && !this.#done && this.#lines !== undefined) {
      const next = await this.#lines.next();
      if (next.done) {
        this.#done = true;
        break;
      }
      const entry = next.value as ManifestEntry | undefined;
      if (entry === undefined) continue;
      if (this.#lastKey !== undefined && compareUtf8(this.#lastKey, entry.key) >= 0) {
        this.#done = true;
        break;
      }
      this.#lastKey = entry.key;
      this.#peeked = entry;
    }
    return this.#peeked;
  }

  /** Hands every entry before `key` to `passed` (keys the listing no longer holds), and returns `key`'s own. */
  async upTo(key: string, passed: (entry: ManifestEntry) => void): Promise<ManifestEntry | undefined> {
    for (;;) {
      const entry = await this.#peek();
      if (entry === undefined) return undefined;
      const order = compareUtf8(entry.key, key);
      if (order > 0) return undefined;
      this.#peeked = undefined;
      if (order === 0) return entry;
      passed(entry);
    }
  }

  /** Every entry not yet read. */
  async *rest(): AsyncGenerator<ManifestEntry> {
    for (let entry = await this.#peek(); entry !== undefined; entry = await this.#peek()) {
      this.#peeked = undefined;
      yield entry;
    }
  }

  /** SHA-256 of the manifest's text (once all of it was read): an unchanged manifest is not rewritten. */
  digest(): string {
    return this.#hash.copy().digest('hex');
  }

  async close(): Promise<void> {
    await this.#handle?.close().catch(() => {});
  }
}

/** Opens one manifest file: 'absent', undefined (unreadable, or another mirror's), or a reader. */
async function openManifest(
  file: string,
  scope: ManifestScope,
  legacy: boolean,
): Promise<ManifestReader | 'absent' | undefined> {
  let handle: FileHandle;
  try {
    handle = await openNoFollow(file, 'r');
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : undefined;
  }
  const hash = createHash('sha256');
  const lines = handle.readLines({ encoding: 'utf8' })[Symbol.asyncIterator]();
  const first = await lines.next().catch(() => ({ done: true, value: undefined }));
  const head = first.done === true ? undefined : (first.value as string);
  if (!legacy && head === headerLine(scope)) {
    hash.update(`${head}\n`);
    return ManifestReader.fromSource({ lines: entryLines(lines, hash), handle }, hash);
  }
  // Not the line form: a legacy manifest, another mirror's, or a document written otherwise.
  await handle.close();
  const whole = await readWhole(file);
  if (whole === undefined) return undefined;
  const d = parseJsonObject(whole);
  const format = legacy ? LEGACY_FORMAT : MANIFEST_FORMAT;
  if (
    d?.format !== format ||
    d.bucket !== scope.bucket ||
    d.prefix !== scope.prefix ||
    !Array.isArray(d.objects)
  ) {
    return undefined;
  }
  const entries = d.objects
    .map((value) => trusted(value, legacy))
    .filter((entry): entry is ManifestEntry => entry !== undefined)
    .sort((a, b) => compareUtf8(a.key, b.key));
  hash.update(whole);
  return ManifestReader.fromSource({ lines: inOrder(entries) }, hash);
}

async function* inOrder(entries: readonly ManifestEntry[]): AsyncGenerator<ManifestEntry> {
  yield* entries;
}

async function readWhole(file: string): Promise<string | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await openNoFollow(file, 'r');
    if ((await handle.stat()).size > WHOLE_DOCUMENT_MAX) return undefined;
    return await handle.readFile('utf8');
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** The entries of a manifest in line form, each line hashed as read; the footer ends them. */
async function* entryLines(
  lines: AsyncIterator<unknown>,
  hash: Hash,
): AsyncGenerator<ManifestEntry | undefined> {
  for (;;) {
    const next = await lines.next();
    if (next.done) return;
    const line = next.value as string;
    hash.update(`${line}\n`);
    if (line === ']}') return;
    let value: unknown;
    try {
      value = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line);
    } catch {
      return;
    }
    yield trusted(value, false);
  }
}

/**
 * Writes a manifest as a stream, one entry per line in key order, to a temp file beside it; `finish`
 * renames it into place — or, when its text is the very text already there, removes it.
 */
export class ManifestWriter {
  readonly #target: string;
  readonly #temp: string;
  readonly #handle: FileHandle;
  readonly #hash = createHash('sha256');
  #buffer: string[] = [];
  #buffered = 0;
  #pending: Promise<unknown> = Promise.resolve();
  #lastKey: string | undefined;
  #count = 0;
  #digest: string | undefined;

  private constructor(target: string, temp: string, handle: FileHandle) {
    this.#target = target;
    this.#temp = temp;
    this.#handle = handle;
  }

  /** Starts `target` (in a folder of ours) under `<target>.tmp`. */
  static async create(target: string, scope: ManifestScope): Promise<ManifestWriter> {
    const temp = `${target}.tmp`;
    const handle = await createExclusive(temp, 0o644).catch(async (error: unknown) => {
      throw await asLocalFileError(error, target);
    });
    const writer = new ManifestWriter(target, temp, handle);
    writer.#line(headerLine(scope));
    return writer;
  }

  get count(): number {
    return this.#count;
  }

  /** SHA-256 of the text written (once finished). */
  digest(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }

  #line(text: string): void {
    this.#buffer.push(text, '\n');
    this.#buffered += text.length + 1;
  }

  /** Adds one entry; entries come in strictly increasing key order. */
  write(entry: ManifestEntry): void {
    if (this.#lastKey !== undefined && compareUtf8(this.#lastKey, entry.key) >= 0) {
      throw new Error(`manifest entries out of order: '${entry.key}' after '${this.#lastKey}'`);
    }
    if (this.#count > 0) this.#buffer.push(',\n');
    this.#buffer.push(JSON.stringify(entry));
    this.#buffered += 256;
    this.#lastKey = entry.key;
    this.#count++;
  }

  /** Resolves once what was written so far is on its way; call it now and then, for backpressure. */
  async drain(): Promise<void> {
    if (this.#buffered >= 256 * 1024) this.#flush();
    await this.#pending;
  }

  #flush(): void {
    if (this.#buffer.length === 0) return;
    const text = this.#buffer.join('');
    this.#buffer = [];
    this.#buffered = 0;
    this.#hash.update(text);
    const previous = this.#pending;
    this.#pending = previous.then(async () => {
      await this.#handle.write(text).catch(async (error: unknown) => {
        throw await asLocalFileError(error, this.#target);
      });
    });
  }

  /**
   * Ends the manifest: renamed into place, unless `previousDigest` says it is unchanged. `durable`:
   * fsync it before the rename and its folder after.
   */
  async finish(previousDigest?: string, durable = false): Promise<'written' | 'unchanged'> {
    this.#buffer.push(this.#count > 0 ? '\n]}\n' : ']}\n');
    this.#flush();
    try {
      await this.#pending;
      if (this.digest() === previousDigest) {
        await this.abort();
        return 'unchanged';
      }
      if (durable) {
        await this.#handle.sync().catch(async (error: unknown) => {
          throw await asLocalFileError(error, this.#target);
        });
      }
      await this.#handle.close();
      await rename(this.#temp, this.#target).catch(async (error: unknown) => {
        throw await asLocalFileError(error, this.#target);
      });
      if (durable) await syncDirectory(path.dirname(this.#target));
      return 'written';
    } catch (error: unknown) {
      await this.abort();
      throw error;
    }
  }

  /** Drops the temp file; never throws. */
  async abort(): Promise<void> {
    await this.#pending.catch(() => {});
    await this.#handle.close().catch(() => {});
    await rm(this.#temp, { force: true }).catch(() => {});
  }
}

/** Copies every entry of `reader` through `change` (or drops it, for undefined) into a fresh manifest at `root`. */
export async function rewriteManifest(
  root: string,
  scope: ManifestScope,
  change: (entry: ManifestEntry) => Promise<ManifestEntry | undefined>,
): Promise<void> {
  const reader = await ManifestReader.open(root, scope);
  const writer = await ManifestWriter.create(manifestPath(root), scope);
  try {
    for await (const entry of reader.rest()) {
      const next = await change(entry);
      if (next !== undefined) writer.write(next);
      await writer.drain();
    }
    await writer.finish(reader.digest());
  } catch (error: unknown) {
    await writer.abort();
    throw error;
  } finally {
    await reader.close();
  }
}
