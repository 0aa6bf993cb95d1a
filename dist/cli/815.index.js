export const id = 815;
export const ids = [815];
export const modules = {

/***/ 9815:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  presignMain: () => (/* binding */ presignMain)
});

// EXTERNAL MODULE: ./lib/base/error-message.js
var error_message = __webpack_require__(4329);
// EXTERNAL MODULE: ./lib/base/file-system.js
var file_system = __webpack_require__(1241);
// EXTERNAL MODULE: ./lib/config/errors.js
var errors = __webpack_require__(8159);
// EXTERNAL MODULE: ./lib/config/endpoint.js
var config_endpoint = __webpack_require__(7049);
;// CONCATENATED MODULE: ./lib/config/expires.js
// The `expires` input: how long a presigned link stays valid. Pure: text in, seconds out.
//
// Grammar: a plain number of seconds (`600`), or whole numbers with units in falling order, each
// unit at most once: `7d`, `1h`, `30m`, `45s`, `2h30m`, `1d12h`. No fractions (`1.5h` is written
// `1h30m`), no spaces, lowercase units (`M` could be read as months).

/** The console's "Copy Temporary Link" default. */
const EXPIRES_DEFAULT_SECONDS = 3600;
const EXPIRES_MIN_SECONDS = 1;
/**
 * COS documents no upper bound for q-key-time (only that a link made with temporary credentials
 * dies with them). A link is a bearer credential, so we stop at seven days, the limit Amazon S3
 * sets for SigV4 links; sharing for longer belongs to a public-read ACL or a CDN, not to a link.
 */
const EXPIRES_MAX_SECONDS = 7 * 86_400;
const UNITS = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
];
const STRICT = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const RULE = "must be seconds ('600') or whole numbers with the units d, h, m, s in that order ('1h', '30m', '2h30m')";
const EXAMPLES = "e.g. '1h', '30m', '600' (seconds) or '2h30m'";
/** Seconds as the grammar writes them canonically: 3600 → `1h`, 9000 → `2h30m`, 90061 → `1d1h1m1s`. */
function expires_formatExpires(seconds) {
    if (!Number.isSafeInteger(seconds) || seconds < 0)
        throw new RangeError(`not a whole number of seconds: ${seconds}`);
    if (seconds === 0)
        return '0s';
    let rest = seconds;
    let text = '';
    for (const [unit, size] of UNITS) {
        const count = Math.floor(rest / size);
        rest -= count * size;
        if (count > 0)
            text += `${count}${unit}`;
    }
    return text;
}
/**
 * What the user probably meant, read generously (any case, spaces, fractions, any order, units
 * repeated): whole seconds, or undefined. Only ever used to suggest a fix, never to accept.
 */
function generousSeconds(text) {
    const compact = text.toLowerCase().replace(/\s+/g, '');
    const plain = /^\d+(?:\.\d+)?$/.test(compact);
    // A bare number after a unit ('1h30') could be minutes or seconds: no guess then.
    if (!plain && !/^(?:\d+(?:\.\d+)?[dhms])+$/.test(compact))
        return undefined;
    let total = plain ? Number(compact) : 0;
    for (const [, number = '', unit = ''] of plain ? [] : compact.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) {
        total += Number(number) * (UNITS.find(([name]) => name === unit)?.[1] ?? 1);
    }
    const rounded = Math.round(total);
    return Math.abs(total - rounded) < 1e-9 ? rounded : undefined;
}
function outOfRange(seconds) {
    if (seconds < EXPIRES_MIN_SECONDS)
        return `must be at least ${EXPIRES_MIN_SECONDS}s`;
    if (seconds > EXPIRES_MAX_SECONDS) {
        return `must be at most ${expires_formatExpires(EXPIRES_MAX_SECONDS)} (${EXPIRES_MAX_SECONDS} seconds): a link is a credential`;
    }
    return undefined;
}
/** The seconds `value` states under the strict grammar, or undefined when it does not follow it. */
function strictSeconds(value) {
    // Digit strings past 2^53 lose precision in Number(), but they are far past the maximum anyway.
    if (/^\d+$/.test(value))
        return Number(value);
    const match = value === '' ? null : STRICT.exec(value);
    if (match === null)
        return undefined;
    let seconds = 0;
    for (const [index, [, size]] of UNITS.entries()) {
        const digits = match[index + 1];
        if (digits !== undefined)
            seconds += Number(digits) * size;
    }
    return seconds;
}
/** `expires` → seconds in EXPIRES_MIN_SECONDS..EXPIRES_MAX_SECONDS. Throws InputError naming `expires`. */
function parseExpires(text) {
    const value = text.trim();
    const fail = (rule, fix) => new errors/* InputError */.dz({ input: 'expires', value, rule, fix });
    const seconds = strictSeconds(value);
    if (seconds === undefined) {
        const meant = generousSeconds(value);
        throw fail(RULE, meant !== undefined && outOfRange(meant) === undefined ? `write '${expires_formatExpires(meant)}'` : EXAMPLES);
    }
    const problem = outOfRange(seconds);
    if (problem !== undefined) {
        const fix = seconds < EXPIRES_MIN_SECONDS
            ? "e.g. '1h' (the default)"
            : `e.g. '${expires_formatExpires(EXPIRES_MAX_SECONDS)}' (the longest)`;
        throw fail(problem, fix);
    }
    return seconds;
}

// EXTERNAL MODULE: ./lib/config/inputs.js
var inputs = __webpack_require__(6097);
// EXTERNAL MODULE: ./lib/config/parse.js + 1 modules
var parse = __webpack_require__(4365);
// EXTERNAL MODULE: ./lib/config/parse-credentials.js
var parse_credentials = __webpack_require__(678);
// EXTERNAL MODULE: ./lib/config/parse-network.js + 1 modules
var parse_network = __webpack_require__(923);
// EXTERNAL MODULE: ./lib/config/parse-numbers.js + 1 modules
var parse_numbers = __webpack_require__(1036);
// EXTERNAL MODULE: ./lib/config/parse-target.js
var parse_target = __webpack_require__(7203);
// EXTERNAL MODULE: ./lib/config/parse-values.js
var parse_values = __webpack_require__(7052);
;// CONCATENATED MODULE: ./lib/config/parse-presign.js
// `presign: true` (the action) and `cos-download presign` (the CLI): the inputs of a temporary link
// to one object — where the bucket is, what signs the link, which object and version, the response
// overrides and traffic limit signed into it, and how long it lasts. Inputs that only a download
// uses are refused by name, so no one expects `presign` to download too.










/** Inputs only a download uses: refused with `presign` when set to anything but their default. */
const DOWNLOAD_ONLY = [
    'destination',
    'range',
    'if-match',
    'if-none-match',
    'if-modified-since',
    'if-unmodified-since',
    'include',
    'exclude',
    'part-size',
    'concurrency',
    'crc',
    'overwrite',
    'delete',
    'allow-empty',
    'dry-run',
    'shard',
    'cache',
    'cache-key',
];
/** Whether the inputs ask for a link (`presign: true`) rather than a download. */
function wantsPresign(raw) {
    const text = inputReader(raw)('presign');
    return text === undefined ? false : parseBoolean('presign', text);
}
function defaultOf(name) {
    return inputs/* INPUTS */.mc[name].default ?? '';
}
/**
 * Parses and checks the inputs of a link; returns PresignOptions or throws the first InputError.
 * `credentialsProvided`: the caller signs with credentials of its own (the library's provider).
 */
function parsePresignOptions(raw, context, caller = {}) {
    const get = (0,parse/* inputReader */.cN)(raw);
    const presign = get('presign');
    if (presign !== undefined && !(0,parse_values/* parseBoolean */.yG)('presign', presign)) {
        throw new errors/* InputError */.dz({
            input: 'presign',
            value: presign,
            rule: 'making a link is what this is for',
            fix: "remove 'presign', or download instead",
        });
    }
    const bucketText = get('bucket');
    if (bucketText === undefined) {
        throw new errors/* InputError */.dz({
            input: 'bucket',
            rule: 'required: the bucket of the object to link to',
            fix: parse_values/* BUCKET_FIX */.P,
        });
    }
    const bucket = (0,parse_values/* parseBucket */.W5)(bucketText);
    const link = get('url');
    if (link !== undefined) {
        throw new errors/* InputError */.dz({
            input: 'url',
            value: link,
            rule: "'presign' makes a link, 'url' downloads one: they do not go together",
            fix: "remove 'url' to make a link to 'key', or remove 'presign' to download the link",
        });
    }
    const prefix = get('prefix');
    if (prefix !== undefined) {
        throw new errors/* InputError */.dz({
            input: 'prefix',
            value: prefix,
            rule: "a link is to one object, and a prefix holds many ('presign' is set)",
            fix: "link to one object with 'key', or mirror the prefix without 'presign'",
        });
    }
    const key = get('key');
    if (key === undefined) {
        throw new errors/* InputError */.dz({
            input: 'key',
            rule: 'required with presign: the object the link is to',
            fix: "set 'key', e.g. 'releases/app.tar.gz'",
        });
    }
    for (const name of DOWNLOAD_ONLY) {
        const value = get(name);
        if (!(0,inputs/* differsFromDefault */.$_)(name, value))
            continue;
        throw new errors/* InputError */.dz({
            input: name,
            value,
            rule: "is a download option, and 'presign' downloads nothing",
            fix: `remove '${name}', or download without 'presign'`,
        });
    }
    const sse = get('sse-customer-key');
    if (sse !== undefined) {
        throw new errors/* InputError */.dz({
            input: 'sse-customer-key',
            value: sse,
            rule: 'an SSE-C key travels in request headers, which a link cannot carry',
            fix: "remove it: whoever downloads the link passes the key ('sse-customer-key' with 'url')",
        });
    }
    const target = (0,parse_target/* parseObjectTarget */.MM)(get, key);
    const regionText = get('region');
    const region = regionText === undefined ? undefined : (0,parse_values/* parseRegion */.cf)(regionText);
    const accelerate = (0,parse_values/* parseBoolean */.yG)('accelerate', get('accelerate') ?? defaultOf('accelerate'));
    const endpoint = (0,config_endpoint/* resolveEndpoint */.sO)({ bucket, region, endpoint: get('endpoint')?.trim(), accelerate });
    const credentials = (0,parse_credentials/* parseCredentials */.g)(get, context.env);
    const keyless = (0,parse_network/* parseKeylessInputs */.L)(get, context, credentials);
    if (credentials === undefined && keyless === undefined && caller.credentialsProvided !== true) {
        throw new errors/* InputError */.dz({
            input: 'secret-id',
            rule: 'a link is signed with credentials, and none were given',
            fix: "set 'secret-id' and 'secret-key' (or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), " +
                "or 'role-arn' for keyless credentials",
        });
    }
    const caCert = (0,parse_network/* parseCaCertInput */.G)(get, context);
    const trafficText = get('traffic-limit');
    const trafficLimit = trafficText === undefined ? undefined : (0,parse_numbers/* parseTrafficLimit */.Sq)(trafficText);
    const expiresText = get('expires');
    const expiresSeconds = expiresText === undefined ? EXPIRES_DEFAULT_SECONDS : parseExpires(expiresText);
    if (keyless !== undefined && expiresText !== undefined && expiresSeconds > keyless.durationSeconds) {
        // A link dies with the temporary credentials that sign it, and STS issues them for role-duration.
        throw new errors/* InputError */.dz({
            input: 'expires',
            value: expiresText,
            rule: `outlives the temporary credentials that sign the link (role-duration: ${keyless.durationSeconds} s), and the link dies with them`,
            fix: `set 'expires' to at most '${expires_formatExpires(keyless.durationSeconds)}', or raise 'role-duration' (up to 43200)`,
        });
    }
    const options = {
        connection: {
            bucket,
            region,
            endpoint,
            credentials,
            retries: (0,parse_numbers/* parseInteger */.cG)('retries', get('retries') ?? defaultOf('retries'), parse/* RETRIES_RANGE */.Rr.min, parse/* RETRIES_RANGE */.Rr.max),
            timeoutMs: (0,parse_numbers/* parseTimeout */.ZZ)(get('timeout') ?? defaultOf('timeout')),
        },
        caCert,
        keyless,
        key: target.key,
        versionId: target.versionId,
        responseOverrides: target.responseOverrides,
        trafficLimit,
        expiresSeconds,
        expiresGiven: expiresText !== undefined,
    };
    return (0,parse/* deepFreeze */.ol)(options);
}

// EXTERNAL MODULE: ./lib/base/runtime.js
var runtime = __webpack_require__(3105);
// EXTERNAL MODULE: ./lib/cos/credentials.js
var cos_credentials = __webpack_require__(1861);
// EXTERNAL MODULE: ./lib/cos/presign.js
var presign = __webpack_require__(3435);
// EXTERNAL MODULE: ./lib/core/network.js + 1 modules
var core_network = __webpack_require__(7913);
// EXTERNAL MODULE: ./lib/cos/redact.js
var redact = __webpack_require__(4826);
;// CONCATENATED MODULE: ./lib/core/presign.js
// Making a temporary link: the credentials that sign it (keys, a provider of the caller's, or keyless
// credentials from STS, whose expiry bounds the link's), then the query-string signature of
// cos/presign.ts. Nothing is downloaded; the result maps to the outputs `url` and `url-expires-at`.






/** How much shorter than an explicit `expires` temporary credentials may last before it is refused, not shortened. */
const MARGIN_SECONDS = 60;
/** Temporary credentials from STS carry their expiry (cos/credentials.ts `TemporaryCredentials`). */
function expiryOf(credentials) {
    const expiresAt = credentials.expiresAt;
    return typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : undefined;
}
/**
 * A temporary link to `options.key`. With temporary credentials that expire before the validity
 * asked for, the link would die with them: it is shortened to their lifetime, said in one line —
 * unless `expires` was given and they last more than a minute less, which is refused with an
 * InputError naming it (the parser refused already an `expires` past `role-duration`).
 */
async function presign_presign(options, deps = {}) {
    const clock = deps.clock ?? runtime/* systemClock */.ml;
    const logger = (0,runtime/* printable */.g$)(deps.logger ?? runtime/* silentLogger */.qq);
    const network = (0,core_network/* openNetwork */.XV)(options, { ...deps, logger, clock });
    try {
        const provider = deps.credentials ?? network.client.credentials ?? (0,cos_credentials/* staticCredentials */.vU)(options.connection.credentials);
        const credentials = await provider.current(deps.signal);
        if (credentials === undefined) {
            throw new Error(`presign '${options.key}': the credentials provider answered none, and a link must be signed`);
        }
        let seconds = options.expiresSeconds;
        const expiresAt = expiryOf(credentials);
        const now = clock.now();
        if (expiresAt !== undefined && Math.floor((expiresAt - now) / 1000) < seconds) {
            const left = Math.floor((expiresAt - now) / 1000);
            const until = new Date(expiresAt).toISOString();
            // The parser refused an `expires` past role-duration; the seconds STS took are not the user's
            // to count, but a much shorter lifetime than asked for is.
            if (left < 1 || (options.expiresGiven && seconds - left > MARGIN_SECONDS)) {
                throw new errors/* InputError */.dz({
                    input: 'expires',
                    value: expires_formatExpires(options.expiresSeconds),
                    rule: `outlives the temporary credentials that sign the link (they expire at ${until}), and the link dies with them`,
                    fix: left < 1
                        ? 'run again for fresh credentials'
                        : `set 'expires' to at most '${expires_formatExpires(left)}', or raise 'role-duration' (up to 43200 seconds)`,
                });
            }
            logger.info(`The link lasts ${expires_formatExpires(left)}, not ${expires_formatExpires(seconds)}: the temporary credentials that sign it expire at ${until}`);
            seconds = left;
        }
        const link = (0,presign/* presignObjectUrl */.bV)({
            endpoint: options.connection.endpoint,
            credentials,
            key: options.key,
            versionId: options.versionId,
            responseOverrides: options.responseOverrides,
            trafficLimit: options.trafficLimit,
            expiresSeconds: seconds,
        }, now);
        return {
            key: options.key,
            versionId: options.versionId,
            url: link.url,
            expiresAt: link.expiresAt,
            expiresSeconds: seconds,
        };
    }
    finally {
        await network.close();
    }
}
/** The action's outputs of a link. */
function presignOutputs(result) {
    return { url: result.url, 'url-expires-at': result.expiresAt.toISOString() };
}
/** The line telling what was made; never the link itself. */
function describePresign(result) {
    const version = result.versionId === undefined ? '' : ` (version ${result.versionId})`;
    return `Made a link to '${result.key}'${version}, valid for ${expires_formatExpires(result.expiresSeconds)}, until ${result.expiresAt.toISOString()}`;
}
/** The job summary of a link: what it opens and until when, never the link. */
function presignSummary(result) {
    return {
        heading: 'COS link',
        header: ['Key', 'Version', 'Valid for', 'Expires at'],
        rows: [
            [
                result.key,
                result.versionId ?? '',
                formatExpires(result.expiresSeconds),
                result.expiresAt.toISOString(),
            ],
        ],
    };
}
/**
 * What a log masker must hide of a link — one made here, or the `url` input: the URL as given and
 * decoded, and each signature, key id or token in its query.
 */


// EXTERNAL MODULE: ./lib/cli/args.js
var cli_args = __webpack_require__(2453);
// EXTERNAL MODULE: ./lib/cli/exit-codes.js
var exit_codes = __webpack_require__(535);
// EXTERNAL MODULE: ./lib/cli/network.js
var cli_network = __webpack_require__(2404);
;// CONCATENATED MODULE: ./lib/cli/presign.js
// `cos-download presign`: print a temporary link to one object on stdout (with `--json`:
// `{ ok, url, "expires-at" }`). The flags are the inputs'; credentials come from the same
// environment variables as a download's, or keyless from `--web-identity-token-file`.








const PRESIGN_HELP = `cos-download presign: print a temporary link (a presigned URL) to one object.

Usage:
  cos-download presign --bucket NAME-APPID --region REGION --key KEY [--expires 1h] [options]

Options:
  --expires DURATION               How long the link stays valid: 1h (default), 30m, 600 (seconds), 2h30m; 1s..7d
  --version-id ID                  A link to this version
  --traffic-limit BITS             x-cos-traffic-limit signed into the link (819200..838860800 bit/s)
  --response-content-disposition   A response-* override signed into the link (also -content-type, -cache-control, …)
  --json                           Print { "ok", "url", "expires-at" } instead of the bare URL
  --endpoint, --accelerate, --secret-id, --secret-key, --session-token, --role-arn, --provider-id,
  --web-identity-token-file, --ca-cert, --timeout   as for a download ('cos-download --help')

Credentials come from TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY (/ TENCENTCLOUD_SESSION_TOKEN),
then COS_SECRET_ID / COS_SECRET_KEY, or keyless from --role-arn with --web-identity-token-file.
A link is a credential: whoever holds it can read the object until it expires.
Exit status: 0 success, 1 failure, 2 usage error.
`;
/** Runs `presign` with the flags after it; returns the exit status. */
async function presignMain(argv, io) {
    let args;
    try {
        args = (0,cli_args/* parseArgs */.Zy)(argv);
    }
    catch (error) {
        io.stderr.write(`cos-download presign: ${(0,error_message/* errorMessage */.g)(error)}\n`);
        return exit_codes/* EXIT_USAGE */.Ri;
    }
    if (args.help) {
        io.stdout.write(PRESIGN_HELP);
        return exit_codes/* EXIT_OK */.Ij;
    }
    try {
        const options = parsePresignOptions(args.inputs, {
            cwd: io.cwd,
            env: io.env,
            isDirectory: file_system/* isDirectory */.wd,
            realpath: file_system/* realpathOf */.zg,
            readFile: file_system/* readRegularFile */.XF,
        });
        const network = await (0,cli_network/* networkDeps */.N)(options, io.env);
        const result = await presign_presign(options, {
            ...network,
            signal: io.signal,
            logger: {
                debug: () => { },
                info: (m) => {
                    if (!args.json)
                        io.stderr.write(`${m}\n`);
                },
                warning: (m) => io.stderr.write(`warning: ${m}\n`),
            },
        });
        if (args.json) {
            io.stdout.write(`${JSON.stringify({ ok: true, url: result.url, 'expires-at': result.expiresAt.toISOString() })}\n`);
        }
        else {
            io.stdout.write(`${result.url}\n`);
            io.stderr.write(`${describePresign(result)}\n`);
        }
        return exit_codes/* EXIT_OK */.Ij;
    }
    catch (error) {
        const usage = error instanceof errors/* InputError */.dz;
        if (args.json && !usage)
            io.stdout.write(`${JSON.stringify({ ok: false, error: (0,error_message/* errorMessage */.g)(error) })}\n`);
        io.stderr.write(`cos-download presign: ${(0,error_message/* errorMessage */.g)(error)}\n`);
        return usage ? exit_codes/* EXIT_USAGE */.Ri : exit_codes/* EXIT_FAILURE */.w5;
    }
}


/***/ })

};
