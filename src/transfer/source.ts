// Where one object's bytes come from, as the engine (fetch-object.ts, fetch-part.ts) sees it: the
// few members of the COS client it uses. `CosClient` is one (a key, each request signed); a
// `LinkClient` (cos/link.ts) is the other (a presigned link or any ranged-HTTPS URL, sent as it is).
import type { BodySink, CosRequest, CosResponse } from '../cos/client.js';

export interface ObjectSource {
  /** Names the store in a checkpoint's identity: the bucket, or a link's origin (never its query). */
  readonly connection: { readonly bucket: string };
  /**
   * A fixed URL (a link): requests add headers only — no query parameter (the version and the
   * `response-*` overrides are in the link's signed query, or nowhere), and no HEAD (a link signs
   * its method). Its identity is learnt from the first part's GET, which states the CRC if the
   * server has one, and every later part's ETag and CRC headers must match that one's.
   */
  readonly fixedUrl?: boolean;
  send(request: CosRequest): Promise<CosResponse>;
  /** A GET whose 2xx answer goes to `sink`, its body slice by slice (cos/client.ts). */
  getBody(request: CosRequest, sink: BodySink): Promise<void>;
  retrying<T>(what: string, signal: AbortSignal | undefined, attempt: (n: number) => Promise<T>): Promise<T>;
}

/**
 * Lets an answer go unread (a first part a checkpoint already holds, a probe that ends the run):
 * destroying an unread undici body emits an error event, which here has nowhere to go.
 */
export function letGo(response: CosResponse): void {
  response.body.on('error', () => {});
  response.body.destroy();
}
