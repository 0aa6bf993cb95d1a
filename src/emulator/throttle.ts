// Writes a response body: in chunks, with backpressure, at an optional rate (x-cos-traffic-limit),
// and cut short the way a fault asks for.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BodyCut } from './faults.js';

const CHUNK = 64 * 1024;

/** A token bucket: `take(n)` waits until n bytes may go out at `bytesPerSecond`. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(bytesPerSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#rate = bytesPerSecond;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }

  /** Milliseconds to wait before `bytes` may be sent (0 = now); takes them when 0. */
  delayFor(bytes: number): number {
    this.#refill();
    if (this.#tokens >= bytes) {
      this.#tokens -= bytes;
      return 0;
    }
    return Math.ceil(((bytes - this.#tokens) / this.#rate) * 1000);
  }
}

export interface BodyPlan {
  /** The bytes of this response body (already ranged, already corrupted if asked). */
  readonly bytes: Uint8Array;
  readonly cut: BodyCut | undefined;
  /** x-cos-traffic-limit divided by 8; undefined = full speed. */
  readonly bytesPerSecond: number | undefined;
  /** Aborted when the emulator closes. */
  readonly signal: AbortSignal;
  /** Called with each chunk's size once it is handed to the socket. */
  readonly onSent: (bytes: number) => void;
}

/** Resolves true once the chunk is flushed to the socket, false when the response closed first. */
function write(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = (): void => resolve(false);
    res.once('close', onClose);
    res.write(chunk, (error) => {
      res.off('close', onClose);
      resolve(error === undefined || error === null);
    });
  });
}

export async function sendBody(res: ServerResponse, plan: BodyPlan): Promise<void> {
  const limit = plan.cut === undefined ? plan.bytes.length : Math.min(plan.cut.at, plan.bytes.length);
  const chunkSize =
    plan.bytesPerSecond === undefined
      ? CHUNK
      : Math.min(CHUNK, Math.max(1024, Math.floor(plan.bytesPerSecond / 20)));
  const bucket =
    plan.bytesPerSecond === undefined ? undefined : new TokenBucket(plan.bytesPerSecond, chunkSize);
  let offset = 0;
  while (offset < limit) {
    if (res.destroyed || plan.signal.aborted) return;
    const size = Math.min(chunkSize, limit - offset);
    for (let wait = bucket?.delayFor(size) ?? 0; wait > 0; wait = bucket?.delayFor(size) ?? 0) {
      try {
        await sleep(wait, undefined, { signal: plan.signal });
      } catch {
        return; // the emulator is closing
      }
    }
    const sent = await write(res, plan.bytes.subarray(offset, offset + size));
    if (!sent) return;
    offset += size;
    plan.onSent(size);
  }
  const socket = res.socket;
  switch (plan.cut?.action) {
    case undefined:
      res.end();
      return;
    case 'reset':
      // Every byte above is flushed to the kernel; destroy() lets them reach the client and then
      // closes, so the client sees exactly `cut.at` bytes and then the connection drop. (A TCP
      // RST could make the client's kernel discard bytes it had already received.)
      socket?.destroy();
      return;
    case 'end':
      socket?.destroySoon();
      return;
    case 'stall':
      res.flushHeaders(); // a stalled body, even before its first byte
      return; // keep the socket open; the client's idle timeout or emulator.close() ends it
  }
}
