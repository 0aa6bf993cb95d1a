// The listing of a prefix kept in a file while the cache restores and the mirror replays it: the
// cache key needs the whole listing before anything is downloaded, and a million keys are not held
// in memory. One page per line, as JSON.
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ListPage } from '../cos/list.js';

export class ListingSpill {
  readonly #folder: string;
  readonly #file: string;
  #handle: FileHandle | undefined;

  private constructor(folder: string, handle: FileHandle) {
    this.#folder = folder;
    this.#file = path.join(folder, 'listing.jsonl');
    this.#handle = handle;
  }

  /** A spill in `folder` (a fresh temp folder of its own, removed by `remove`). */
  static async create(folder: string): Promise<ListingSpill> {
    return new ListingSpill(folder, await open(path.join(folder, 'listing.jsonl'), 'wx', 0o600));
  }

  async add(page: ListPage): Promise<void> {
    await this.#handle?.write(`${JSON.stringify(page)}\n`);
  }

  /** The pages, in order, as often as asked. */
  async *pages(): AsyncGenerator<ListPage> {
    await this.#handle?.close();
    this.#handle = undefined;
    const lines = createInterface({
      input: createReadStream(this.#file, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) if (line !== '') yield JSON.parse(line) as ListPage;
  }

  /** Every listed key, in order. */
  async *keys(): AsyncGenerator<string> {
    for await (const page of this.pages()) for (const object of page.objects) yield object.key;
  }

  async remove(): Promise<void> {
    await this.#handle?.close().catch(() => {});
    await rm(this.#folder, { recursive: true, force: true });
  }
}
