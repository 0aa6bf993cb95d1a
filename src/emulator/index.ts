// The local COS emulator: public API.
export type { EmulatorCredential, TemporaryCredentialSource } from './auth.js';
export type { Crc64Value } from './crc64-reference.js';
export { crc64Reference, crc64ReferenceDecimal, crc64ToDecimal, crc64ToHex } from './crc64-reference.js';
export type { BodyCut, Faults, QueuedFailure, RequestKind } from './faults.js';
export type { Emulator, EmulatorOptions } from './server.js';
export { startEmulator } from './server.js';
export type { RequestRecord, Stats } from './stats.js';
export type { PutOptions, StoredVersion, SyntheticObjects } from './store.js';
export type {
  IssuedCredential,
  StsEmulator,
  StsEmulatorOptions,
  StsFailure,
  StsRequestRecord,
} from './sts.js';
export { exampleWebIdentityToken, startStsEmulator } from './sts.js';
