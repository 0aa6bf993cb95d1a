// Maps a run's result to the action's outputs and its job-summary table. Pure.
import type { OutputName } from '../config/inputs.js';
import type { RunResult } from './download.js';
import { formatBytes } from './progress.js';
import type { SummaryTable } from './summary.js';

export function outputsFor(result: RunResult): Partial<Record<OutputName, string>> {
  const object = result.object;
  if (object.status === 'not-modified') {
    return { path: object.path, 'not-modified': 'true' };
  }
  const info = object.info;
  const lastModified = new Date(info.lastModified);
  return {
    etag: info.etag,
    'version-id': info.versionId ?? '',
    crc64: info.crc64 ?? '',
    'content-length': String(object.length),
    'last-modified': Number.isNaN(lastModified.getTime()) ? info.lastModified : lastModified.toISOString(),
    'storage-class': info.storageClass,
    path: object.path,
    'not-modified': 'false',
    'bytes-downloaded': String(object.bytesDownloaded),
  };
}

export function summaryFor(result: RunResult): SummaryTable {
  const object = result.object;
  const header = ['Key', 'Result', 'Size', 'ETag', 'CRC64', 'Path'];
  if (object.status === 'not-modified') {
    return { heading: 'COS download', header, rows: [['', 'not modified (304)', '', '', '', object.path]] };
  }
  return {
    heading: 'COS download',
    header,
    rows: [
      [
        object.info.key,
        object.status === 'downloaded'
          ? `downloaded (CRC64 ${object.crcCheck})`
          : `skipped: ${object.reason ?? ''}`,
        formatBytes(object.length),
        object.info.etag,
        object.info.crc64 ?? '',
        object.path,
      ],
    ],
  };
}
