// Pure part arithmetic: which bytes each ranged GET asks for.
import type { ByteRange } from '../base/request.js';

/** An inclusive byte window of the object: the bytes a part (or a whole download) covers. */
export interface Part {
  readonly index: number;
  /** First byte, inclusive. */
  readonly first: number;
  /** Last byte, inclusive. */
  readonly last: number;
}

export interface Window {
  /** First byte of the object to download. */
  readonly first: number;
  /** Bytes to download; 0 for an empty object. */
  readonly length: number;
}

/** Objects larger than the part size come down as parallel ranged GETs. */
export function isMultipart(length: number, partSize: number): boolean {
  return length > partSize;
}

/** Splits `window` into consecutive parts of `partSize` bytes (the last may be shorter). */
export function planParts(window: Window, partSize: number): Part[] {
  if (!Number.isSafeInteger(partSize) || partSize <= 0) throw new RangeError(`bad part size ${partSize}`);
  const parts: Part[] = [];
  for (let offset = 0, index = 0; offset < window.length; offset += partSize, index++) {
    const first = window.first + offset;
    parts.push({ index, first, last: first + Math.min(partSize, window.length - offset) - 1 });
  }
  return parts;
}

/**
 * The window a `range` input selects from an object of `size` bytes, clipped as HTTP clips it;
 * undefined when unsatisfiable (HTTP 416).
 */
export function rangeWindow(range: ByteRange | undefined, size: number): Window | undefined {
  if (range === undefined) return { first: 0, length: size };
  switch (range.kind) {
    case 'closed':
      if (range.first >= size) return undefined;
      return { first: range.first, length: Math.min(range.last, size - 1) - range.first + 1 };
    case 'from':
      if (range.first >= size) return undefined;
      return { first: range.first, length: size - range.first };
    case 'suffix':
      if (size === 0) return undefined;
      return { first: Math.max(0, size - range.length), length: Math.min(range.length, size) };
  }
}

export function formatRange(range: ByteRange): string {
  switch (range.kind) {
    case 'closed':
      return `bytes=${range.first}-${range.last}`;
    case 'from':
      return `bytes=${range.first}-`;
    case 'suffix':
      return `bytes=-${range.length}`;
  }
}
