import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  mismatch,
  parseCheckpoint,
  readCheckpoint,
  serializeCheckpoint,
  writeCheckpoint,
} from '../src/transfer/checkpoint.js';

const checkpoint: Checkpoint = {
  bucket: 'examplebucket-1250000000',
  key: 'dir/big.bin',
  versionId: 'v2',
  etag: '"abc"',
  size: 100,
  lastModified: 'Tue, 01 Jan 2030 00:00:00 GMT',
  crc64: '12345',
  window: { first: 0, length: 100 },
  partSize: 30,
  tempIno: 4242,
  parts: new Map([
    [2, '7'],
    [0, '18446744073709551615'],
  ]),
  partial: new Map([[1, { bytes: 12, crc: '99' }]]),
};

describe('checkpoint format', () => {
  it('round-trips, with parts in order', () => {
    const text = serializeCheckpoint(checkpoint);
    expect(parseCheckpoint(text)).toEqual(checkpoint);
    expect(text.indexOf('"0"')).toBeLessThan(text.indexOf('"2"'));
  });

  it('reads a checkpoint of an earlier version, without the parts in flight, as having none', () => {
    const text = serializeCheckpoint(checkpoint).replace(/,\s*"partial": \{[^}]*\}\s*\}/, '');
    expect(text).not.toContain('partial');
    expect(parseCheckpoint(text)?.partial).toEqual(new Map());
  });

  it('round-trips an object without version and CRC', () => {
    const { versionId: _v, crc64: _c, ...rest } = checkpoint;
    expect(parseCheckpoint(serializeCheckpoint(rest))).toEqual(rest);
  });

  it.each([
    ['not JSON', '{'],
    ['another format', JSON.stringify({ format: 'x' })],
    ['a part beyond the plan', serializeCheckpoint({ ...checkpoint, parts: new Map([[4, '1']]) })],
    ['a non-numeric CRC', serializeCheckpoint({ ...checkpoint, parts: new Map([[1, 'abc']]) })],
    ['a negative size', serializeCheckpoint(checkpoint).replace('"size": 100', '"size": -1')],
    ['a zero part size', serializeCheckpoint(checkpoint).replace('"partSize": 30', '"partSize": 0')],
    ['null', 'null'],
    // The parts in flight: a start as long as its part (it would be finished), of a finished part,
    // of no bytes, beyond the plan, or with a CRC that is no CRC.
    [
      'a start as long as its part',
      serializeCheckpoint({ ...checkpoint, partial: new Map([[1, { bytes: 30, crc: '1' }]]) }),
    ],
    [
      'a start of the short last part, too long',
      serializeCheckpoint({ ...checkpoint, partial: new Map([[3, { bytes: 10, crc: '1' }]]) }),
    ],
    [
      'a start of a finished part',
      serializeCheckpoint({ ...checkpoint, partial: new Map([[2, { bytes: 5, crc: '1' }]]) }),
    ],
    [
      'a start of no bytes',
      serializeCheckpoint({ ...checkpoint, partial: new Map([[1, { bytes: 0, crc: '1' }]]) }),
    ],
    [
      'a start beyond the plan',
      serializeCheckpoint({ ...checkpoint, partial: new Map([[4, { bytes: 5, crc: '1' }]]) }),
    ],
    [
      'a start with a non-numeric CRC',
      serializeCheckpoint({ ...checkpoint, partial: new Map([[1, { bytes: 5, crc: 'x' }]]) }),
    ],
  ])('refuses %s', (_name, text) => {
    expect(parseCheckpoint(text)).toBeUndefined();
  });

  it.each([
    [{ etag: '"def"' }, /changed since/],
    [{ size: 101 }, /changed since/],
    [{ lastModified: 'x' }, /changed since/],
    [{ versionId: 'v3' }, /another version/],
    [{ crc64: '1' }, /CRC64 changed/],
    [{ key: 'other' }, /another object/],
    [{ window: { first: 1, length: 99 } }, /another byte range/],
    [{ partSize: 31 }, /part size changed/],
  ])('says why %j cannot resume', (change, reason) => {
    expect(mismatch(checkpoint, { ...checkpoint, ...change })).toMatch(reason);
  });

  it('accepts the same identity', () => {
    expect(mismatch(checkpoint, { ...checkpoint, parts: new Map() } as Checkpoint)).toBeUndefined();
  });

  it('is written atomically and read back; a garbled file reads as corrupt', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'cos-download-cp-'));
    try {
      const file = path.join(folder, 'x.json');
      expect(await readCheckpoint(file)).toBeUndefined();
      await writeCheckpoint(file, checkpoint, true);
      expect(await readCheckpoint(file)).toEqual(checkpoint);
      expect(await readFile(file, 'utf8')).not.toMatch(/secret|signature|authorization/i);
      await writeFile(file, '{"format":');
      expect(await readCheckpoint(file)).toBe('corrupt');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
