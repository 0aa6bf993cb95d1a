// SSE-C: an object stored with a customer key is served only to a request that carries the same key
// (algorithm, base64 key and its MD5), and a plain object refuses SSE-C headers, as COS does.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CosError, type Headers, header } from './answer.js';
import type { ObjectVersion } from './store.js';

const SSE_ALGORITHM = 'x-cos-server-side-encryption-customer-algorithm';
const SSE_KEY = 'x-cos-server-side-encryption-customer-key';
const SSE_KEY_MD5 = 'x-cos-server-side-encryption-customer-key-md5';

/** The SSE-C header contract; returns the headers to echo. */
export function checkSseCustomer(version: ObjectVersion, req: IncomingMessage): Headers {
  const algorithm = header(req, SSE_ALGORITHM);
  const key = header(req, SSE_KEY);
  const keyMd5 = header(req, SSE_KEY_MD5);
  const sent = algorithm !== undefined || key !== undefined || keyMd5 !== undefined;
  if (version.sseCustomerKeyMd5 === undefined) {
    if (sent) {
      throw new CosError(
        400,
        'InvalidRequest',
        'The object is not encrypted with SSE-C; do not send SSE-C headers.',
      );
    }
    return {};
  }
  if (!sent) {
    throw new CosError(
      400,
      'InvalidRequest',
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
    );
  }
  if (algorithm !== 'AES256') {
    throw new CosError(400, 'InvalidArgument', `${SSE_ALGORITHM} must be AES256.`);
  }
  if (key === undefined || keyMd5 === undefined) {
    throw new CosError(400, 'InvalidArgument', `SSE-C requires ${SSE_KEY} and ${SSE_KEY}-MD5.`);
  }
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32) {
    throw new CosError(400, 'InvalidArgument', `${SSE_KEY} must be the base64 of a 256-bit key.`);
  }
  if (createHash('md5').update(raw).digest('base64') !== keyMd5) {
    throw new CosError(
      400,
      'InvalidArgument',
      'The calculated MD5 hash of the key did not match the hash that was provided.',
    );
  }
  if (keyMd5 !== version.sseCustomerKeyMd5) {
    throw new CosError(
      403,
      'AccessDenied',
      'The SSE-C key does not match the key the object was stored with.',
    );
  }
  return {
    'x-cos-server-side-encryption-customer-algorithm': 'AES256',
    'x-cos-server-side-encryption-customer-key-MD5': keyMd5,
  };
}
