// One mirror's pass over the listing: each listed key is decided in key order against the previous
// manifest's entry for it (a merge join), downloads run through a bounded pool sharing one request
// budget, and the new manifest is written in key order through a bounded reorder window.
import { lstat, rm } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { errorMessage } from '../base/error-message.js';
import type { Logger } from '../base/runtime.js';
import { quoteValue } from '../base/text.js';
import type { CosClient } from '../cos/client.js';
import { type ListedObject, type ListPage, listPages } from '../cos/list.js';
import { fetchObject } from './fetch-object.js';
import { ensureFolder, PathConflict, PathConflicts } from './local-folder.js';
import type { ManifestEntry } from './manifest.js';
import { type ManifestReader, ManifestWriter } from './manifest-stream.js';
import {
  type DecideContext,
  decide,
  entryFor,
  infoFromListing,
  unchangedInManifest,
} from './mirror-decide.js';
import { type MirrorFile, type MirrorRequest, SAMPLE_LIMIT } from './mirror-result.js';
import { folderPrefix, keyFilter } from './mirror-scope.js';
import { localPath, mapKey, relativeKey } from './paths.js';
import { TaskPool } from './pool.js';
import type { TransferDeps, TransferSettings } from './settings.js';
import {
  ensureOwnFolder,
  manifestPath,
  mirrorFileState,
  nextManifestPath,
  staleManifestPath,
} from './state.js';

const ARCHIVE_CLASSES = new Set(['ARCHIVE', 'DEEP_ARCHIVE']);
/** Decided entries waiting for an earlier key's download before they can be written in order. */
const REORDER_WINDOW = 4096;

/** One place in the new manifest, in key order: filled when its key is decided. */
interface Slot {
  entry: ManifestEntry | undefined;
  done: boolean;
}

/** A bounded list that keeps the first `limit` items and counts the rest. */
class Sample<T> {
  readonly items: T[] = [];
  count = 0;
  add(item: T): void {
    if (this.items.length < SAMPLE_LIMIT) this.items.push(item);
    this.count++;
  }
}

export class MirrorRun {
  readonly client: CosClient;
  readonly request: MirrorRequest;
  readonly settings: TransferSettings;
  readonly deps: TransferDeps;
  readonly root: string;
  readonly prefix: string;
  readonly inScope: (relative: string, key: string) => boolean;
  readonly platform: NodeJS.Platform;
  /** The previous manifest, read in step with the listing. */
  readonly previous: ManifestReader;
  readonly conflicts: PathConflicts;
  readonly files = new Sample<MirrorFile>();
  readonly refused = new Sample<{ key: string; reason: string }>();
  readonly archived = new Sample<string>();
  readonly largest: MirrorFile[] = [];
  /** Entries of the previous manifest whose keys the listing no longer holds (in key order). */
  stale: ManifestWriter | undefined;
  readonly staleInMemory: ManifestEntry[] = [];
  staleCount = 0;
  /** The new manifest's entries for the listed keys (and keys a failure left untouched). */
  writer: ManifestWriter | undefined;
  readonly #pool: TaskPool;
  readonly #limit: ReturnType<typeof pLimit>;
  /** Large objects' parts, within #limit. */
  readonly #partLimit: ReturnType<typeof pLimit>;
  readonly #decide: DecideContext;
  readonly #safeFolders: Set<string>;
  /** Folders that got a file: each is fsynced once at the end, so the renames in it are durable. */
  readonly written = new Set<string>();
  readonly #window: Slot[] = [];
  #windowOpen: (() => void) | undefined;
  listingError: unknown;
  /** The first download that failed, and how many did. */
  failure: { readonly key: string; readonly error: unknown } | undefined;
  failures = 0;
  listRequests = 0;
  /** Objects under the prefix (before filters): 0 means the prefix lists nothing. */
  listed = 0;
  downloaded = 0;
  skipped = 0;
  bytesDownloaded = 0;
  bytesPlanned = 0;

  constructor(
    client: CosClient,
    request: MirrorRequest,
    settings: TransferSettings,
    deps: TransferDeps,
    root: string,
    previous: ManifestReader,
  ) {
    this.client = client;
    this.request = request;
    this.settings = settings;
    this.deps = deps;
    this.root = root;
    this.prefix = folderPrefix(request.prefix);
    this.inScope = keyFilter(request);
    this.platform = request.platform ?? process.platform;
    this.previous = previous;
    this.conflicts = new PathConflicts(this.platform);
    this.#pool = new TaskPool({ signal: deps.signal, maxActive: settings.concurrency * 4, failFast: false });
    this.#limit = pLimit(settings.concurrency);
    this.#partLimit = pLimit(settings.partConcurrency);
    this.#decide = { client, settings, root, signal: this.#pool.signal };
    this.#safeFolders = new Set([root]);
  }

  get logger(): Logger {
    return this.deps.logger;
  }

  get aborted(): boolean {
    return this.#pool.signal.aborted;
  }

  /** The pass ended with every object mirrored: the listing whole, no download failed, not cancelled. */
  get complete(): boolean {
    return this.listingError === undefined && this.failures === 0 && !this.aborted;
  }

  /** The entry the previous manifest has for a key, if it names the path the key maps to (else it is not ours). */
  trusted(entry: ManifestEntry | undefined): ManifestEntry | undefined {
    if (entry === undefined) return undefined;
    const relative = relativeKey(entry.key, this.prefix);
    const mapping = relative === undefined ? undefined : mapKey(relative, this.platform);
    return mapping?.kind === 'file' && mapping.relative === entry.path ? entry : undefined;
  }

  /** Walks the listing, deciding each key in order; object tasks in flight are bounded. */
  async list(listing: Iterable<ListPage> | AsyncIterable<ListPage> | undefined): Promise<void> {
    if (!this.settings.dryRun) {
      await ensureOwnFolder(path.dirname(mirrorFileState(this.root, '').temp));
      // What a killed run left of its manifests (or links planted there) goes first; rm follows no link.
      for (const file of [nextManifestPath(this.root), staleManifestPath(this.root)]) {
        await rm(file, { force: true });
        await rm(`${file}.tmp`, { force: true });
      }
      await rm(`${manifestPath(this.root)}.tmp`, { force: true });
      const scope = { bucket: this.client.connection.bucket, prefix: this.prefix };
      this.writer = await ManifestWriter.create(nextManifestPath(this.root), scope);
      this.stale = await ManifestWriter.create(staleManifestPath(this.root), scope);
    }
    try {
      const pages =
        listing ??
        listPages(this.client, {
          prefix: this.prefix,
          maxKeys: this.request.listPageSize ?? 1000,
          signal: this.#pool.signal,
        });
      for await (const page of pages) {
        this.listRequests++;
        for (const object of page.objects) {
          if (this.aborted) break;
          await this.#consider(object);
          await this.#room();
        }
        if (this.aborted) break;
      }
    } catch (error: unknown) {
      this.listingError = error;
    }
    try {
      await this.#pool.drain();
    } catch (error: unknown) {
      // A task's own failure is recorded by the task; this is one that escaped it.
      this.failures++;
      this.failure ??= { key: '', error };
    }
    this.#flushWindow();
  }

  /** Waits while the reorder window is full (an earlier key's download holds it) or the manifest lags. */
  async #room(): Promise<void> {
    while (this.#window.length >= REORDER_WINDOW && !this.aborted) {
      await new Promise<void>((resolve) => {
        this.#windowOpen = resolve;
      });
    }
    await this.writer?.drain();
    await this.stale?.drain();
  }

  #slot(entry?: ManifestEntry): Slot {
    const slot: Slot = { entry, done: entry !== undefined };
    this.#window.push(slot);
    if (slot.done) this.#flushWindow();
    return slot;
  }

  #resolve(slot: Slot, entry: ManifestEntry | undefined): void {
    slot.entry = entry;
    slot.done = true;
    this.#flushWindow();
  }

  #flushWindow(): void {
    while (this.#window.length > 0 && (this.#window[0] as Slot).done) {
      const slot = this.#window.shift() as Slot;
      if (slot.entry !== undefined) this.writer?.write(slot.entry);
    }
    const open = this.#windowOpen;
    this.#windowOpen = undefined;
    open?.();
  }

  /** An entry of the previous manifest whose key the listing no longer holds. */
  passed(entry: ManifestEntry): void {
    const mine = this.trusted(entry);
    if (mine === undefined) return;
    this.staleCount++;
    if (this.stale !== undefined) this.stale.write(mine);
    else this.staleInMemory.push(mine);
  }

  #refuse(key: string, reason: string): void {
    this.refused.add({ key, reason });
    this.logger.warning(
      `Skipping ${quoteValue(key)}: ${reason}; it cannot be written safely under the destination`,
    );
  }

  record(file: MirrorFile): void {
    this.files.add(file);
    if (file.action !== 'download') return;
    this.bytesPlanned += file.size;
    if (this.largest.length < 10 || file.size > (this.largest.at(-1) as MirrorFile).size) {
      this.largest.push(file);
      this.largest.sort((a, b) => b.size - a.size);
      this.largest.length = Math.min(this.largest.length, 10);
    }
  }

  /** Decides one listed object: out of scope, refused, a folder, archived, unchanged, or a download task. */
  async #consider(object: ListedObject): Promise<void> {
    const earlier = this.trusted(await this.previous.upTo(object.key, (entry) => this.passed(entry)));
    const relative = relativeKey(object.key, this.prefix);
    if (relative === undefined || relative === '') return;
    this.listed++;
    if (!this.inScope(relative, object.key)) {
      // Not this run's to judge: what the previous run recorded stays.
      if (earlier !== undefined) this.#slot(earlier);
      return;
    }
    const mapping = mapKey(relative, this.platform);
    const conflict =
      mapping.kind === 'refused'
        ? mapping.reason
        : this.conflicts.claim(mapping.relative, object.key, mapping.kind);
    if (mapping.kind === 'refused' || conflict !== undefined) {
      this.#refuse(object.key, conflict ?? 'it cannot be a local path');
      if (earlier !== undefined) this.#slot(earlier);
      return;
    }
    if (mapping.kind === 'folder') {
      if (!this.settings.dryRun)
        await this.#start(object, this.#slot(), () => this.#makeFolder(mapping.relative));
      return;
    }
    const file = mapping.relative;
    if (ARCHIVE_CLASSES.has(object.storageClass)) {
      this.archived.add(object.key);
      if (earlier !== undefined) this.#slot(earlier);
      return;
    }
    const unchanged = unchangedInManifest(this.#decide, object, file, earlier);
    if (unchanged !== undefined) {
      this.skipped++;
      this.record({
        key: object.key,
        path: file,
        size: object.size,
        action: 'skip',
        reason: 'unchanged (manifest)',
      });
      this.#slot(unchanged);
      return;
    }
    const slot = this.#slot();
    await this.#start(
      object,
      slot,
      async () => this.#resolve(slot, await this.#mirrorFile(object, file, earlier)),
      earlier,
    );
  }

  /**
   * Runs one object's task once the pool has room (so the listing waits while it is full); a failure
   * keeps what the previous run recorded (the file is untouched).
   */
  async #start(
    object: ListedObject,
    slot: Slot,
    work: () => Promise<void>,
    earlier?: ManifestEntry,
  ): Promise<void> {
    await this.#pool.add(async () => {
      try {
        await work();
        if (!slot.done) this.#resolve(slot, undefined);
      } catch (error: unknown) {
        this.#resolve(slot, earlier);
        if (error instanceof PathConflict || (error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
          this.#refuse(
            object.key,
            error instanceof PathConflict ? error.message : 'its path is too long for this file system',
          );
          return;
        }
        this.failures++;
        this.failure ??= { key: object.key, error };
        if (!this.aborted) this.logger.warning(`${quoteValue(object.key)} failed: ${errorMessage(error)}`);
      }
    });
  }

  async #makeFolder(relative: string): Promise<void> {
    await ensureFolder(this.root, localPath(this.root, relative), this.#safeFolders);
  }

  /** Decides and, if need be, downloads one file; returns its manifest entry (undefined: none). */
  async #mirrorFile(object: ListedObject, file: string, earlier: ManifestEntry | undefined) {
    const decision = await decide(this.#decide, object, file, earlier);
    if (decision.action === 'skip') {
      this.skipped++;
      this.record({
        key: object.key,
        path: file,
        size: object.size,
        action: 'skip',
        reason: decision.reason,
      });
      return decision.entry;
    }
    this.downloaded++;
    this.record({ key: object.key, path: file, size: object.size, action: 'download' });
    if (this.settings.dryRun) return earlier;
    const target = localPath(this.root, file);
    await ensureFolder(this.root, path.dirname(target), this.#safeFolders);
    const context = {
      client: this.client,
      settings: this.settings,
      deps: { ...this.deps, signal: this.#pool.signal },
      limit: this.#limit,
      partLimit: this.#partLimit,
      folderReady: true,
    };
    const request = {
      key: object.key,
      responseOverrides: {},
      pinned: false,
      destination: target,
      state: mirrorFileState(this.root, file),
    };
    const result = await fetchObject(context, request, infoFromListing(object), {
      first: 0,
      length: object.size,
    });
    this.written.add(path.dirname(target));
    this.bytesDownloaded += result.bytesDownloaded;
    return entryFor(result.info, file, await lstat(target), true);
  }
}
