// Maps a run's result to the action's outputs and its job-summary table. Pure.
import type { CacheHit, CacheOutcome } from '../cache/mirror-cache.js';
import type { OutputName } from '../config/inputs.js';
import type { MirrorResult } from '../transfer/mirror.js';
import type { ObjectDownloadResult } from '../transfer/object-result.js';
import type { RunResult } from './download.js';
import { formatBytes } from './progress.js';
import type { SummaryTable } from './summary.js';

/**
 * The outputs of a run, typed: the action sets them as text, the CLI prints them in `--json`. A
 * dry run downloads and deletes nothing, so its `files-downloaded`, `files-deleted` and
 * `bytes-downloaded` are 0, and the `would-…` outputs (set only in a dry run) say what would be done.
 */
export interface OutputValues {
  readonly etag?: string | undefined;
  readonly 'version-id'?: string | undefined;
  readonly crc64?: string | undefined;
  readonly 'content-length'?: number | undefined;
  readonly 'last-modified'?: string | undefined;
  readonly 'storage-class'?: string | undefined;
  readonly path: string;
  readonly 'not-modified'?: boolean | undefined;
  readonly 'files-downloaded'?: number | undefined;
  readonly 'files-skipped'?: number | undefined;
  readonly 'files-deleted'?: number | undefined;
  readonly 'bytes-downloaded': number;
  readonly manifest?: string | undefined;
  readonly 'cache-hit'?: CacheHit | undefined;
  /** presign only (core/presign.ts): the link, and when it expires. */
  readonly url?: string | undefined;
  readonly 'url-expires-at'?: string | undefined;
  readonly 'would-download'?: number | undefined;
  readonly 'would-download-bytes'?: number | undefined;
  readonly 'would-delete'?: number | undefined;
}

// The typed outputs are exactly the outputs of the table (and so of action.yml): else this fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type OutputNamesMatch = Holds<Same<keyof OutputValues, OutputName>>;

export function outputValuesFor(result: RunResult): OutputValues {
  if (result.kind === 'object') return objectOutputs(result.object, result.dryRun);
  const outputs = mirrorOutputs(result.mirror, result.dryRun);
  return result.cache === undefined ? outputs : { ...outputs, 'cache-hit': result.cache.hit };
}

/**
 * The outputs as the action sets them: text, with `version-id`, `crc64` and `manifest` set empty
 * when there is none (so a later step reads '' rather than a stale value).
 */
export function outputsFor(result: RunResult): Partial<Record<OutputName, string>> {
  const values = outputValuesFor(result);
  const text: Partial<Record<OutputName, string>> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) text[name as OutputName] = String(value);
  }
  if (result.kind === 'object' && result.object.status !== 'not-modified') {
    text['version-id'] ??= '';
    text.crc64 ??= '';
  }
  if (result.kind === 'prefix') text.manifest ??= '';
  return text;
}

function objectOutputs(object: ObjectDownloadResult, dryRun: boolean): OutputValues {
  if (object.status === 'not-modified') {
    return { path: object.path, 'not-modified': true, 'bytes-downloaded': 0 };
  }
  const info = object.info;
  const lastModified = new Date(info.lastModified);
  const would = object.status === 'would-download';
  return {
    etag: info.etag,
    'version-id': info.versionId,
    crc64: info.crc64,
    'content-length': object.length,
    'last-modified': Number.isNaN(lastModified.getTime()) ? info.lastModified : lastModified.toISOString(),
    'storage-class': info.storageClass,
    path: object.path,
    'not-modified': false,
    'bytes-downloaded': object.bytesDownloaded,
    ...(dryRun ? { 'would-download': would ? 1 : 0, 'would-download-bytes': would ? object.length : 0 } : {}),
  };
}

function mirrorOutputs(mirror: MirrorResult, dryRun: boolean): OutputValues {
  return {
    path: mirror.destination,
    'files-downloaded': dryRun ? 0 : mirror.downloaded,
    'files-skipped': mirror.skipped,
    'files-deleted': dryRun ? 0 : mirror.deleted,
    'bytes-downloaded': dryRun ? 0 : mirror.bytesDownloaded,
    manifest: mirror.manifest,
    ...(dryRun
      ? {
          'would-download': mirror.downloaded,
          'would-download-bytes': mirror.bytesPlanned,
          'would-delete': mirror.deleted,
        }
      : {}),
  };
}

export function summaryFor(result: RunResult): SummaryTable[] {
  if (result.kind === 'object') return [objectSummary(result.object)];
  const tables = mirrorSummary(result.mirror, result.dryRun);
  if (result.cache !== undefined) tables.push(cacheSummary(result.cache));
  return tables;
}

const CACHE_HIT_TEXT: Record<CacheHit, string> = {
  true: 'hit: nothing downloaded from COS',
  partial: 'partial hit: only what changed downloaded from COS',
  false: 'miss',
};

function cacheSummary(cache: CacheOutcome): SummaryTable {
  return {
    heading: 'Actions cache',
    header: ['Result', 'Restored key', 'Saved under'],
    rows: [[CACHE_HIT_TEXT[cache.hit], cache.restoredKey ?? '', cache.saved ? cache.key : 'not saved']],
  };
}

function objectSummary(object: ObjectDownloadResult): SummaryTable {
  const header = ['Key', 'Result', 'Size', 'ETag', 'CRC64', 'Path'];
  if (object.status === 'not-modified') {
    return { heading: 'COS download', header, rows: [['', 'not modified (304)', '', '', '', object.path]] };
  }
  const outcome =
    object.status === 'downloaded'
      ? `downloaded (CRC64 ${object.crcCheck})`
      : object.status === 'would-download'
        ? 'would download (dry run)'
        : `skipped: ${object.reason ?? ''}`;
  return {
    heading: 'COS download',
    header,
    rows: [
      [
        object.info.key,
        outcome,
        formatBytes(object.length),
        object.info.etag,
        object.info.crc64 ?? '',
        object.path,
      ],
    ],
  };
}

function mirrorSummary(mirror: MirrorResult, dryRun: boolean): SummaryTable[] {
  const seconds = Math.max(mirror.elapsedMs, 1) / 1000;
  const verb = dryRun ? 'would be ' : '';
  const totals: SummaryTable = {
    heading: dryRun ? 'COS mirror (dry run: nothing written)' : 'COS mirror',
    header: [
      'Downloaded',
      'Skipped (unchanged)',
      'Deleted',
      'Kept, not ours',
      'Bytes',
      'Throughput',
      'Refused keys',
      'Archived',
    ],
    rows: [
      [
        `${mirror.downloaded} ${verb}`.trim(),
        String(mirror.skipped),
        `${mirror.deleted} ${verb}`.trim(),
        keptText(mirror),
        formatBytes(mirror.bytesDownloaded),
        `${formatBytes(Math.round(mirror.bytesDownloaded / seconds))}/s over ${seconds.toFixed(1)} s`,
        String(mirror.refusedCount),
        String(mirror.archivedCount),
      ],
    ],
  };
  const largest = mirror.largest;
  const tables = [totals];
  if (largest.length > 0) {
    tables.push({
      heading: dryRun ? 'Largest files to download' : 'Largest files downloaded',
      header: ['Key', 'Size', 'Path'],
      rows: largest.map((f) => [f.key, formatBytes(f.size), f.path]),
    });
  }
  if (mirror.refusedCount > 0) {
    tables.push({
      heading: 'Keys not written (unsafe as local paths)',
      header: ['Key', 'Reason'],
      rows: mirror.refused.slice(0, 50).map((r) => [JSON.stringify(r.key), r.reason]),
    });
  }
  return tables;
}

/**
 * Files `delete` kept: those this tool did not write (it only ever deletes its own), and those it
 * wrote that were changed since.
 */
function keptText(mirror: MirrorResult): string {
  const { notOurs, changed } = mirror.kept;
  return changed === 0 ? String(notOurs) : `${notOurs} (+${changed} changed since written)`;
}

/** Human lines telling what a run did (or, in a dry run, would do): the action logs them, the CLI prints them. */
export function describeResult(result: RunResult): string[] {
  if (result.kind === 'prefix') {
    const lines = describeMirror(result.mirror, result.dryRun);
    if (result.cache !== undefined) lines.push(`Actions cache: ${CACHE_HIT_TEXT[result.cache.hit]}`);
    return lines;
  }
  const object = result.object;
  switch (object.status) {
    case 'not-modified':
      return [`Not modified (304): nothing written to ${object.path}`];
    case 'skipped':
      return [`Skipped ${object.path}: ${object.reason ?? 'unchanged'}`];
    case 'would-download':
      return [
        `Dry run: would download '${object.info.key}' (${formatBytes(object.length)}) to ${object.path}`,
      ];
    case 'downloaded': {
      const check =
        object.crcCheck === 'verified'
          ? `CRC64 ${object.info.crc64} verified`
          : object.crcCheck === 'no-crc-header'
            ? 'no CRC header (an old COS object, or a server that is not COS): length verified only'
            : object.crcCheck === 'partial-range'
              ? "a byte range: COS's CRC64 covers the whole object, length verified"
              : 'CRC64 check disabled (crc: false): length verified only';
      return [`Downloaded '${object.info.key}' (${formatBytes(object.length)}) to ${object.path}; ${check}`];
    }
  }
}

function describeMirror(mirror: MirrorResult, dryRun: boolean): string[] {
  const lines: string[] = [];
  if (dryRun) {
    for (const file of mirror.files) {
      const what =
        file.action === 'download' ? 'download' : file.action === 'delete' ? 'delete  ' : 'skip    ';
      lines.push(`${what} ${file.path} (${formatBytes(file.size)})${file.reason ? `: ${file.reason}` : ''}`);
    }
    if (mirror.filesOmitted > 0) lines.push(`… and ${mirror.filesOmitted} more file(s)`);
  }
  const seconds = Math.max(mirror.elapsedMs, 1) / 1000;
  const would = dryRun ? 'Dry run, nothing written: would download' : 'Downloaded';
  lines.push(
    `${would} ${mirror.downloaded} file(s), ${formatBytes(dryRun ? mirror.bytesPlanned : mirror.bytesDownloaded)}; ` +
      `skipped ${mirror.skipped} unchanged; ${dryRun ? 'would delete' : 'deleted'} ${mirror.deleted}` +
      (dryRun || mirror.bytesDownloaded === 0
        ? ''
        : `; ${formatBytes(Math.round(mirror.bytesDownloaded / seconds))}/s over ${seconds.toFixed(1)} s`) +
      ` (${mirror.listRequests} listing request(s))`,
  );
  if (mirror.kept.notOurs + mirror.kept.changed > 0) {
    lines.push(
      `Kept, not ours: ${keptText(mirror)} local file(s) the prefix does not hold (delete removes only files it wrote)`,
    );
  }
  if (mirror.refusedCount > 0) lines.push(`${mirror.refusedCount} key(s) refused as unsafe local paths`);
  if (mirror.archivedCount > 0) lines.push(`${mirror.archivedCount} ARCHIVE object(s) not downloaded`);
  return lines;
}
