export const id = 755;
export const ids = [755];
export const modules = {

/***/ 4755:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  emulatorHelp: () => (/* binding */ emulatorHelp),
  main: () => (/* binding */ main)
});

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(7975);
// EXTERNAL MODULE: ./lib/base/wrap.js
var wrap = __webpack_require__(9205);
;// CONCATENATED MODULE: ./lib/emulator/faults.js
// Fault injection: what can go wrong between a COS client and COS, on demand and repeatable.
/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function mulberry32(seed) {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const ERROR_CODES = {
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'SlowDown',
};
/** Runtime state behind `Faults`: the PRNG, per-key GET counters. */
class FaultState {
    faults = {};
    #random = mulberry32(1);
    #seed;
    #getCounts = new Map();
    #changedKeys = new Set();
    /** Matching requests each `failNext` entry has let through (its `skip`). */
    #skipped = new WeakMap();
    /** Body bytes promised to responses so far (`stallAfterTotalBytes`). */
    #budgetUsed = 0;
    set(partial) {
        Object.assign(this.faults, partial);
        this.#restart();
    }
    clear() {
        for (const name of Object.keys(this.faults))
            delete this.faults[name];
        this.#restart();
    }
    #restart() {
        this.#seed = this.faults.seed;
        this.#random = mulberry32(this.faults.seed ?? 1);
        this.#getCounts.clear();
        this.#changedKeys.clear();
        this.#skipped = new WeakMap();
        this.#budgetUsed = 0;
    }
    #draw() {
        if (this.faults.seed !== this.#seed)
            this.#restart();
        return this.#random();
    }
    /** The queued or random failure this request must answer, if any. */
    takeFailure(kind) {
        const queue = this.faults.failNext;
        if (queue !== undefined) {
            const index = queue.findIndex((entry) => entry.kinds === undefined || (kind !== 'other' && entry.kinds.includes(kind)));
            const entry = queue[index];
            const passed = entry === undefined ? 0 : (this.#skipped.get(entry) ?? 0);
            if (entry !== undefined && passed < (entry.skip ?? 0)) {
                this.#skipped.set(entry, passed + 1);
            }
            else if (entry !== undefined) {
                queue.splice(index, 1);
                return { status: entry.status, code: entry.code, retryAfter: entry.retryAfter };
            }
        }
        const rate = this.faults.errorRate ?? 0;
        if (rate > 0 && this.#draw() < rate) {
            const status = this.faults.errorStatus ?? 503;
            return { status, code: ERROR_CODES[status] ?? 'InternalError' };
        }
        return undefined;
    }
    /** How long this request waits before its headers: `latencyMs`, for a seeded share with `latencyRate`. */
    latency() {
        const { latencyMs, latencyRate } = this.faults;
        if (latencyMs === undefined || latencyMs <= 0)
            return 0;
        if (latencyRate !== undefined && !(this.#draw() < latencyRate))
            return 0;
        return latencyMs;
    }
    /** Counts a GET of `key`; true exactly once, when the key must change before it is served. */
    countGet(key) {
        const count = (this.#getCounts.get(key) ?? 0) + 1;
        this.#getCounts.set(key, count);
        const limit = this.faults.etagChangeAfterRequests;
        if (limit === undefined || count <= limit || this.#changedKeys.has(key))
            return false;
        this.#changedKeys.add(key);
        return true;
    }
    /** Where (and how) a GET body of `length` bytes is cut short, if at all. */
    bodyCut(length) {
        const cuts = [];
        const { resetAfterBytes, truncateBody, stallAfterBytes, stallAfterTotalBytes } = this.faults;
        if (resetAfterBytes !== undefined && resetAfterBytes < length) {
            cuts.push({ at: Math.max(0, Math.floor(resetAfterBytes)), action: 'reset' });
        }
        for (const [rate, action] of [
            [this.faults.resetRate, 'reset'],
            [this.faults.truncateRate, 'end'],
            [this.faults.stallRate, 'stall'],
        ]) {
            if (rate !== undefined && rate > 0 && length > 0 && this.#draw() < rate) {
                cuts.push({ at: Math.floor(this.#draw() * length), action });
            }
        }
        if (truncateBody === true && length > 0)
            cuts.push({ at: Math.floor(length / 2), action: 'end' });
        if (stallAfterBytes !== undefined && stallAfterBytes < length) {
            cuts.push({ at: Math.max(0, Math.floor(stallAfterBytes)), action: 'stall' });
        }
        if (stallAfterTotalBytes !== undefined) {
            const left = Math.max(0, Math.floor(stallAfterTotalBytes) - this.#budgetUsed);
            if (left < length)
                cuts.push({ at: left, action: 'stall' });
        }
        let first;
        for (const cut of cuts)
            if (first === undefined || cut.at < first.at)
                first = cut;
        if (stallAfterTotalBytes !== undefined)
            this.#budgetUsed += first?.at ?? length;
        return first;
    }
}

;// CONCATENATED MODULE: ./lib/emulator/demo.js
// Sample objects for `cos-download emulator --demo`: something of every kind a user may try.

/** Deterministic pseudo-random bytes (the same demo every run). */
function seededBytes(length, seed) {
    const random = mulberry32(seed);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i += 1)
        bytes[i] = Math.floor(random() * 256);
    return bytes;
}
/** Puts the demo objects; leaves versioning on (the versioned object needs it). */
function loadDemo(emulator) {
    emulator.put('hello.txt', 'Hello from the local COS emulator.\n', { contentType: 'text/plain' });
    emulator.put('data/random-3MiB.bin', seededBytes(3 * 1024 * 1024, 2024));
    emulator.put('dir/', '', { contentType: 'application/x-directory' });
    emulator.put('dir/nested.txt', 'A file inside dir/.\n', { contentType: 'text/plain' });
    emulator.put('archive/cold.bin', seededBytes(4096, 7), { storageClass: 'ARCHIVE' });
    emulator.setVersioning(true);
    const first = emulator.put('versioned.txt', 'version 1\n', { contentType: 'text/plain' });
    emulator.put('versioned.txt', 'version 2\n', { contentType: 'text/plain' });
    return [
        { key: 'hello.txt', note: 'small text file' },
        { key: 'data/random-3MiB.bin', note: '3 MiB binary (ranged, parallel download)' },
        { key: 'dir/', note: 'folder marker' },
        { key: 'dir/nested.txt', note: 'object under dir/' },
        { key: 'archive/cold.bin', note: 'ARCHIVE storage class: GET answers 403 InvalidObjectState' },
        { key: 'versioned.txt', note: `2 versions; the first is ${first.versionId}` },
    ];
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(8500);
;// CONCATENATED MODULE: ./lib/emulator/answer.js
/** A COS error to answer with. */
class CosError {
    status;
    code;
    message;
    headers;
    constructor(status, code, message, headers = {}) {
        this.status = status;
        this.code = code;
        this.message = message;
        this.headers = headers;
    }
}
/** A request header as one string (repeated headers joined with `, `). */
function header(req, name) {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
}

// EXTERNAL MODULE: ./lib/cos/sign.js
var sign = __webpack_require__(9966);
;// CONCATENATED MODULE: ./lib/emulator/auth.js
// Verifies COS request signatures (q-sign-algorithm=sha1), from the Authorization header or
// from the query string of a pre-signed URL.


/** Query parameters that carry a pre-signed URL's signature; they are not themselves signed. */
const SIGNATURE_PARAMS = new Set([...sign/* SIGNATURE_FIELDS */.X8, sign/* SECURITY_TOKEN */.ZS]);
/**
 * Strict mode (the design's rule): host, Range, every If-* and every x-cos-* header sent must
 * be signed — except x-cos-security-token, which the official SDKs add after signing. A presigned
 * link is held by someone who cannot sign, so only its `host` must be signed: the Range and
 * If-Match of a ranged download, or curl's own headers, ride on it unsigned, as COS lets them.
 */
function mustBeSigned(name) {
    if (name === 'x-cos-security-token')
        return false;
    return name === 'host' || name === 'range' || name.startsWith('if-') || name.startsWith('x-cos-');
}
function headerValue(headers, name) {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
}
function knowsKeys(policy) {
    return policy.credentials.size > 0 || policy.temporary !== undefined;
}
function deny(status, code, message) {
    return { ok: false, status, code, message };
}
function sameText(a, b) {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && (0,external_node_crypto_.timingSafeEqual)(left, right);
}
function auth_window(value) {
    const match = /^(\d+);(\d+)$/.exec(value);
    if (match === null)
        return undefined;
    return [Number(match[1]), Number(match[2])];
}
/** The Authorization value of a pre-signed URL (signature fields in the query), if any. */
function queryAuthorization(query) {
    const fields = query.filter(([name]) => SIGNATURE_PARAMS.has(name) && name.startsWith('q-'));
    if (fields.length === 0)
        return undefined;
    return fields.map(([name, value]) => `${name}=${value}`).join('&');
}
/**
 * Decides whether a request may proceed. `wantsSignature` marks requests COS refuses
 * anonymously even on a public bucket (`response-*` parameters).
 */
function authenticate(request, policy, wantsSignature) {
    const header = headerValue(request.headers, 'authorization');
    const fromQuery = header === undefined ? queryAuthorization(request.query) : undefined;
    const authorization = header ?? fromQuery;
    if (authorization === undefined) {
        if (wantsSignature) {
            return deny(403, 'AccessDenied', 'Anonymous requests may not use response-* parameters; sign the request.');
        }
        if (knowsKeys(policy) && !policy.publicRead)
            return deny(403, 'AccessDenied', 'Access Denied.');
        return { ok: true, signed: false };
    }
    const parsed = (0,sign/* parseAuthorization */.xW)(authorization);
    if (parsed === undefined || parsed.algorithm !== 'sha1') {
        return deny(403, 'AccessDenied', 'Authorization is malformed: expected q-sign-algorithm=sha1&q-ak=…&q-signature=….');
    }
    if (!knowsKeys(policy))
        return { ok: true, signed: true };
    const temporary = policy.credentials.has(parsed.accessKey)
        ? undefined
        : policy.temporary?.lookup(parsed.accessKey);
    const credential = policy.credentials.get(parsed.accessKey) ?? temporary?.credential;
    if (credential === undefined) {
        return deny(403, 'InvalidAccessKeyId', 'The access key Id format you provided is invalid.');
    }
    if (temporary?.expired)
        return deny(400, 'ExpiredToken', 'The provided token has expired.');
    const signTime = auth_window(parsed.signTime);
    const keyTime = auth_window(parsed.keyTime);
    if (signTime === undefined || keyTime === undefined) {
        return deny(403, 'AccessDenied', 'q-sign-time and q-key-time must be "start;end" in seconds.');
    }
    const start = Math.max(signTime[0], keyTime[0]);
    const end = Math.min(signTime[1], keyTime[1]);
    const now = request.nowSeconds;
    // A header signature far outside its window means the client's clock is off (it signs as it
    // sends); a link's window is fixed when it is made, so past its end it has simply expired.
    const linkExpired = fromQuery !== undefined && now > end;
    if (now < start - policy.maxSkewSeconds || (!linkExpired && now > end + policy.maxSkewSeconds)) {
        return deny(403, 'RequestTimeTooSkewed', 'The difference between the request time and the server time is too large.');
    }
    if (now > end)
        return deny(403, 'AccessDenied', 'Request has expired');
    // Recompute over exactly the headers and parameters the client says it signed.
    const headerList = new Set(parsed.headerList);
    const headers = {};
    for (const name of parsed.headerList) {
        const value = headerValue(request.headers, name);
        if (value === undefined) {
            return deny(403, 'SignatureDoesNotMatch', `The signed header "${name}" is missing from the request.`);
        }
        headers[name] = value.trim();
    }
    const paramList = new Set(parsed.urlParamList);
    const params = {};
    const seen = new Set();
    for (const [name, value] of request.query) {
        const canonical = (0,sign/* cosEncode */.Gp)(name).toLowerCase();
        if (paramList.has(canonical)) {
            params[name] = value;
            seen.add(canonical);
        }
        else if (policy.strict && !(fromQuery !== undefined && SIGNATURE_PARAMS.has(name))) {
            return deny(403, 'SignatureDoesNotMatch', `The query parameter "${name}" is not signed (q-url-param-list).`);
        }
    }
    for (const name of parsed.urlParamList) {
        if (!seen.has(name)) {
            return deny(403, 'SignatureDoesNotMatch', `The signed query parameter "${name}" is missing from the request.`);
        }
    }
    if (policy.strict) {
        const unsigned = Object.keys(request.headers).find((name) => (fromQuery === undefined ? mustBeSigned(name) : name === 'host') && !headerList.has(name));
        if (unsigned !== undefined) {
            return deny(403, 'SignatureDoesNotMatch', `The header "${unsigned}" is sent but not signed (q-header-list).`);
        }
    }
    const expected = (0,sign/* computeSignature */.aW)(credential.secretKey, parsed.keyTime, request.method, request.path, params, headers);
    if (!sameText(expected.signature, parsed.signature)) {
        return deny(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
    if (credential.sessionToken !== undefined) {
        // A link carries its token in the query; a signed request in a header (or the query).
        const inQuery = request.query.findLast(([name]) => name === sign/* SECURITY_TOKEN */.ZS)?.[1];
        const token = fromQuery === undefined ? (headerValue(request.headers, sign/* SECURITY_TOKEN */.ZS) ?? inQuery) : inQuery;
        if (token === undefined || !sameText(token, credential.sessionToken)) {
            return deny(403, 'InvalidToken', 'The provided x-cos-security-token is missing or invalid.');
        }
    }
    return { ok: true, signed: true };
}

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
;// CONCATENATED MODULE: ./lib/emulator/crc64-reference.js
// CRC-64/XZ (a.k.a. CRC-64/ECMA-182 as COS calls it in `x-cos-hash-crc64ecma`), written to be
// obviously correct rather than fast: a byte-wise table over two unsigned 32-bit halves, no
// BigInt. It is the emulator's own oracle, independent of the transfer engine's implementation.
//
// Parameters: reflected polynomial 0xC96C5795D7870F42, init 0xFFFFFFFFFFFFFFFF, xorout
// 0xFFFFFFFFFFFFFFFF. Check value for ASCII "123456789": 0x995DC9BBDF1939FA.
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let n = 0; n < 256; n += 1) {
    let hi = 0;
    let lo = n;
    for (let bit = 0; bit < 8; bit += 1) {
        const carry = lo & 1;
        // 64-bit logical shift right by one across the two halves.
        lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
        hi = hi >>> 1;
        if (carry === 1) {
            hi = (hi ^ POLY_HI) >>> 0;
            lo = (lo ^ POLY_LO) >>> 0;
        }
    }
    TABLE_HI[n] = hi;
    TABLE_LO[n] = lo;
}
/** CRC of the empty input (and the starting point for `crc64Reference(bytes, previous)`). */
const CRC64_EMPTY = { hi: 0, lo: 0 };
/**
 * CRC-64/XZ of `bytes`. Pass the CRC of the preceding bytes as `previous` to continue a
 * running CRC: `crc64Reference(b, crc64Reference(a))` equals the CRC of `a` followed by `b`.
 */
function crc64Reference(bytes, previous = CRC64_EMPTY) {
    let hi = ~previous.hi >>> 0;
    let lo = ~previous.lo >>> 0;
    for (let i = 0; i < bytes.length; i++) {
        const index = (lo ^ bytes[i]) & 0xff;
        // crc = (crc >>> 8) ^ table[index], on the two halves.
        lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ (TABLE_LO[index] ?? 0)) >>> 0;
        hi = ((hi >>> 8) ^ (TABLE_HI[index] ?? 0)) >>> 0;
    }
    return { hi: ~hi >>> 0, lo: ~lo >>> 0 };
}
/** The unsigned decimal form COS sends in `x-cos-hash-crc64ecma`. */
function crc64ToDecimal(value) {
    // Long division by 10 over four 16-bit limbs, most significant first; every step stays far
    // below 2^53, so plain numbers are exact.
    const limbs = [value.hi >>> 16, value.hi & 0xffff, value.lo >>> 16, value.lo & 0xffff];
    const digits = [];
    while (limbs.some((limb) => limb !== 0)) {
        let remainder = 0;
        for (let i = 0; i < limbs.length; i += 1) {
            const current = remainder * 0x10000 + (limbs[i] ?? 0);
            limbs[i] = Math.floor(current / 10);
            remainder = current % 10;
        }
        digits.push(remainder);
    }
    return digits.length === 0 ? '0' : digits.reverse().join('');
}
/** Sixteen lowercase hex digits. */
function crc64ToHex(value) {
    return value.hi.toString(16).padStart(8, '0') + value.lo.toString(16).padStart(8, '0');
}
/** CRC-64/XZ of `bytes` as the unsigned decimal string COS uses. */
function crc64ReferenceDecimal(bytes) {
    return crc64ToDecimal(crc64Reference(bytes));
}

;// CONCATENATED MODULE: ./lib/emulator/store.js
// The emulator's bucket: keys, their versions and metadata, in memory.




const NULL_VERSION = 'null';
/** UTF-8 byte order, the order COS lists keys in. */
function compareKeys(a, b) {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
function quoteEtag(etag) {
    return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}
function publicView(version) {
    return {
        key: version.key,
        versionId: version.versionId,
        etag: version.etag,
        size: version.size,
        lastModified: new Date(version.lastModified.getTime()),
        crc64: version.crc64,
        storageClass: version.storageClass,
        deleteMarker: version.deleteMarker,
    };
}
/** Validates an SSE-C key and returns its base64 MD5. */
function sseKeyMd5(key) {
    const raw = Buffer.from(key, 'base64');
    if (raw.length !== 32 || raw.toString('base64') !== key) {
        throw new Error(`sseCustomerKey must be the base64 of 32 bytes (AES-256); got ${raw.length} bytes`);
    }
    return (0,external_node_crypto_.createHash)('md5').update(raw).digest('base64');
}
class Store {
    /** Versions per key, oldest first. */
    #keys = new Map();
    #sortedKeys;
    #versioning = false;
    #sequence = 0;
    #now;
    #synthetic;
    constructor(now, synthetic) {
        this.#now = now;
        this.#synthetic =
            synthetic === undefined
                ? undefined
                : new Synthetic(synthetic, new Date(Math.floor(now() / 1000) * 1000));
    }
    get versioning() {
        return this.#versioning;
    }
    setVersioning(enabled) {
        this.#versioning = enabled;
    }
    #newVersionId() {
        // Shaped like COS's: base64 of a long decimal number, unpadded.
        this.#sequence += 1;
        const digits = `${this.#now()}${String(this.#sequence).padStart(6, '0')}${(0,external_node_crypto_.randomBytes)(2).readUInt16BE(0)}`;
        return Buffer.from(digits).toString('base64').replace(/=+$/, '');
    }
    #secondsNow() {
        return new Date(Math.floor(this.#now() / 1000) * 1000);
    }
    /** Appends a version: a new id when versioning is on, else it replaces the `null` version. */
    #append(key, version) {
        const existing = this.#keys.get(key) ?? [];
        const kept = this.#versioning ? existing : existing.filter((v) => v.versionId !== NULL_VERSION);
        kept.push(version);
        if (!this.#keys.has(key))
            this.#sortedKeys = undefined;
        this.#keys.set(key, kept);
    }
    put(key, body, options = {}) {
        if (key === '')
            throw new Error('an object key must not be empty');
        const bytes = typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : new Uint8Array(body);
        const lastModified = options.lastModified === undefined
            ? this.#secondsNow()
            : new Date(Math.floor(options.lastModified.getTime() / 1000) * 1000);
        const sseCustomerKeyMd5 = options.sseCustomerKey === undefined ? undefined : sseKeyMd5(options.sseCustomerKey);
        const version = {
            key,
            versionId: this.#versioning ? this.#newVersionId() : NULL_VERSION,
            etag: quoteEtag(options.etag ?? (0,external_node_crypto_.createHash)('md5').update(bytes).digest('hex')),
            size: bytes.length,
            lastModified,
            crc64: crc64ReferenceDecimal(bytes),
            storageClass: options.storageClass ?? 'STANDARD',
            deleteMarker: false,
            body: bytes,
            sendCrc64: options.crc64 ?? true,
            contentType: options.contentType ?? 'application/octet-stream',
            metadata: { ...options.metadata },
            cacheControl: options.cacheControl,
            contentDisposition: options.contentDisposition,
            contentEncoding: options.contentEncoding,
            sseCustomerKey: options.sseCustomerKey,
            sseCustomerKeyMd5,
            options: { ...options },
        };
        this.#append(key, version);
        return version;
    }
    /** A delete marker when versioning is on (or older versions exist), else removes the key. */
    remove(key) {
        const others = (this.#keys.get(key) ?? []).filter((v) => v.versionId !== NULL_VERSION);
        if (!this.#versioning && others.length === 0) {
            this.#keys.delete(key);
            this.#sortedKeys = undefined;
            return;
        }
        const empty = new Uint8Array(0);
        this.#append(key, {
            key,
            versionId: this.#versioning ? this.#newVersionId() : NULL_VERSION,
            etag: '',
            size: 0,
            lastModified: this.#secondsNow(),
            crc64: '0',
            storageClass: 'STANDARD',
            deleteMarker: true,
            body: empty,
            sendCrc64: false,
            contentType: 'application/octet-stream',
            metadata: {},
            cacheControl: undefined,
            contentDisposition: undefined,
            contentEncoding: undefined,
            sseCustomerKey: undefined,
            sseCustomerKeyMd5: undefined,
            options: {},
        });
    }
    /** Newest first. */
    versions(key) {
        const stored = this.#keys.get(key);
        if (stored !== undefined)
            return [...stored].reverse();
        const generated = this.#synthetic?.version(key);
        return generated === undefined ? [] : [generated];
    }
    latest(key) {
        return this.#keys.get(key)?.at(-1) ?? this.#synthetic?.version(key);
    }
    version(key, versionId) {
        const stored = this.#keys.get(key)?.find((v) => v.versionId === versionId);
        if (stored !== undefined || versionId !== NULL_VERSION)
            return stored;
        return this.#keys.has(key) ? undefined : this.#synthetic?.version(key);
    }
    /** Every key after `after` whose latest version is not a delete marker, in UTF-8 byte order. */
    *listable(after = '') {
        if (this.#sortedKeys === undefined)
            this.#sortedKeys = [...this.#keys.keys()].sort(compareKeys);
        const sorted = this.#sortedKeys;
        // The first stored key past `after`, by binary search.
        let low = 0;
        let high = sorted.length;
        while (low < high) {
            const mid = (low + high) >>> 1;
            if (compareKeys(sorted[mid], after) <= 0)
                low = mid + 1;
            else
                high = mid;
        }
        const generated = this.#synthetic?.keysAfter(after) ?? [][Symbol.iterator]();
        let next = generated.next();
        for (let i = low; i < sorted.length || !next.done;) {
            const stored = sorted[i];
            if (stored !== undefined && (next.done || compareKeys(stored, next.value) <= 0)) {
                if (!next.done && stored === next.value)
                    next = generated.next();
                i++;
                const latest = this.latest(stored);
                if (latest !== undefined && !latest.deleteMarker)
                    yield latest;
            }
            else if (!next.done) {
                const version = this.#synthetic?.version(next.value);
                next = generated.next();
                if (version !== undefined)
                    yield version;
            }
        }
    }
}
/** The generated objects of a SyntheticObjects spec. */
class Synthetic {
    #spec;
    #width;
    #size;
    #lastModified;
    constructor(spec, lastModified) {
        this.#spec = spec;
        this.#width = String(Math.max(spec.count - 1, 0)).length;
        this.#size = spec.size ?? 1024;
        this.#lastModified = lastModified;
    }
    #key(index) {
        return `${this.#spec.prefix}${String(index).padStart(this.#width, '0')}`;
    }
    /** The keys after `after`, in order (found by binary search over the numbers). */
    *keysAfter(after) {
        let low = 0;
        let high = this.#spec.count;
        while (low < high) {
            const mid = (low + high) >>> 1;
            if (compareKeys(this.#key(mid), after) <= 0)
                low = mid + 1;
            else
                high = mid;
        }
        for (let i = low; i < this.#spec.count; i++)
            yield this.#key(i);
    }
    version(key) {
        const number = key.startsWith(this.#spec.prefix) ? key.slice(this.#spec.prefix.length) : '';
        if (number.length !== this.#width || !/^\d+$/.test(number) || Number(number) >= this.#spec.count) {
            return undefined;
        }
        // The key's own bytes, repeated: the same on every run.
        const seed = (0,external_node_crypto_.createHash)('sha256').update(key).digest();
        const body = new Uint8Array(this.#size);
        for (let at = 0; at < body.length; at += seed.length)
            body.set(seed.subarray(0, body.length - at), at);
        return {
            key,
            versionId: NULL_VERSION,
            etag: quoteEtag((0,external_node_crypto_.createHash)('md5').update(body).digest('hex')),
            size: body.length,
            lastModified: this.#lastModified,
            crc64: crc64ReferenceDecimal(body),
            storageClass: 'STANDARD',
            deleteMarker: false,
            body,
            sendCrc64: true,
            contentType: 'application/octet-stream',
            metadata: {},
            cacheControl: undefined,
            contentDisposition: undefined,
            contentEncoding: undefined,
            sseCustomerKey: undefined,
            sseCustomerKeyMd5: undefined,
            options: {},
        };
    }
}
const CONTENT_TYPES = {
    '.txt': 'text/plain',
    '.md': 'text/markdown',
    '.html': 'text/html',
    '.css': 'text/css',
    '.js': 'text/javascript',
    '.json': 'application/json',
    '.xml': 'application/xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.gif': 'image/gif',
    '.svg': 'image/svg+xml',
    '.pdf': 'application/pdf',
    '.zip': 'application/zip',
    '.gz': 'application/gzip',
    '.tar': 'application/x-tar',
};
/**
 * Puts every file under `root` into the store: key = path relative to `root` with `/`
 * separators; an empty folder becomes a `dir/` marker object. Symbolic links are followed.
 */
async function loadFolder(store, root) {
    let count = 0;
    const walk = async (folder) => {
        const entries = await (0,promises_.readdir)(folder);
        if (entries.length === 0 && folder !== root) {
            store.put(`${(0,external_node_path_.relative)(root, folder).split(external_node_path_.sep).join('/')}/`, new Uint8Array(0), {
                contentType: 'application/x-directory',
            });
            count += 1;
        }
        for (const name of entries.sort()) {
            const path = (0,external_node_path_.join)(folder, name);
            const info = await (0,promises_.stat)(path);
            if (info.isDirectory()) {
                await walk(path);
            }
            else if (info.isFile()) {
                store.put((0,external_node_path_.relative)(root, path).split(external_node_path_.sep).join('/'), await (0,promises_.readFile)(path), {
                    contentType: CONTENT_TYPES[(0,external_node_path_.extname)(name).toLowerCase()] ?? 'application/octet-stream',
                    lastModified: info.mtime,
                });
                count += 1;
            }
        }
    };
    await walk(root);
    return count;
}

;// CONCATENATED MODULE: ./lib/emulator/xml.js
// The XML COS answers with: error documents and ListBucketResult. Hand-written with one
// careful escaper, so the output is byte-for-byte predictable (COS's own layout: single-quoted
// declaration, `&quot;` inside ETag).

/**
 * Escapes text for an XML element. The five markup characters become entities; CR becomes
 * `&#13;` so it survives XML end-of-line normalisation. Other control characters cannot be
 * written in XML 1.0 at all: like COS, we leave them as they are (clients that expect such keys
 * ask for `encoding-type=url`).
 */
function escapeXml(text) {
    return text.replace(/[&<>"'\r]/g, (c) => {
        switch (c) {
            case '&':
                return '&amp;';
            case '<':
                return '&lt;';
            case '>':
                return '&gt;';
            case '"':
                return '&quot;';
            case "'":
                return '&apos;';
            default:
                return '&#13;';
        }
    });
}
const DECLARATION = "<?xml version='1.0' encoding='utf-8' ?>";
function xml_element(name, text) {
    return `<${name}>${escapeXml(text)}</${name}>`;
}
function errorXml(error) {
    return [
        DECLARATION,
        '<Error>',
        xml_element('Code', error.code),
        xml_element('Message', error.message),
        xml_element('Resource', error.resource),
        xml_element('RequestId', error.requestId),
        xml_element('TraceId', error.traceId),
        '</Error>',
    ].join('\n');
}
/**
 * `encoding-type=url`: percent-encoding of the UTF-8 bytes as `cosEncode` does, with `/` kept
 * (as in object URLs). Any decoder (decodeURIComponent, unquote, unquote_plus) gets the key
 * back, since space is `%20` and `+` is `%2B`.
 */
function urlEncodeKey(text) {
    return (0,sign/* cosEncode */.Gp)(text).replace(/%2F/g, '/');
}
function listBucketXml(result) {
    const text = (value) => (result.encodingUrl ? urlEncodeKey(value) : value);
    const lines = [DECLARATION, '<ListBucketResult>', xml_element('Name', result.bucket)];
    if (result.encodingUrl)
        lines.push(xml_element('EncodingType', 'url'));
    lines.push(xml_element('Prefix', text(result.prefix)), xml_element('Marker', text(result.marker)), xml_element('MaxKeys', String(result.maxKeys)));
    if (result.delimiter !== undefined)
        lines.push(xml_element('Delimiter', text(result.delimiter)));
    lines.push(xml_element('IsTruncated', String(result.isTruncated)));
    if (result.nextMarker !== undefined)
        lines.push(xml_element('NextMarker', text(result.nextMarker)));
    for (const entry of result.contents) {
        lines.push('<Contents>', xml_element('Key', text(entry.key)), xml_element('LastModified', entry.lastModified.toISOString()), xml_element('ETag', entry.etag), xml_element('Size', String(entry.size)), '<Owner>', xml_element('ID', result.ownerId), xml_element('DisplayName', result.ownerId), '</Owner>', xml_element('StorageClass', entry.storageClass), '</Contents>');
    }
    for (const prefix of result.commonPrefixes) {
        lines.push('<CommonPrefixes>', xml_element('Prefix', text(prefix)), '</CommonPrefixes>');
    }
    lines.push('</ListBucketResult>');
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./lib/emulator/listing.js
// GET Bucket (ListObjects): prefix, delimiter, marker, max-keys and encoding-type=url, answered in
// COS's key order, a page at a time.



const MAX_KEYS = 1000;
/** Answers a ListObjects request for the served bucket. */
function listObjects(served, exchange) {
    const params = new Map(exchange.query);
    const prefix = params.get('prefix') ?? '';
    const delimiterParam = params.get('delimiter');
    const delimiter = delimiterParam === '' ? undefined : delimiterParam;
    const marker = params.get('marker') ?? '';
    const maxKeysParam = params.get('max-keys');
    const encodingType = params.get('encoding-type');
    if (maxKeysParam !== undefined && !/^\d+$/.test(maxKeysParam)) {
        throw new CosError(400, 'InvalidArgument', `max-keys must be an integer from 0 to 1000, not "${maxKeysParam}".`);
    }
    // COS documents max-keys as at most 1000; like S3 we cap larger values instead of failing.
    const maxKeys = maxKeysParam === undefined ? MAX_KEYS : Math.min(MAX_KEYS, Number(maxKeysParam));
    if (encodingType !== undefined && encodingType !== 'url') {
        throw new CosError(400, 'InvalidArgument', `encoding-type must be "url", not "${encodingType}".`);
    }
    const contents = [];
    const commonPrefixes = [];
    let emitted = 0;
    let truncated = false;
    let last;
    let lastPrefix;
    // Keys before the prefix, or up to the marker, are not looked at.
    const after = compareKeys(marker, prefix) > 0 ? marker : prefix.length > 0 ? prefix.slice(0, -1) : '';
    for (const version of served.store.listable(after)) {
        if (!version.key.startsWith(prefix)) {
            if (compareKeys(version.key, prefix) > 0)
                break;
            continue;
        }
        if (marker !== '' && compareKeys(version.key, marker) <= 0)
            continue;
        const cut = delimiter === undefined ? -1 : version.key.indexOf(delimiter, prefix.length);
        const common = cut === -1 || delimiter === undefined ? undefined : version.key.slice(0, cut + delimiter.length);
        if (common !== undefined &&
            (common === lastPrefix || (marker !== '' && compareKeys(common, marker) <= 0))) {
            continue; // already listed, here or on an earlier page (marker = a common prefix)
        }
        if (maxKeys === 0)
            break;
        if (emitted === maxKeys) {
            truncated = true;
            break;
        }
        emitted += 1;
        if (common === undefined) {
            contents.push(version);
            // A broken listing (fault): every key appears twice.
            if (served.faultState.faults.repeatListedKeys)
                contents.push(version);
            last = version.key;
        }
        else {
            commonPrefixes.push(common);
            lastPrefix = common;
            last = common;
        }
    }
    const body = Buffer.from(listBucketXml({
        bucket: served.bucket,
        ownerId: served.ownerId,
        prefix,
        marker,
        maxKeys,
        delimiter,
        encodingUrl: encodingType === 'url',
        isTruncated: truncated,
        nextMarker: truncated ? last : undefined,
        contents,
        commonPrefixes,
    }), 'utf8');
    served.respond(exchange, 200, {
        'Content-Type': 'application/xml',
        'Content-Length': body.length,
        'x-cos-bucket-region': served.region,
    });
    exchange.res.end(body);
}

;// CONCATENATED MODULE: ./lib/emulator/http-rules.js
// Pure HTTP rules GET Object follows: Range (RFC 7233) and conditional requests (RFC 7232).
/**
 * Reads a `Range` header against an object of `size` bytes. COS accepts one range:
 * `bytes=a-b`, `bytes=a-`, `bytes=-n`. A header that does not parse, or asks for several ranges,
 * is ignored and the whole object is sent with 200 — what RFC 7233 §3.1 lets a server do and
 * what HTTP servers (and COS for multi-range) do; clients must therefore check for 206.
 */
function decideRange(header, size) {
    if (header === undefined)
        return { kind: 'whole' };
    const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
    if (match === null)
        return { kind: 'whole' };
    const [, first = '', last = ''] = match;
    if (first === '' && last === '')
        return { kind: 'whole' };
    if (first === '') {
        const suffix = Number(last);
        if (suffix === 0 || size === 0)
            return { kind: 'unsatisfiable' };
        return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
    }
    const start = Number(first);
    if (last !== '' && Number(last) < start)
        return { kind: 'whole' }; // invalid: ignored
    if (start >= size)
        return { kind: 'unsatisfiable' };
    return { kind: 'partial', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
function entityTags(header) {
    return header
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag !== '');
}
/** An entity tag without its quotes; clients often send COS ETags unquoted, COS accepts that. */
function opaque(tag) {
    const bare = tag.startsWith('W/') ? tag.slice(2) : tag;
    return bare.length >= 2 && bare.startsWith('"') && bare.endsWith('"') ? bare.slice(1, -1) : bare;
}
/** If-Match: strong comparison, `*` matches any existing object. */
function ifMatch(header, etag) {
    return entityTags(header).some((tag) => tag === '*' || (!tag.startsWith('W/') && opaque(tag) === opaque(etag)));
}
/** If-None-Match: weak comparison. True when some tag matches (→ 304). */
function ifNoneMatchHits(header, etag) {
    return entityTags(header).some((tag) => tag === '*' || opaque(tag) === opaque(etag));
}
function httpDate(header) {
    if (header === undefined)
        return undefined;
    const time = Date.parse(header);
    return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}
/**
 * RFC 7232 §6 for GET/HEAD: If-Match, else If-Unmodified-Since (412); then If-None-Match,
 * else If-Modified-Since (304). Dates compare to the second; unparseable dates are ignored.
 */
function evaluatePreconditions(conditions, etag, lastModified) {
    const modified = Math.floor(lastModified.getTime() / 1000);
    if (conditions.ifMatch !== undefined) {
        if (!ifMatch(conditions.ifMatch, etag))
            return { kind: 'failed', because: 'If-Match' };
    }
    else {
        const since = httpDate(conditions.ifUnmodifiedSince);
        if (since !== undefined && modified > since)
            return { kind: 'failed', because: 'If-Unmodified-Since' };
    }
    if (conditions.ifNoneMatch !== undefined) {
        if (ifNoneMatchHits(conditions.ifNoneMatch, etag)) {
            return { kind: 'not-modified', because: 'If-None-Match' };
        }
    }
    else {
        const since = httpDate(conditions.ifModifiedSince);
        if (since !== undefined && modified <= since)
            return { kind: 'not-modified', because: 'If-Modified-Since' };
    }
    return { kind: 'proceed' };
}

;// CONCATENATED MODULE: ./lib/emulator/sse-c.js
// SSE-C: an object stored with a customer key is served only to a request that carries the same key
// (algorithm, base64 key and its MD5), and a plain object refuses SSE-C headers, as COS does.


const SSE_ALGORITHM = 'x-cos-server-side-encryption-customer-algorithm';
const SSE_KEY = 'x-cos-server-side-encryption-customer-key';
const SSE_KEY_MD5 = 'x-cos-server-side-encryption-customer-key-md5';
/** The SSE-C header contract; returns the headers to echo. */
function checkSseCustomer(version, req) {
    const algorithm = header(req, SSE_ALGORITHM);
    const key = header(req, SSE_KEY);
    const keyMd5 = header(req, SSE_KEY_MD5);
    const sent = algorithm !== undefined || key !== undefined || keyMd5 !== undefined;
    if (version.sseCustomerKeyMd5 === undefined) {
        if (sent) {
            throw new CosError(400, 'InvalidRequest', 'The object is not encrypted with SSE-C; do not send SSE-C headers.');
        }
        return {};
    }
    if (!sent) {
        throw new CosError(400, 'InvalidRequest', 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.');
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
    if ((0,external_node_crypto_.createHash)('md5').update(raw).digest('base64') !== keyMd5) {
        throw new CosError(400, 'InvalidArgument', 'The calculated MD5 hash of the key did not match the hash that was provided.');
    }
    if (keyMd5 !== version.sseCustomerKeyMd5) {
        throw new CosError(403, 'AccessDenied', 'The SSE-C key does not match the key the object was stored with.');
    }
    return {
        'x-cos-server-side-encryption-customer-algorithm': 'AES256',
        'x-cos-server-side-encryption-customer-key-MD5': keyMd5,
    };
}

;// CONCATENATED MODULE: ./lib/emulator/throttle.js

const CHUNK = 64 * 1024;
/** A token bucket: `take(n)` waits until n bytes may go out at `bytesPerSecond`. */
class TokenBucket {
    #rate;
    #burst;
    #now;
    #tokens;
    #last;
    constructor(bytesPerSecond, burst, now = () => performance.now()) {
        this.#rate = bytesPerSecond;
        this.#burst = burst;
        this.#now = now;
        this.#tokens = burst;
        this.#last = now();
    }
    #refill() {
        const now = this.#now();
        this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
        this.#last = now;
    }
    /** Milliseconds to wait before `bytes` may be sent (0 = now); takes them when 0. */
    delayFor(bytes) {
        this.#refill();
        if (this.#tokens >= bytes) {
            this.#tokens -= bytes;
            return 0;
        }
        return Math.ceil(((bytes - this.#tokens) / this.#rate) * 1000);
    }
}
/** Resolves true once the chunk is flushed to the socket, false when the response closed first. */
function write(res, chunk) {
    return new Promise((resolve) => {
        const onClose = () => resolve(false);
        res.once('close', onClose);
        res.write(chunk, (error) => {
            res.off('close', onClose);
            resolve(error === undefined || error === null);
        });
    });
}
async function sendBody(res, plan) {
    const limit = plan.cut === undefined ? plan.bytes.length : Math.min(plan.cut.at, plan.bytes.length);
    const chunkSize = plan.bytesPerSecond === undefined
        ? CHUNK
        : Math.min(CHUNK, Math.max(1024, Math.floor(plan.bytesPerSecond / 20)));
    const bucket = plan.bytesPerSecond === undefined ? undefined : new TokenBucket(plan.bytesPerSecond, chunkSize);
    let offset = 0;
    while (offset < limit) {
        if (res.destroyed || plan.signal.aborted)
            return;
        const size = Math.min(chunkSize, limit - offset);
        for (let wait = bucket?.delayFor(size) ?? 0; wait > 0; wait = bucket?.delayFor(size) ?? 0) {
            try {
                await (0,external_node_timers_promises_.setTimeout)(wait, undefined, { signal: plan.signal });
            }
            catch {
                return; // the emulator is closing
            }
        }
        const sent = await write(res, plan.bytes.subarray(offset, offset + size));
        if (!sent)
            return;
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

;// CONCATENATED MODULE: ./lib/emulator/object.js





const ARCHIVE_CLASSES = new Set(['ARCHIVE', 'DEEP_ARCHIVE']);
const TRAFFIC_LIMIT_MIN = 819_200;
const TRAFFIC_LIMIT_MAX = 838_860_800;
const RESPONSE_OVERRIDES = [
    ['response-cache-control', 'Cache-Control'],
    ['response-content-disposition', 'Content-Disposition'],
    ['response-content-encoding', 'Content-Encoding'],
    ['response-content-language', 'Content-Language'],
    ['response-content-type', 'Content-Type'],
    ['response-expires', 'Expires'],
];
/** Characters Node (and HTTP) accept in a header value. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Replaces `key`'s content with every byte inverted (fault `etagChangeAfterRequests`). */
function changeContent(store, key) {
    const latest = store.latest(key);
    if (latest === undefined || latest.deleteMarker)
        return;
    const options = { ...latest.options };
    delete options.etag;
    delete options.lastModified;
    store.put(key, latest.body.map((byte) => byte ^ 0xff), options);
}
/** Answers GET or HEAD Object: faults, traffic limit, version, SSE-C, conditions, range, then the bytes. */
async function serveObject(served, exchange) {
    const { req, record, res } = exchange;
    const isGet = record.method === 'GET';
    const key = exchange.key.slice(1);
    const params = new Map(exchange.query);
    const faults = served.faultState.faults;
    if (isGet && faults.redirect !== undefined) {
        served.respond(exchange, 302, { Location: faults.redirect.location, 'Content-Length': 0 });
        res.end();
        return;
    }
    const trafficLimit = header(req, 'x-cos-traffic-limit') ?? params.get('x-cos-traffic-limit');
    let bytesPerSecond;
    if (trafficLimit !== undefined) {
        const bits = /^\d+$/.test(trafficLimit) ? Number(trafficLimit) : Number.NaN;
        if (!(bits >= TRAFFIC_LIMIT_MIN && bits <= TRAFFIC_LIMIT_MAX)) {
            throw new CosError(400, 'InvalidArgument', `x-cos-traffic-limit must be an integer from ${TRAFFIC_LIMIT_MIN} to ${TRAFFIC_LIMIT_MAX} (bit/s), not "${trafficLimit}".`);
        }
        bytesPerSecond = bits / 8;
    }
    if (isGet && served.faultState.countGet(key))
        changeContent(served.store, key);
    const version = lookup(served.store, key, params.get('versionId'));
    if (isGet && ARCHIVE_CLASSES.has(version.storageClass)) {
        throw new CosError(403, 'InvalidObjectState', "The operation is not valid for the object's storage class.", {
            'x-cos-storage-class': version.storageClass,
        });
    }
    const headers = objectHeaders(version, req, params);
    const outcome = evaluatePreconditions({
        ifMatch: header(req, 'if-match'),
        ifNoneMatch: header(req, 'if-none-match'),
        ifModifiedSince: header(req, 'if-modified-since'),
        ifUnmodifiedSince: header(req, 'if-unmodified-since'),
    }, version.etag, version.lastModified);
    if (outcome.kind === 'failed') {
        throw new CosError(412, 'PreconditionFailed', `Precondition not match (${outcome.because}).`);
    }
    if (outcome.kind === 'not-modified') {
        const notModified = { ETag: version.etag, 'Last-Modified': headers['Last-Modified'] ?? '' };
        for (const name of ['x-cos-hash-crc64ecma', 'x-cos-version-id', 'x-cos-storage-class']) {
            const value = headers[name];
            if (value !== undefined)
                notModified[name] = value;
        }
        served.respond(exchange, 304, notModified);
        res.end();
        return;
    }
    const size = version.size;
    let decision = decideRange(header(req, 'range'), size);
    if (faults.rangeIgnored === true)
        decision = { kind: 'whole' };
    if (decision.kind === 'unsatisfiable') {
        throw new CosError(416, 'InvalidRange', 'The requested range is not satisfiable.', {
            'Content-Range': `bytes */${size}`,
        });
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (decision.kind === 'partial') {
        ({ start, end } = decision);
        status = 206;
        const shift = faults.wrongContentRange === true ? 1 : 0;
        headers['Content-Range'] = `bytes ${start + shift}-${end + shift}/${size}`;
    }
    headers['Content-Length'] = end - start + 1;
    served.respond(exchange, status, headers);
    if (!isGet) {
        res.end();
        return;
    }
    let bytes = version.body.subarray(start, end + 1);
    const corrupt = faults.corruptByteAt;
    if (corrupt !== undefined && corrupt >= start && corrupt <= end) {
        bytes = Uint8Array.from(bytes);
        bytes[corrupt - start] = (bytes[corrupt - start] ?? 0) ^ 0xff;
    }
    await sendBody(res, {
        bytes,
        cut: served.faultState.bodyCut(bytes.length),
        bytesPerSecond,
        signal: served.closing.signal,
        onSent: (count) => served.stats.sent(record, count),
    });
}
function lookup(store, key, versionId) {
    const version = versionId === undefined ? store.latest(key) : store.version(key, versionId);
    if (version === undefined) {
        throw versionId === undefined
            ? new CosError(404, 'NoSuchKey', 'The specified key does not exist.')
            : new CosError(404, 'NoSuchVersion', 'The specified version does not exist.');
    }
    if (version.deleteMarker) {
        const headers = { 'x-cos-delete-marker': 'true' };
        if (version.versionId !== NULL_VERSION)
            headers['x-cos-version-id'] = version.versionId;
        throw new CosError(404, 'NoSuchKey', 'The specified key does not exist.', headers);
    }
    return version;
}
/** Headers of a 200/206/HEAD answer, after the SSE-C and response-* checks. */
function objectHeaders(version, req, params) {
    const headers = {
        'Content-Type': version.contentType,
        'Accept-Ranges': 'bytes',
        ETag: version.etag,
        'Last-Modified': version.lastModified.toUTCString(),
    };
    if (version.sendCrc64)
        headers['x-cos-hash-crc64ecma'] = version.crc64;
    if (version.versionId !== NULL_VERSION)
        headers['x-cos-version-id'] = version.versionId;
    // Like COS, the storage class header is left out for STANDARD.
    if (version.storageClass !== 'STANDARD')
        headers['x-cos-storage-class'] = version.storageClass;
    if (version.cacheControl !== undefined)
        headers['Cache-Control'] = version.cacheControl;
    if (version.contentDisposition !== undefined)
        headers['Content-Disposition'] = version.contentDisposition;
    if (version.contentEncoding !== undefined)
        headers['Content-Encoding'] = version.contentEncoding;
    for (const [name, value] of Object.entries(version.metadata))
        headers[`x-cos-meta-${name}`] = value;
    Object.assign(headers, checkSseCustomer(version, req));
    for (const [param, name] of RESPONSE_OVERRIDES) {
        const value = params.get(param);
        if (value === undefined)
            continue;
        if (!HEADER_VALUE.test(value)) {
            throw new CosError(400, 'InvalidArgument', `${param} holds characters a header cannot carry.`);
        }
        headers[name] = value;
    }
    return headers;
}

;// CONCATENATED MODULE: ./lib/emulator/stats.js
const REDACTED = '***';
const SECRET_HEADERS = new Set(['x-cos-security-token', 'x-cos-server-side-encryption-customer-key']);
const SECRET_PARAMS = new Set(['q-signature', 'x-cos-security-token']);
function recordHeaders(raw) {
    const headers = {};
    for (const [name, value] of Object.entries(raw)) {
        if (name === 'authorization' || value === undefined)
            continue;
        headers[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
    }
    return headers;
}
function redactAuthorization(value) {
    return value.replace(/(^|&)q-signature=[^&]*/, `$1q-signature=${REDACTED}`);
}
function recordQuery(query) {
    const record = {};
    for (const [name, value] of query)
        record[name] = SECRET_PARAMS.has(name) ? REDACTED : value;
    return record;
}
class StatsRecorder {
    #requests = [];
    #bytesServed = 0;
    #inFlight = 0;
    #maxInFlight = 0;
    get requests() {
        return this.#requests;
    }
    get bytesServed() {
        return this.#bytesServed;
    }
    get maxInFlight() {
        return this.#maxInFlight;
    }
    get inFlight() {
        return this.#inFlight;
    }
    count(kind) {
        return kind === undefined ? this.#requests.length : this.#requests.filter((r) => r.kind === kind).length;
    }
    reset() {
        this.#requests = [];
        this.#bytesServed = 0;
        this.#maxInFlight = this.#inFlight;
    }
    add(record) {
        this.#requests.push(record);
    }
    sent(record, bytes) {
        record.bytesSent += bytes;
        this.#bytesServed += bytes;
    }
    /** Marks a GET Object in flight; returns the function that ends it. */
    enter() {
        this.#inFlight += 1;
        this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
        let done = false;
        return () => {
            if (done)
                return;
            done = true;
            this.#inFlight -= 1;
        };
    }
}

;// CONCATENATED MODULE: ./lib/emulator/server.js
// The COS emulator: one bucket over node:http, speaking the COS dialect of GET/HEAD Object,
// HEAD Bucket and GET Bucket (ListObjects), with signature checks and injectable faults. This file
// routes: it finds the addressed bucket and key, applies latency and injected failures, checks the
// signature, hands the request to listing.ts or object.ts, and writes any error as COS's XML.











class EmulatorServer {
    bucket;
    region;
    store;
    faultState = new FaultState();
    stats = new StatsRecorder();
    closing = new AbortController();
    ownerId;
    #policy;
    clockOffsetMs;
    #clock;
    #requestSequence = 0;
    constructor(options) {
        this.bucket = options.bucket ?? 'examplebucket-1250000000';
        this.region = options.region ?? 'ap-guangzhou';
        this.clockOffsetMs = options.clockOffsetMs ?? 0;
        this.#clock = options.now ?? Date.now;
        this.store = new Store(() => this.now(), options.synthetic);
        this.ownerId = /-(\d+)$/.exec(this.bucket)?.[1] ?? '0';
        const credentials = new Map();
        for (const credential of options.credentials ?? [])
            credentials.set(credential.secretId, credential);
        this.#policy = {
            credentials,
            publicRead: options.publicRead ?? false,
            strict: options.strictSigning ?? true,
            maxSkewSeconds: options.maxSkewSeconds ?? 900,
            temporary: options.temporaryCredentials,
        };
    }
    now() {
        return this.#clock() + this.clockOffsetMs;
    }
    #nextRequestId() {
        this.#requestSequence += 1;
        const text = `${Math.floor(Date.now() / 1000).toString(16)}_${this.#requestSequence.toString(16)}_${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`;
        return Buffer.from(text).toString('base64').replace(/=+$/, '');
    }
    async handle(req, res) {
        const requestId = this.#nextRequestId();
        res.setHeader('Server', 'tencent-cos');
        res.setHeader('x-cos-request-id', requestId);
        const rawUrl = req.url ?? '/';
        const mark = rawUrl.indexOf('?');
        const rawPath = mark === -1 ? rawUrl : rawUrl.slice(0, mark);
        // Query strings decode as forms do ('+' is a space); clients encode '+' as %2B.
        const query = [...new URLSearchParams(mark === -1 ? '' : rawUrl.slice(mark + 1))];
        const record = {
            method: req.method ?? 'GET',
            path: rawPath,
            query: recordQuery(query),
            headers: recordHeaders(req.headers),
            signed: req.headers.authorization !== undefined || query.some(([name]) => name === 'q-signature'),
            status: 0,
            bytesSent: 0,
            startedAt: Date.now(),
            kind: 'other',
        };
        if (req.headers.range !== undefined)
            record.range = req.headers.range;
        if (req.headers.authorization !== undefined)
            record.authorization = redactAuthorization(req.headers.authorization);
        this.stats.add(record);
        let key = '/';
        try {
            let path;
            try {
                path = decodeURIComponent(rawPath);
            }
            catch {
                throw new CosError(400, 'InvalidURI', 'Could not parse the specified URI.');
            }
            record.path = path;
            key = this.#route(req.headers.host ?? '', path);
            record.kind = kindOf(record.method, key);
        }
        catch (error) {
            this.#fail({ req, res, record, requestId, rawPath, key, query }, error);
            return;
        }
        const exchange = { req, res, record, requestId, rawPath, key, query };
        if (record.kind === 'get')
            res.once('close', this.stats.enter());
        try {
            await this.#serve(exchange);
        }
        catch (error) {
            this.#fail(exchange, error);
        }
    }
    /** The decoded object path (`/` for the bucket) after checking the addressed bucket. */
    #route(hostHeader, path) {
        const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
        const virtual = /^(.+)\.cos\.([a-z0-9-]+)\.myqcloud\.com$/.exec(host);
        if (virtual !== null) {
            const [, bucket, region] = virtual;
            if (bucket !== this.bucket || (region !== this.region && region !== 'accelerate')) {
                throw new CosError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
            }
            return path;
        }
        if (/^cos\.[a-z0-9-]+\.myqcloud\.com$/.test(host)) {
            // Path-style: /<bucket>/<key>.
            const slash = path.indexOf('/', 1);
            const bucket = slash === -1 ? path.slice(1) : path.slice(1, slash);
            if (bucket !== this.bucket)
                throw new CosError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
            return slash === -1 ? '/' : path.slice(slash);
        }
        // Any other host (127.0.0.1:port, localhost, a custom domain): the path is the key.
        return path;
    }
    async #serve(exchange) {
        const { req, record } = exchange;
        const latency = this.faultState.latency();
        if (latency > 0) {
            try {
                await (0,external_node_timers_promises_.setTimeout)(latency, undefined, { signal: this.closing.signal });
            }
            catch {
                exchange.res.destroy();
                return;
            }
        }
        const failure = this.faultState.takeFailure(record.kind);
        if (failure !== undefined) {
            throw new CosError(failure.status, failure.code, `Injected fault: ${failure.code}.`, failure.retryAfter === undefined ? {} : { 'Retry-After': failure.retryAfter });
        }
        if (record.method !== 'GET' && record.method !== 'HEAD') {
            throw new CosError(405, 'MethodNotAllowed', `The emulator is read-only; ${record.method} is not allowed.`, {
                Allow: 'GET, HEAD',
            });
        }
        const wantsSignature = exchange.query.some(([name]) => name.startsWith('response-'));
        const outcome = authenticate({
            method: record.method,
            path: record.path,
            query: exchange.query,
            headers: req.headers,
            nowSeconds: this.now() / 1000,
        }, this.#policy, wantsSignature);
        if (!outcome.ok)
            throw new CosError(outcome.status, outcome.code, outcome.message);
        if (exchange.key === '/') {
            if (record.method === 'HEAD') {
                this.respond(exchange, 200, { 'x-cos-bucket-region': this.region });
                exchange.res.end();
                return;
            }
            listObjects(this, exchange);
            return;
        }
        await serveObject(this, exchange);
    }
    respond(exchange, status, headers) {
        exchange.record.status = status;
        exchange.res.setHeader('Date', new Date(this.now()).toUTCString());
        exchange.res.writeHead(status, headers);
    }
    #fail(exchange, error) {
        const { res } = exchange;
        if (res.headersSent) {
            res.destroy();
            return;
        }
        const cosError = error instanceof CosError
            ? error
            : new CosError(500, 'InternalError', `Internal error: ${error instanceof Error ? error.message : String(error)}`);
        const body = errorXml({
            code: cosError.code,
            message: cosError.message,
            resource: `${this.bucket}.cos.${this.region}.myqcloud.com${exchange.rawPath}`,
            requestId: exchange.requestId,
            traceId: (0,external_node_crypto_.randomBytes)(24).toString('base64'),
        });
        const bytes = Buffer.from(body, 'utf8');
        this.respond(exchange, cosError.status, {
            'Content-Type': 'application/xml',
            'Content-Length': bytes.length,
            ...cosError.headers,
        });
        res.end(exchange.record.method === 'HEAD' ? undefined : bytes);
    }
}
function kindOf(method, key) {
    if (method === 'GET')
        return key === '/' ? 'list' : 'get';
    if (method === 'HEAD' && key !== '/')
        return 'head';
    return 'other';
}
/** Starts an emulator on `host:port` (default `127.0.0.1:0`). */
async function startEmulator(options = {}) {
    const emulator = new EmulatorServer(options);
    if (options.root !== undefined)
        await loadFolder(emulator.store, options.root);
    const sockets = new Set();
    const server = (0,external_node_http_.createServer)((req, res) => {
        // handle() answers every error itself; this only guards against a failure while failing.
        emulator.handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => {
            server.off('error', reject);
            resolve();
        });
    });
    const address = server.address();
    const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
    let closed;
    const faults = emulator.faultState;
    return {
        url: `http://${urlHost}:${address.port}`,
        bucket: emulator.bucket,
        region: emulator.region,
        put: (key, body, putOptions) => publicView(emulator.store.put(key, body, putOptions)),
        remove: (key) => emulator.store.remove(key),
        setVersioning: (enabled) => emulator.store.setVersioning(enabled),
        versions: (key) => emulator.store.versions(key).map(publicView),
        faults: faults.faults,
        setFaults: (partial) => faults.set(partial),
        clearFaults: () => faults.clear(),
        setClockOffset: (offsetMs) => {
            emulator.clockOffsetMs = offsetMs;
        },
        stats: emulator.stats,
        close: () => {
            closed ??= new Promise((resolve) => {
                emulator.closing.abort();
                server.close(() => resolve());
                for (const socket of sockets)
                    socket.destroy();
                server.closeAllConnections();
            });
            return closed;
        },
    };
}

;// CONCATENATED MODULE: ./lib/emulator/sts.js
// A stand-in for Tencent Cloud STS AssumeRoleWithWebIdentity (API 3.0), started beside the COS
// emulator: it checks the request's shape as the real service states it, issues short-lived
// temporary credentials, and hands them to the COS emulator (`issued`), which then accepts each
// only with its session token and only until it expires. Errors come as the API's JSON, HTTP 200.


const ACTION = 'AssumeRoleWithWebIdentity';
const VERSION = '2018-08-13';
const MAX_BODY = 64 * 1024;
const SESSION_NAME = /^[\w+=,.@-]{2,128}$/;
const ROLE_ARN = /^qcs::cam::uin\/\d+:(roleName|role)\/\S+$/;
class ApiError {
    code;
    message;
    constructor(code, message) {
        this.code = code;
        this.message = message;
    }
}
const FAILURES = {
    InvalidParameter: new ApiError('InvalidParameter', 'Incorrect parameter.'),
    AuthFailure: new ApiError('AuthFailure.UnauthorizedOperation', 'The request is not authorized: the role does not trust this identity provider for this token.'),
    ExpiredToken: new ApiError('InvalidParameter.WebIdentityTokenError', 'WebIdentityToken has expired.'),
};
function base64urlJson(part) {
    try {
        return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    }
    catch {
        return undefined;
    }
}
/** A JWT-shaped token (header `{alg, typ}`, the claims, a random signature) for tests and demos. */
function exampleWebIdentityToken(claims = {}, nowMs = Date.now()) {
    const now = Math.floor(nowMs / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'cos-emulator' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({
        iss: 'https://token.actions.githubusercontent.com',
        aud: 'sts.tencentcloudapi.com',
        sub: 'repo:example/repo:ref:refs/heads/main',
        iat: now,
        exp: now + 600,
        ...claims,
    })).toString('base64url');
    return `${header}.${payload}.${randomBytes(32).toString('base64url')}`;
}
function random(length) {
    return (0,external_node_crypto_.randomBytes)(length).toString('base64url').slice(0, length);
}
class StsServer {
    #options;
    #clock;
    issued = new Map();
    requests = [];
    failure;
    constructor(options) {
        this.#options = options;
        this.#clock = options.clock ?? { now: () => Date.now() };
    }
    now() {
        return this.#clock.now();
    }
    async handle(req, res) {
        const headers = {};
        for (const [name, value] of Object.entries(req.headers)) {
            if (value !== undefined)
                headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const raw = await readBody(req);
        let body;
        try {
            const parsed = raw === undefined ? undefined : JSON.parse(raw);
            if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
                body = parsed;
            }
        }
        catch {
            body = undefined;
        }
        const shown = body === undefined
            ? undefined
            : { ...body, ...('WebIdentityToken' in body ? { WebIdentityToken: '***' } : {}) };
        const requestId = (0,external_node_crypto_.randomUUID)();
        let answer;
        let error;
        try {
            answer = { ...this.#answer(req.method ?? '', headers, raw, body), RequestId: requestId };
        }
        catch (caught) {
            if (!(caught instanceof ApiError))
                throw caught;
            error = caught.code;
            answer = { Error: { Code: caught.code, Message: caught.message }, RequestId: requestId };
        }
        this.requests.push({ method: req.method ?? '', headers, body: shown, error });
        const bytes = Buffer.from(JSON.stringify({ Response: answer }));
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': bytes.length });
        res.end(bytes);
    }
    #answer(method, headers, raw, body) {
        if (method !== 'POST')
            throw new ApiError('UnsupportedProtocol', `The stand-in takes POST, not ${method}.`);
        const action = headers['x-tc-action'];
        if (action === undefined)
            throw missing('X-TC-Action');
        if (action !== ACTION)
            throw new ApiError('InvalidAction', `The action ${action} does not exist.`);
        const version = headers['x-tc-version'];
        if (version === undefined)
            throw missing('X-TC-Version');
        if (version !== VERSION)
            throw new ApiError('NoSuchVersion', `The version ${version} of ${ACTION} does not exist.`);
        const region = headers['x-tc-region'];
        if (region === undefined)
            throw missing('X-TC-Region');
        if (!/^[a-z]{2,}-[a-z]+(-\d+)?$/.test(region))
            throw new ApiError('UnsupportedRegion', `The region ${region} is not supported.`);
        const timestamp = headers['x-tc-timestamp'];
        if (timestamp === undefined)
            throw missing('X-TC-Timestamp');
        if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) * 1000 - this.now()) > 300_000) {
            throw new ApiError('AuthFailure.SignatureExpire', 'The timestamp differs from the server time by more than five minutes.');
        }
        if (headers.authorization !== 'SKIP') {
            throw new ApiError('AuthFailure.SignatureFailure', `${ACTION} is called unsigned: Authorization must be SKIP.`);
        }
        if (!/^application\/json(\s*;.*)?$/i.test(headers['content-type'] ?? '')) {
            throw new ApiError('InvalidParameter', 'Content-Type must be application/json.');
        }
        if (raw === undefined)
            throw new ApiError('InvalidParameter', `The body is larger than ${MAX_BODY} bytes.`);
        if (body === undefined)
            throw new ApiError('InvalidParameter', 'The body is not a JSON object.');
        const field = (name) => {
            const value = body[name];
            if (value === undefined || value === '')
                throw missing(name);
            if (typeof value !== 'string')
                throw new ApiError('InvalidParameterValue', `${name} must be a string.`);
            return value;
        };
        const providerId = field('ProviderId');
        const token = field('WebIdentityToken');
        const roleArn = field('RoleArn');
        const sessionName = field('RoleSessionName');
        const duration = body.DurationSeconds;
        if (duration !== undefined &&
            !(Number.isInteger(duration) && duration >= 1 && duration <= 43_200)) {
            throw new ApiError('InvalidParameter.OverTimeError', 'DurationSeconds must be a whole number of seconds up to 43200.');
        }
        const unknownField = Object.keys(body).find((name) => !['ProviderId', 'WebIdentityToken', 'RoleArn', 'RoleSessionName', 'DurationSeconds'].includes(name));
        if (unknownField !== undefined)
            throw new ApiError('UnknownParameter', `The parameter ${unknownField} is not known.`);
        if (!SESSION_NAME.test(sessionName)) {
            throw new ApiError('InvalidParameter.ParamError', 'RoleSessionName must be 2 to 128 characters of [\\w+=,.@-].');
        }
        if (!ROLE_ARN.test(roleArn) ||
            (this.#options.roleArn !== undefined && roleArn !== this.#options.roleArn)) {
            throw new ApiError('ResourceNotFound.RoleNotFound', 'The role does not exist.');
        }
        if (this.#options.providerId !== undefined && providerId !== this.#options.providerId) {
            throw new ApiError('InvalidParameter.ParamError', `No identity provider is named ${providerId}.`);
        }
        const failure = this.failure;
        if (failure !== undefined) {
            failure.remaining -= 1;
            if (failure.remaining <= 0)
                this.failure = undefined;
            throw failure.error;
        }
        this.#checkToken(token);
        const lifetime = this.#options.lifetimeSeconds ?? (typeof duration === 'number' ? duration : 7200);
        const expiresAt = Math.floor((this.now() + lifetime * 1000) / 1000) * 1000;
        const credential = {
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
    #checkToken(token) {
        const accept = this.#options.acceptTokens ?? [];
        if (accept.length > 0) {
            if (!accept.includes(token))
                throw invalidToken('WebIdentityToken is not valid.');
            return;
        }
        const parts = token.split('.');
        const header = parts.length === 3 && parts.every((p) => /^[\w-]*$/.test(p))
            ? base64urlJson(parts[0] ?? '')
            : undefined;
        if (typeof header?.alg !== 'string') {
            throw invalidToken('WebIdentityToken is not a JWT.');
        }
        const claims = base64urlJson(parts[1] ?? '');
        if (typeof claims !== 'object' || claims === null)
            throw invalidToken('WebIdentityToken has no claims.');
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
function missing(name) {
    return new ApiError('MissingParameter', `The request is missing a required parameter ${name}.`);
}
function invalidToken(message) {
    return new ApiError('InvalidParameter.WebIdentityTokenError', message);
}
/** The body as text; undefined when it is larger than MAX_BODY (the rest is drained). */
async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size <= MAX_BODY)
            chunks.push(chunk);
    }
    return size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8');
}
/** Starts the STS stand-in on `host:port` (default `127.0.0.1:0`). */
async function startStsEmulator(options = {}) {
    const sts = new StsServer(options);
    const sockets = new Set();
    const server = (0,external_node_http_.createServer)((req, res) => {
        sts.handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
        });
    });
    const address = server.address();
    const host = address.address.includes(':') ? `[${address.address}]` : address.address;
    let closed;
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
                        error: typeof failure === 'string' ? FAILURES[failure] : new ApiError(failure.code, failure.message),
                        remaining: count ?? Number.POSITIVE_INFINITY,
                    };
        },
        reset: () => {
            sts.requests.length = 0;
            sts.failure = undefined;
        },
        close: () => {
            closed ??= new Promise((resolve) => {
                server.close(() => resolve());
                for (const socket of sockets)
                    socket.destroy();
                server.closeAllConnections();
            });
            return closed;
        },
    };
}

;// CONCATENATED MODULE: ./lib/emulator/cli.js
// `cos-download emulator`: run the local COS emulator until SIGINT or SIGTERM.






const NAME = 'cos-download emulator';
/** Each option: how it is written, and what it does. */
const OPTIONS = [
    ['--port N', 'Port to listen on; 0 picks a free one. Default: 9000.'],
    ['--host ADDRESS', 'Address to listen on. Default: 127.0.0.1 (this machine only).'],
    ['--bucket NAME-APPID', 'The bucket it serves. Default: examplebucket-1250000000.'],
    ['--region REGION', 'The region it claims. Default: ap-guangzhou.'],
    [
        '--root DIR',
        'Serve the files under DIR as objects (key = the path under DIR; empty folders as dir/ markers). ' +
            'The folder is read once, at start: files added or changed later are not seen until a restart.',
    ],
    [
        '--demo',
        'Add sample objects: a text file, a 3 MiB binary for ranged downloads, a folder, an ARCHIVE ' +
            'object and a versioned key.',
    ],
    [
        '--secret-id ID --secret-key KEY',
        'Accept only requests signed with this key (signatures are verified). Without them the bucket ' +
            'is public-read and anonymous.',
    ],
    ['--session-token TOKEN', 'With the keys: temporary credentials, which must carry this token.'],
    ['--public-read', 'With the keys: anonymous GET, HEAD and listing are allowed too.'],
    [
        '--lenient-signing',
        'Check only the headers and parameters a client chose to sign, as COS does. Default: every ' +
            'Range, If-*, x-cos-* header and query parameter must be signed, as cos-download signs them.',
    ],
    [
        '--sts',
        'Also start a stand-in for Tencent STS (AssumeRoleWithWebIdentity) whose temporary credentials ' +
            'the emulator accepts until they expire.',
    ],
    ['--sts-lifetime SECONDS', 'With --sts: how long issued credentials last (1..43200). Default: as asked.'],
    ['-h, --help', 'Print this help.'],
];
/** `cos-download emulator --help`, wrapped to `columns`. */
function emulatorHelp(columns = 80) {
    const width = Math.max(40, Math.min(columns, 100));
    const lines = [
        ...(0,wrap/* wrapText */.C1)('cos-download emulator: a local COS for tests, demos and your own workflows. It speaks the COS ' +
            'dialect (signatures, versions, ranges, conditionals, response-* overrides, traffic-limit, CRC64, ' +
            'ListObjects with pages) on one bucket, until Ctrl-C (SIGINT) or SIGTERM stops it. On start it ' +
            'prints the endpoint and a command to try.', width),
        '',
        'Usage:',
        ...(0,wrap/* wrapCommand */.MG)(`${NAME} [--port 9000] [--root DIR | --demo] [--secret-id ID --secret-key KEY] [options]`, width, '  '),
        '',
        'Options:',
    ];
    for (const [flag, text] of OPTIONS)
        lines.push(...(0,wrap/* helpEntry */.qb)(flag, text, width, 28));
    lines.push('', 'Examples:', ...(0,wrap/* wrapText */.C1)('Sample objects, anonymous, on port 9000; then download them all:', width, '  '), ...(0,wrap/* wrapCommand */.MG)(`${NAME} --demo --port 9000`, width, '    '), ...(0,wrap/* wrapCommand */.MG)('cos-download --endpoint http://127.0.0.1:9000 --bucket examplebucket-1250000000 --prefix / --destination out', width, '    '), ...(0,wrap/* wrapText */.C1)('A folder as a bucket, with signatures checked:', width, '  '), ...(0,wrap/* wrapCommand */.MG)(`${NAME} --root ./fixtures --secret-id AKIDEXAMPLE --secret-key EXAMPLEKEY`, width, '    '), '', ...(0,wrap/* wrapText */.C1)('Exit status: 0 after Ctrl-C or SIGTERM, 1 when it cannot start (port in use), 2 on a usage error.', width));
    return `${lines.join('\n')}\n`;
}
class UsageError extends Error {
}
function parse(argv) {
    let values;
    try {
        ({ values } = readArgs(argv));
    }
    catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const port = values.port ?? '9000';
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
        throw new UsageError(`--port must be an integer from 0 to 65535, not "${port}"`);
    }
    const bucket = values.bucket ?? 'examplebucket-1250000000';
    if (!/^[a-z0-9-]+-\d+$/.test(bucket)) {
        throw new UsageError(`--bucket must look like NAME-APPID (e.g. examplebucket-1250000000), not "${bucket}"`);
    }
    const region = values.region ?? 'ap-guangzhou';
    if (!/^[a-z0-9-]+$/.test(region))
        throw new UsageError(`--region must look like ap-guangzhou, not "${region}"`);
    if ((values['secret-id'] === undefined) !== (values['secret-key'] === undefined)) {
        throw new UsageError('--secret-id and --secret-key go together; give both or neither (public-read)');
    }
    const options = {
        bucket,
        region,
        host: values.host ?? '127.0.0.1',
        port: Number(port),
        publicRead: values['public-read'] ?? false,
        strictSigning: !(values['lenient-signing'] ?? false),
    };
    if (values['secret-id'] !== undefined && values['secret-key'] !== undefined) {
        const token = values['session-token'];
        options.credentials = [
            {
                secretId: values['secret-id'],
                secretKey: values['secret-key'],
                sessionToken: token,
            },
        ];
    }
    else if (values['session-token'] !== undefined) {
        throw new UsageError('--session-token needs --secret-id and --secret-key');
    }
    if (values.root !== undefined)
        options.root = values.root;
    const lifetime = values['sts-lifetime'];
    if (lifetime !== undefined && !values.sts)
        throw new UsageError('--sts-lifetime goes with --sts');
    if (lifetime !== undefined &&
        !(/^\d{1,5}$/.test(lifetime) && Number(lifetime) >= 1 && Number(lifetime) <= 43_200)) {
        throw new UsageError(`--sts-lifetime must be whole seconds from 1 to 43200, not "${lifetime}"`);
    }
    return {
        options,
        demo: values.demo ?? false,
        help: values.help ?? false,
        sts: values.sts ? { lifetimeSeconds: lifetime === undefined ? undefined : Number(lifetime) } : undefined,
    };
}
function readArgs(argv) {
    return (0,external_node_util_.parseArgs)({
        args: [...argv],
        strict: true,
        allowPositionals: false,
        options: {
            port: { type: 'string' },
            host: { type: 'string' },
            root: { type: 'string' },
            demo: { type: 'boolean' },
            bucket: { type: 'string' },
            region: { type: 'string' },
            'secret-id': { type: 'string' },
            'secret-key': { type: 'string' },
            'session-token': { type: 'string' },
            'public-read': { type: 'boolean' },
            'lenient-signing': { type: 'boolean' },
            sts: { type: 'boolean' },
            'sts-lifetime': { type: 'string' },
            help: { type: 'boolean', short: 'h' },
        },
    });
}
function waitForStop(signal) {
    return new Promise((resolve) => {
        const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            signal?.removeEventListener('abort', stop);
            resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (signal?.aborted === true)
            stop();
        else
            signal?.addEventListener('abort', stop, { once: true });
    });
}
/**
 * Runs the emulator. `argv` are the arguments after the command name (`cos-emulator …` or
 * `cos-download emulator …`). Returns 0 after SIGINT/SIGTERM, 2 on a usage error, 1 when the
 * emulator cannot start (port in use, unreadable --root).
 */
async function main(argv, io = {}) {
    const out = io.stdout ?? ((line) => process.stdout.write(`${line}\n`));
    const err = io.stderr ?? ((line) => process.stderr.write(`${line}\n`));
    let parsed;
    try {
        parsed = parse(argv);
    }
    catch (error) {
        if (!(error instanceof UsageError))
            throw error;
        err(`${NAME}: ${error.message}. Run '${NAME} --help' for the options.`);
        return 2;
    }
    if (parsed.help) {
        out(emulatorHelp(io.columns).trimEnd());
        return 0;
    }
    const { options } = parsed;
    if (options.root !== undefined) {
        const info = await (0,promises_.stat)(options.root).catch(() => undefined);
        if (info?.isDirectory() !== true) {
            err(`${NAME}: --root "${options.root}" is not a folder; give an existing folder to serve. Run '${NAME} --help' for the options.`);
            return 2;
        }
    }
    let emulator;
    let sts;
    try {
        if (parsed.sts !== undefined) {
            sts = await startStsEmulator({ host: options.host ?? '127.0.0.1', ...parsed.sts });
            options.temporaryCredentials = sts.issued;
        }
        emulator = await startEmulator(options);
    }
    catch (error) {
        await sts?.close();
        err(`${NAME}: cannot start: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
    }
    const demo = parsed.demo ? loadDemo(emulator) : [];
    const credentials = options.credentials !== undefined
        ? ' with --secret-id/--secret-key as given'
        : sts !== undefined
            ? ' with the STS options below'
            : ' (anonymous: public-read bucket)';
    out(`COS emulator for ${emulator.bucket} (${emulator.region}) at ${emulator.url}; try: cos-download ` +
        `--endpoint ${emulator.url} --bucket ${emulator.bucket} --region ${emulator.region} ` +
        `--prefix / --destination ./cos-emulator-download${credentials}. Ctrl-C stops it.`);
    for (const object of demo)
        out(`  ${object.key}: ${object.note}`);
    if (options.root !== undefined) {
        out(`  Serving the files of ${options.root}, read once at start: restart to serve later changes.`);
    }
    if (sts !== undefined) {
        const account = /-(\d+)$/.exec(emulator.bucket)?.[1] ?? '0';
        out(`STS stand-in (AssumeRoleWithWebIdentity) at ${sts.url}; the emulator accepts its temporary credentials ` +
            `until they expire. Try: --sts-endpoint ${sts.url} --role-arn qcs::cam::uin/${account}:roleName/emulator ` +
            '--provider-id emulator --web-identity-token-file <a file holding any JWT-shaped token>');
    }
    await waitForStop(io.signal);
    await emulator.close();
    await sts?.close();
    return 0;
}


/***/ })

};
