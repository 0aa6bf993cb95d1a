// A stand-in for Tencent Cloud STS AssumeRoleWithWebIdentity (API 3.0), started beside the COS
// emulator: it checks the request's shape as the real service states it, issues short-lived
// temporary credentials, and hands them to the COS emulator (`issued`), which then accepts each
// only with its session token and only until it expires. Errors come as the API's JSON, HTTP 200.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EmulatorCredential, TemporaryCredentialSource } from './auth.js';

export interface StsEmulatorOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /**
   * Web identity tokens accepted as they are. Absent or empty: any JWT-shaped token (three
   * base64url parts, a JSON header with `alg`) whose `exp`, if any, has not passed.
   */
  acceptTokens?: readonly string[];
  /** The `aud` a JWT must carry (string or one of a list), when set. */
  audience?: string;
  /** Lifetime of issued credentials in seconds; default the request's DurationSeconds, else 7200. */
  lifetimeSeconds?: number | undefined;
  /** The only RoleArn / ProviderId accepted, when set. */
  roleArn?: string;
  providerId?: string;
  /** Milliseconds since the epoch; default `Date.now`. Issued credentials expire by this clock. */
  clock?: { now(): number };
}

/** Errors the stand-in can be told to answer with. */
export type StsFailure =
  | 'InvalidParameter'
  | 'AuthFailure'
  | 'ExpiredToken'
  | { readonly code: string; readonly message: string };

export interface StsRequestRecord {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body with WebIdentityToken replaced by `***`; undefined when it did not parse. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  /** `Error.Code` answered, or undefined for credentials. */
  readonly error: string | undefined;
}

export interface IssuedCredential extends EmulatorCredential {
  readonly sessionToken: string;
  /** Milliseconds since the epoch, by the stand-in's clock. */
  readonly expiresAt: number;
  readonly roleSessionName: string;
}

export interface StsEmulator {
  /** e.g. `http://127.0.0.1:41235`: the `sts-endpoint` for clients. */
  readonly url: string;
  /** For `startEmulator({ temporaryCredentials })`. */
  readonly issued: TemporaryCredentialSource;
  /** Every credential issued so far, oldest first. */
  readonly credentials: readonly IssuedCredential[];
  readonly requests: readonly StsRequestRecord[];
  /** Answer the next `count` requests (all, when absent) with `failure`; `undefined` clears it. */
  fail(failure: StsFailure | undefined, count?: number): void;
  /** Forgets the recorded requests and any failure set (issued credentials stay valid). */
  reset(): void;
  close(): Promise<void>;
}

const ACTION = 'AssumeRoleWithWebIdentity';
const VERSION = '2018-08-13';
const MAX_BODY = 64 * 1024;
const SESSION_NAME = /^[\w+=,.@-]{2,128}$/;
const ROLE_ARN = /^qcs::cam::uin\/\d+:(roleName|role)\/\S+$/;

class ApiError {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

const FAILURES: Readonly<Record<Exclude<StsFailure, object>, ApiError>> = {
  InvalidParameter: new ApiError('InvalidParameter', 'Incorrect parameter.'),
  AuthFailure: new ApiError(
    'AuthFailure.UnauthorizedOperation',
    'The request is not authorized: the role does not trust this identity provider for this token.',
  ),
  ExpiredToken: new ApiError('InvalidParameter.WebIdentityTokenError', 'WebIdentityToken has expired.'),
};

function base64urlJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A JWT-shaped token (header `{alg, typ}`, the claims, a random signature) for tests and demos. */
export function exampleWebIdentityToken(
  claims: Readonly<Record<string, unknown>> = {},
  nowMs = Date.now(),
): string {
  const now = Math.floor(nowMs / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'cos-emulator' })).toString(
    'base64url',
  );
  const payload = Buffer.from(
    JSON.stringify({
      iss: 'https://token.actions.githubusercontent.com',
      aud: 'sts.tencentcloudapi.com',
      sub: 'repo:example/repo:ref:refs/heads/main',
      iat: now,
      exp: now + 600,
      ...claims,
    }),
  ).toString('base64url');
  return `${header}.${payload}.${randomBytes(32).toString('base64url')}`;
}

function random(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

class StsServer {
  readonly #options: StsEmulatorOptions;
  readonly #clock: { now(): number };
  readonly issued = new Map<string, IssuedCredential>();
  readonly requests: StsRequestRecord[] = [];
  failure: { readonly error: ApiError; remaining: number } | undefined;

  constructor(options: StsEmulatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  now(): number {
    return this.#clock.now();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const raw = await readBody(req);
    let body: Record<string, unknown> | undefined;
    try {
      const parsed = raw === undefined ? undefined : (JSON.parse(raw) as unknown);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        body = parsed as Record<string, unknown>;
      }
    } catch {
      body = undefined;
    }
    const shown =
      body === undefined
        ? undefined
        : { ...body, ...('WebIdentityToken' in body ? { WebIdentityToken: '***' } : {}) };
    const requestId = randomUUID();
    let answer: Record<string, unknown>;
    let error: string | undefined;
    try {
      answer = { ...this.#answer(req.method ?? '', headers, raw, body), RequestId: requestId };
    } catch (caught: unknown) {
      if (!(caught instanceof ApiError)) throw caught;
      error = caught.code;
      answer = { Error: { Code: caught.code, Message: caught.message }, RequestId: requestId };
    }
    this.requests.push({ method: req.method ?? '', headers, body: shown, error });
    const bytes = Buffer.from(JSON.stringify({ Response: answer }));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
    res.end(bytes);
  }

  #answer(
    method: string,
    headers: Readonly<Record<string, string>>,
    raw: string | undefined,
    body: Record<string, unknown> | undefined,
  ): Record<string, unknown> {
    if (method !== 'POST')
      throw new ApiError('UnsupportedProtocol', `The stand-in takes POST, not ${method}.`);
    const action = headers['x-tc-action'];
    if (action === undefined) throw missing('X-TC-Action');
    if (action !== ACTION) throw new ApiError('InvalidAction', `The action ${action} does not exist.`);
    const version = headers['x-tc-version'];
    if (version === undefined) throw missing('X-TC-Version');
    if (version !== VERSION)
      throw new ApiError('NoSuchVersion', `The version ${version} of ${ACTION} does not exist.`);
    const region = headers['x-tc-region'];
    if (region === undefined) throw missing('X-TC-Region');
    if (!/^[a-z]{2,}-[a-z]+(-\d+)?$/.test(region))
      throw new ApiError('UnsupportedRegion', `The region ${region} is not supported.`);
    const timestamp = headers['x-tc-timestamp'];
    if (timestamp === undefined) throw missing('X-TC-Timestamp');
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) * 1000 - this.now()) > 300_000) {
      throw new ApiError(
        'AuthFailure.SignatureExpire',
        'The timestamp differs from the server time by more than five minutes.',
      );
    }
    if (headers.authorization !== 'SKIP') {
      throw new ApiError(
        'AuthFailure.SignatureFailure',
        `${ACTION} is called unsigned: Authorization must be SKIP.`,
      );
    }
    if (!/^application\/json(\s*;.*)?$/i.test(headers['content-type'] ?? '')) {
      throw new ApiError('InvalidParameter', 'Content-Type must be application/json.');
    }
    if (raw === undefined)
      throw new ApiError('InvalidParameter', `The body is larger than ${MAX_BODY} bytes.`);
    if (body === undefined) throw new ApiError('InvalidParameter', 'The body is not a JSON object.');
    const field = (name: string): string => {
      const value = body[name];
      if (value === undefined || value === '') throw missing(name);
      if (typeof value !== 'string') throw new ApiError('InvalidParameterValue', `${name} must be a string.`);
      return value;
    };
    const providerId = field('ProviderId');
    const token = field('WebIdentityToken');
    const roleArn = field('RoleArn');
    const sessionName = field('RoleSessionName');
    const duration = body.DurationSeconds;
    if (
      duration !== undefined &&
      !(Number.isInteger(duration) && (duration as number) >= 1 && (duration as number) <= 43_200)
    ) {
      throw new ApiError(
        'InvalidParameter.OverTimeError',
        'DurationSeconds must be a whole number of seconds up to 43200.',
      );
    }
    const unknownField = Object.keys(body).find(
      (name) =>
        !['ProviderId', 'WebIdentityToken', 'RoleArn', 'RoleSessionName', 'DurationSeconds'].includes(name),
    );
    if (unknownField !== undefined)
      throw new ApiError('UnknownParameter', `The parameter ${unknownField} is not known.`);
    if (!SESSION_NAME.test(sessionName)) {
      throw new ApiError(
        'InvalidParameter.ParamError',
        'RoleSessionName must be 2 to 128 characters of [\\w+=,.@-].',
      );
    }
    if (
      !ROLE_ARN.test(roleArn) ||
      (this.#options.roleArn !== undefined && roleArn !== this.#options.roleArn)
    ) {
      throw new ApiError('ResourceNotFound.RoleNotFound', 'The role does not exist.');
    }
    if (this.#options.providerId !== undefined && providerId !== this.#options.providerId) {
      throw new ApiError('InvalidParameter.ParamError', `No identity provider is named ${providerId}.`);
    }
    const failure = this.failure;
    if (failure !== undefined) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failure = undefined;
      throw failure.error;
    }
    this.#checkToken(token);
    const lifetime = this.#options.lifetimeSeconds ?? (typeof duration === 'number' ? duration : 7200);
    const expiresAt = Math.floor((this.now() + lifetime * 1000) / 1000) * 1000;
    const credential: IssuedCredential = {
      secretId: `AKID${random(32)}`,
      secretKey: random(32),
      sessionToken: random(320),
      expiresAt,
      roleSessionName: sessionName,
    };
    this.issued.set(credential.secretId, credential);
    return {
      Credentials: {
        Token: credential.sessionToken,
        TmpSecretId: credential.secretId,
        TmpSecretKey: credential.secretKey,
      },
      ExpiredTime: expiresAt / 1000,
      Expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  #checkToken(token: string): void {
    const accept = this.#options.acceptTokens ?? [];
    if (accept.length > 0) {
      if (!accept.includes(token)) throw invalidToken('WebIdentityToken is not valid.');
      return;
    }
    const parts = token.split('.');
    const header =
      parts.length === 3 && parts.every((p) => /^[\w-]*$/.test(p))
        ? base64urlJson(parts[0] ?? '')
        : undefined;
    if (typeof (header as { alg?: unknown } | undefined)?.alg !== 'string') {
      throw invalidToken('WebIdentityToken is not a JWT.');
    }
    const claims = base64urlJson(parts[1] ?? '') as { exp?: unknown; aud?: unknown } | undefined;
    if (typeof claims !== 'object' || claims === null) throw invalidToken('WebIdentityToken has no claims.');
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= this.now()) {
      throw invalidToken('WebIdentityToken has expired.');
    }
    const audience = this.#options.audience;
    if (audience !== undefined) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.includes(audience))
        throw invalidToken(`WebIdentityToken is not for the audience ${audience}.`);
    }
  }
}

function missing(name: string): ApiError {
  return new ApiError('MissingParameter', `The request is missing a required parameter ${name}.`);
}

function invalidToken(message: string): ApiError {
  return new ApiError('InvalidParameter.WebIdentityTokenError', message);
}

/** The body as text; undefined when it is larger than MAX_BODY (the rest is drained). */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8');
}

/** Starts the STS stand-in on `host:port` (default `127.0.0.1:0`). */
export async function startStsEmulator(options: StsEmulatorOptions = {}): Promise<StsEmulator> {
  const sts = new StsServer(options);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    sts.handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    issued: {
      lookup: (secretId) => {
        const credential = sts.issued.get(secretId);
        return credential === undefined
          ? undefined
          : { credential, expired: sts.now() >= credential.expiresAt };
      },
    },
    get credentials() {
      return [...sts.issued.values()];
    },
    requests: sts.requests,
    fail: (failure, count) => {
      sts.failure =
        failure === undefined
          ? undefined
          : {
              error:
                typeof failure === 'string' ? FAILURES[failure] : new ApiError(failure.code, failure.message),
              remaining: count ?? Number.POSITIVE_INFINITY,
            };
    },
    reset: () => {
      sts.requests.length = 0;
      sts.failure = undefined;
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
