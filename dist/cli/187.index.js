export const id = 187;
export const ids = [187];
export const modules = {

/***/ 4329:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   g: () => (/* binding */ errorMessage),
/* harmony export */   n: () => (/* binding */ errorDetails)
/* harmony export */ });
/* harmony import */ var _local_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8052);
/* harmony import */ var _network_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9719);
// The one line anything thrown is told in, for `setFailed` and the CLI; and the details of its
// cause chain, for debug output.


/**
 * The message of anything thrown, for `setFailed` and the CLI. A raw file-system error (ENOSPC,
 * EACCES, …) or network error (ECONNREFUSED, ENOTFOUND, …) that got here unwrapped is told in plain
 * words, with its path or host and what to check.
 */
function errorMessage(error) {
    if (error instanceof Error) {
        // A raw network error is worded here; the client's NetworkError already says what it means.
        const network = error.name === 'NetworkError' ? undefined : (0,_network_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .describeNetworkFailure */ .K)(error, undefined, true);
        return (0,_local_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .describeFsError */ .TQ)(error) ?? network ?? error.message;
    }
    try {
        return String(error);
    }
    catch {
        return Object.prototype.toString.call(error);
    }
}
/**
 * Debug lines for a failure: each error of the cause chain with its name, code and system call,
 * then the stack of the first. The one-line message leaves these out; `--verbose` and
 * `ACTIONS_STEP_DEBUG` show them.
 */
function errorDetails(error) {
    const lines = [];
    let current = error;
    for (let depth = 0; depth < 5 && current !== undefined; depth++) {
        if (!(current instanceof Error)) {
            lines.push(`${depth === 0 ? 'error' : 'caused by'}: ${String(current)}`);
            break;
        }
        const fields = current;
        const facts = [
            typeof fields.code === 'string' ? `code ${fields.code}` : undefined,
            typeof fields.syscall === 'string' ? `syscall ${fields.syscall}` : undefined,
            typeof fields.errno === 'number' ? `errno ${fields.errno}` : undefined,
        ].filter((fact) => fact !== undefined);
        lines.push(`${depth === 0 ? 'error' : 'caused by'}: ${current.name}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}: ${current.message}`);
        if (current.cause === current)
            break;
        current = current.cause;
    }
    if (error instanceof Error && error.stack !== undefined)
        lines.push(...error.stack.split('\n'));
    return lines;
}


/***/ }),

/***/ 1241:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   XF: () => (/* binding */ readRegularFile),
/* harmony export */   wd: () => (/* binding */ isDirectory),
/* harmony export */   zg: () => (/* binding */ realpathOf)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
// What the input parser asks of the local file system, answered for the edges (action, CLI,
// library) to pass in: the parser itself does no I/O.

/** Whether the absolute path is an existing folder. */
function isDirectory(absolutePath) {
    return (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.statSync)(absolutePath, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
/** The real path of an existing path, links resolved; undefined when it does not exist. */
function realpathOf(absolutePath) {
    try {
        return node_fs__WEBPACK_IMPORTED_MODULE_0__.realpathSync.native(absolutePath);
    }
    catch {
        return undefined;
    }
}
function fileError(code, message) {
    return Object.assign(new Error(message), { code });
}
/**
 * The bytes of a regular file of at most `maxBytes`. Anything else is refused before a byte is read,
 * with the file system's kind of error: EISDIR (a folder), ENOTREG (a device, a pipe, a socket:
 * reading `/dev/zero` or a FIFO would never end), EFBIG (larger than `maxBytes`).
 */
function readRegularFile(absolutePath, maxBytes) {
    // Non-blocking, so opening a FIFO with no writer does not hang; not needed once it is a regular file.
    const fd = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.openSync)(absolutePath, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_RDONLY | (node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_NONBLOCK ?? 0));
    try {
        const stat = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.fstatSync)(fd);
        if (stat.isDirectory())
            throw fileError('EISDIR', `EISDIR: a folder, not a file: ${absolutePath}`);
        if (!stat.isFile())
            throw fileError('ENOTREG', `not a regular file: ${absolutePath}`);
        if (stat.size > maxBytes)
            throw fileError('EFBIG', `larger than ${maxBytes} bytes: ${absolutePath}`);
        const buffer = Buffer.alloc(stat.size);
        let filled = 0;
        while (filled < buffer.length) {
            const read = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readSync)(fd, buffer, filled, buffer.length - filled, filled);
            if (read === 0)
                break;
            filled += read;
        }
        return buffer.subarray(0, filled);
    }
    finally {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync)(fd);
    }
}


/***/ }),

/***/ 8052:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   QD: () => (/* binding */ LocalFileError),
/* harmony export */   TQ: () => (/* binding */ describeFsError),
/* harmony export */   kH: () => (/* binding */ asLocalFileError)
/* harmony export */ });
/* unused harmony export describeLocalFailure */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
// Failures of the local file system told in plain words: what happened to which path, and the fix.
// Node's own messages ("ENOSPC: no space left on device, write") name no path for writes through a
// handle and no fix at all; a download is usually the first thing in a job to fill a disk.


/** A local file operation failed; `code` is Node's (ENOSPC, EACCES, …), `path` the file or folder. */
class LocalFileError extends Error {
    /** `'LocalFileError'`. */
    name = 'LocalFileError';
    /** Node's error code: `ENOSPC`, `EACCES`, `EROFS`, … */
    code;
    /** The file or folder the operation failed on. */
    path;
    constructor(code, filePath, message, cause) {
        super(message, { cause });
        this.code = code;
        this.path = filePath;
    }
}
function errnoCode(error) {
    if (!(error instanceof Error) || error instanceof LocalFileError)
        return undefined;
    const code = error.code;
    return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}
/**
 * One line for a file-system error `code` at `filePath`. `file` names the file in the way for
 * ENOTDIR / EEXIST when it is known. Undefined for codes without a clearer wording.
 */
function describeLocalFailure(code, filePath, file, disk) {
    const quoted = `'${filePath}'`;
    const where = disk === undefined ? '' : `; ${disk}`;
    switch (code) {
        case 'ENOSPC':
            return (`No space left on the device holding ${quoted} (ENOSPC${where}). ` +
                'Fix: free space on that disk, or choose a destination on another one, then run again');
        case 'EDQUOT':
            return (`The disk quota is used up on the device holding ${quoted} (EDQUOT${where}). ` +
                'Fix: free space or raise the quota, then run again');
        case 'EACCES':
        case 'EPERM':
            return (`Permission denied: cannot write ${quoted} (${code}). ` +
                `Fix: make '${node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(filePath)}' writable by the user this runs as, or choose another destination`);
        case 'EROFS':
            return (`Cannot write ${quoted}: it is on a read-only file system (EROFS). ` +
                'Fix: choose a destination on a writable disk (e.g. in the workspace or the runner temp folder)');
        case 'ENOTDIR':
        case 'EEXIST':
            if (file === undefined && code === 'EEXIST')
                return undefined;
            if (file === undefined) {
                return (`Cannot create ${quoted}: part of that path is a file, not a folder (ENOTDIR). ` +
                    'Fix: remove or rename that file, or choose another destination');
            }
            return (`Cannot create ${file === filePath ? `the folder ${quoted}: a file has that name` : `${quoted}: '${file}' is a file, not a folder`} (${code}). ` +
                `Fix: remove or rename the file '${file}', or choose another destination`);
        case 'EMFILE':
        case 'ENFILE':
            return (`Too many open files while opening ${quoted} (${code}). ` +
                "Fix: lower 'concurrency', or raise the open-file limit (ulimit -n)");
        case 'EISDIR':
            return `Cannot write ${quoted}: it is a folder (EISDIR). Fix: remove the folder, or choose another destination`;
        case 'ENAMETOOLONG':
            return `Cannot write ${quoted}: the path is too long for this file system (ENAMETOOLONG). Fix: choose a shorter destination`;
        default:
            return undefined;
    }
}
/** The plain-words message of a raw Node file-system error that carries its path; no I/O. */
function describeFsError(error) {
    const code = errnoCode(error);
    const { path: filePath, syscall } = error;
    if (code === undefined || typeof filePath !== 'string')
        return undefined;
    // Only a raw error names the very path that is missing (a wrapped one names the destination).
    if (code === 'ENOENT') {
        return (`'${filePath}' does not exist (ENOENT${typeof syscall === 'string' ? `, ${syscall}` : ''}). ` +
            'Fix: check the path; if it lies in the destination, make sure nothing else removes it while the download runs');
    }
    // mkdir says EEXIST only when the path itself is there and is not a folder.
    const file = code === 'EEXIST' && syscall === 'mkdir' ? filePath : undefined;
    return describeLocalFailure(code, filePath, file);
}
/** The nearest existing ancestor of `filePath` (itself included) that is not a folder. */
async function fileInTheWay(filePath) {
    let current = node_path__WEBPACK_IMPORTED_MODULE_1__.resolve(filePath);
    for (;;) {
        const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)(current).catch(() => undefined);
        if (info !== undefined)
            return info.isDirectory() ? undefined : current;
        const parent = node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(current);
        if (parent === current)
            return undefined;
        current = parent;
    }
}
const mib = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
/** The disk holding `filePath`, told as its mount point and free space; undefined when unknown. */
async function diskOf(filePath) {
    let current = node_path__WEBPACK_IMPORTED_MODULE_1__.resolve(filePath);
    let info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)(current).catch(() => undefined);
    while (info === undefined && node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(current) !== current) {
        current = node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(current);
        info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)(current).catch(() => undefined);
    }
    if (info === undefined)
        return undefined;
    // The mount point: the highest ancestor on the same device.
    for (let parent = node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(current); parent !== current; parent = node_path__WEBPACK_IMPORTED_MODULE_1__.dirname(current)) {
        const above = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)(parent).catch(() => undefined);
        if (above === undefined || above.dev !== info.dev)
            break;
        current = parent;
    }
    const space = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.statfs)(current).catch(() => undefined);
    if (space === undefined)
        return `the disk mounted at '${current}'`;
    return `the disk mounted at '${current}' has ${mib(space.bavail * space.bsize)} free of ${mib(space.blocks * space.bsize)}`;
}
/**
 * Wraps a file-system failure at `filePath` in a LocalFileError with a clear message (the original
 * kept as `cause`); anything else is returned as is. Use as `.catch(async (e) => { throw await … })`.
 */
async function asLocalFileError(error, filePath) {
    const code = errnoCode(error);
    if (code === undefined)
        return error;
    const file = code === 'ENOTDIR' || code === 'EEXIST' ? await fileInTheWay(filePath) : undefined;
    const disk = code === 'ENOSPC' || code === 'EDQUOT' ? await diskOf(filePath) : undefined;
    const message = describeLocalFailure(code, filePath, file, disk);
    return message === undefined ? error : new LocalFileError(code, filePath, message, error);
}


/***/ }),

/***/ 9719:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   K: () => (/* binding */ describeNetworkFailure),
/* harmony export */   e: () => (/* binding */ networkCode)
/* harmony export */ });
// Failures to reach a server told in plain words: which host, what happened, and what to check.
// Node's and undici's own messages ("connect ECONNREFUSED 127.0.0.1:9555", "getaddrinfo ENOTFOUND
// …", "other side closed") name a code, not a cause a user can act on. Pure.
/** The first error in the cause chain (at most 5 deep) that carries one of `codes`. */
function findCode(error, codes, depthLimit = 5) {
    let current = error;
    for (let depth = 0; depth < depthLimit && current instanceof Error; depth++) {
        const code = current.code;
        if (typeof code === 'string' && codes.has(code))
            return current;
        if (current.cause === current)
            break;
        current = current.cause;
    }
    return undefined;
}
/** The advice about proxies, for a host that is not this machine. */
function proxy(place) {
    return place.local ? '' : '; if this network reaches the internet only through a proxy, set HTTPS_PROXY';
}
/** What each code means and what to check. */
const WORDING = {
    ECONNREFUSED: (p) => `cannot connect to ${p.host}: the connection was refused (ECONNREFUSED). ` +
        `Check that the endpoint is running and that its address and port are right${proxy(p)}`,
    ENOTFOUND: (p) => `cannot resolve the host name '${p.name}' (ENOTFOUND). ` +
        `Check the bucket, region and endpoint for typos${proxy(p)}`,
    EAI_AGAIN: (p) => `the DNS lookup of '${p.name}' failed for now (EAI_AGAIN). Check the network connection and DNS${proxy(p)}`,
    ETIMEDOUT: (p) => `connecting to ${p.host} timed out (ETIMEDOUT). Check the endpoint and that no firewall blocks it${proxy(p)}`,
    UND_ERR_CONNECT_TIMEOUT: (p) => `connecting to ${p.host} timed out (UND_ERR_CONNECT_TIMEOUT). ` +
        `Check the endpoint and that no firewall blocks it${proxy(p)}`,
    EHOSTUNREACH: (p) => `no route to ${p.host} (EHOSTUNREACH). Check the network connection and the endpoint${proxy(p)}`,
    ENETUNREACH: (p) => `the network of ${p.host} is unreachable (ENETUNREACH). Check the network connection${proxy(p)}`,
    ECONNRESET: (p) => `the connection to ${p.host} was reset (ECONNRESET). If it keeps happening, check the network, ` +
        'and any proxy or firewall in between',
    UND_ERR_SOCKET: (p) => `the connection to ${p.host} was closed by the other side (UND_ERR_SOCKET). If it keeps happening, ` +
        'check the endpoint, and any proxy or firewall in between',
    UND_ERR_HEADERS_TIMEOUT: (p) => `${p.host} sent no answer within the timeout (UND_ERR_HEADERS_TIMEOUT). Check the endpoint, or raise timeout`,
    UND_ERR_BODY_TIMEOUT: (p) => `${p.host} stopped sending within the timeout (UND_ERR_BODY_TIMEOUT). Check the network, or raise timeout`,
    EPROTO: (p) => `the TLS handshake with ${p.host} failed (EPROTO): it may speak plain http. ` +
        'Check the scheme of the endpoint (http:// or https://)',
    ERR_SSL_WRONG_VERSION_NUMBER: (p) => `the TLS handshake with ${p.host} failed (ERR_SSL_WRONG_VERSION_NUMBER): it may speak plain http. ` +
        'Check the scheme of the endpoint (http:// or https://)',
};
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/i;
const CODES = new Set(Object.keys(WORDING));
/** The code of a network failure this module words, anywhere in the cause chain; else undefined. */
function networkCode(error) {
    return findCode(error, CODES)?.code;
}
/**
 * One line for a failure to reach a server: the host (`origin`'s, else the error's), what
 * happened, and what to check. Undefined for anything that is not such a failure. `shallow`
 * looks at `error` itself only, not at its causes.
 */
function describeNetworkFailure(error, origin, shallow = false) {
    const found = findCode(error, CODES, shallow ? 1 : 5);
    if (found === undefined)
        return undefined;
    let host;
    let name;
    if (origin !== undefined) {
        try {
            const url = new URL(origin);
            host = url.host;
            name = url.hostname;
        }
        catch {
            host = undefined;
        }
    }
    const own = typeof found.hostname === 'string' ? found.hostname : found.address;
    if (host === undefined && typeof own === 'string') {
        name = own;
        host = typeof found.port === 'number' ? `${own}:${found.port}` : own;
    }
    const place = {
        host: host ?? 'the server',
        name: name ?? host ?? 'the server',
        local: LOOPBACK.test(name ?? ''),
    };
    return WORDING[found.code](place);
}


/***/ }),

/***/ 3105:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   g$: () => (/* binding */ printable),
/* harmony export */   ml: () => (/* binding */ systemClock),
/* harmony export */   qq: () => (/* binding */ silentLogger)
/* harmony export */ });
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8500);
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8566);
// The injected edges of every layer: time and logging. Defaults are the real ones.


const systemClock = {
    now: () => Date.now(),
    sleep: async (ms, signal) => {
        await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_0__.setTimeout)(ms, undefined, signal ? { signal } : {});
    },
};
const silentLogger = {
    debug: () => { },
    info: () => { },
    warning: () => { },
};
/**
 * A logger whose every message is one line of printable text: control characters (a line break
 * in a key or a file name, a terminal escape) are escaped, and a message cannot start a workflow
 * command (`::…`) on the runner.
 */
function printable(logger) {
    const clean = (message) => {
        const line = (0,_text_js__WEBPACK_IMPORTED_MODULE_1__/* .escapeControls */ .UN)(message);
        return line.startsWith('::') ? ` ${line}` : line;
    };
    return {
        debug: (m) => logger.debug(clean(m)),
        info: (m) => logger.info(clean(m)),
        warning: (m) => logger.warning(clean(m)),
    };
}


/***/ }),

/***/ 6098:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   d: () => (/* binding */ isStateSegment),
/* harmony export */   e: () => (/* binding */ STATE_DIR)
/* harmony export */ });
// The name of the folder where cos-download keeps its own files at a destination (temp files,
// checkpoints, the manifest, locks), and the names a file system takes for it. Pure.
/** The folder of cos-download's own files (temp files, checkpoints, manifest, locks); see state.ts. */
const STATE_DIR = '.cos-download';
// Code points HFS+ ignores in names (as git's core.protectHFS lists them): `.cos\u200c-download` is
// the same folder there.
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;
// The 8.3 short name NTFS may give `.cos-download` (`COS-DO~1`), as git's core.protectNTFS knows.
const NTFS_SHORT = /^cos-do~\d+$/;
/**
 * True for a path segment that names the state folder on some file system: any case, with the
 * code points HFS+ ignores, with the trailing dots and spaces Windows drops, or as its NTFS short name.
 */
function isStateSegment(segment) {
    const name = segment.replace(HFS_IGNORED, '').toLowerCase();
    return name.replace(/[. ]+$/, '') === STATE_DIR || NTFS_SHORT.test(name);
}


/***/ }),

/***/ 8566:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Fd: () => (/* binding */ hasControlCharacter),
/* harmony export */   UN: () => (/* binding */ escapeControls),
/* harmony export */   cl: () => (/* binding */ quoteValue)
/* harmony export */ });
// Text shown in a one-line message: control characters escaped, long values cut.
const MAX_SHOWN = 200;
/** True for C0/C1 control characters and the Unicode line/paragraph separators. */
function isControl(code) {
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}
/** True when the text holds a control character (a line break, NUL, …). */
function hasControlCharacter(text) {
    for (let i = 0; i < text.length; i++)
        if (isControl(text.charCodeAt(i)))
            return true;
    return false;
}
const ESCAPES = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/** Text with its control characters escaped (as `\n`, `\u0000`), so it stays on one line. */
function escapeControls(text) {
    if (!hasControlCharacter(text))
        return text;
    let escaped = '';
    for (const char of text) {
        const code = char.charCodeAt(0);
        escaped += isControl(code) ? (ESCAPES[char] ?? `\\u${code.toString(16).padStart(4, '0')}`) : char;
    }
    return escaped;
}
/** A value quoted for a one-line message: control characters escaped, long values cut. */
function quoteValue(value) {
    const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return `'${escapeControls(cut)}'`;
}


/***/ }),

/***/ 9205:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   C1: () => (/* binding */ wrapText),
/* harmony export */   MG: () => (/* binding */ wrapCommand),
/* harmony export */   qb: () => (/* binding */ helpEntry)
/* harmony export */ });
// Text fitted to a terminal's width: prose wrapped at spaces, commands continued with ` \` so they
// can still be pasted into a shell. Pure.
/** `text` in lines of at most `width` characters, each starting with `indent`. */
function wrapText(text, width, indent = '') {
    const room = Math.max(10, width - indent.length);
    const lines = [];
    let line = '';
    // A word longer than a line (a URL) is cut: nothing may reach past the width.
    const words = text
        .split(/\s+/)
        .filter((w) => w !== '')
        .flatMap((w) => (w.length <= room ? [w] : (w.match(new RegExp(`.{1,${room}}`, 'g')) ?? [w])));
    for (const word of words) {
        if (line === '')
            line = word;
        else if (line.length + 1 + word.length <= room)
            line += ` ${word}`;
        else {
            lines.push(`${indent}${line}`);
            line = word;
        }
    }
    if (line !== '')
        lines.push(`${indent}${line}`);
    return lines.length === 0 ? [indent.trimEnd()] : lines;
}
/** The words of a command line in pieces that stay together: `--flag VALUE`, `[--flag VALUE]`. */
function pieces(command) {
    const words = command.split(' ').filter((w) => w !== '');
    const out = [];
    for (let i = 0; i < words.length; i++) {
        let piece = words[i];
        if (piece.startsWith('[')) {
            let depth = (piece.match(/\[/g) ?? []).length - (piece.match(/\]/g) ?? []).length;
            while (depth > 0 && i + 1 < words.length) {
                const next = words[++i];
                piece += ` ${next}`;
                depth += (next.match(/\[/g) ?? []).length - (next.match(/\]/g) ?? []).length;
            }
        }
        else if (piece.startsWith('-') && !piece.includes('=')) {
            const next = words[i + 1];
            if (next !== undefined && !next.startsWith('-') && !next.startsWith('[')) {
                piece += ` ${next}`;
                i++;
            }
        }
        out.push(piece);
    }
    return out;
}
/**
 * A command in lines of at most `width` characters, broken between pieces (a flag stays with its
 * value, a `[…]` group stays whole), the continuations indented two more. With `continued` (the
 * default) every line but the last ends in ` \`, so the lines paste into a shell as one command;
 * without it (a usage line) they do not.
 */
function wrapCommand(command, width, indent = '', continued = true) {
    const lines = [];
    const tail = continued ? ' \\' : '';
    let line = '';
    // A `--flag VALUE` too long for a line of its own goes on two.
    const all = pieces(command).flatMap((piece) => `${indent}  ${piece}${tail}`.length > width && piece.includes(' ') && !piece.startsWith('[')
        ? piece.split(' ')
        : [piece]);
    for (const piece of all) {
        if (line === '')
            line = `${indent}${piece}`;
        else if (line.length + 1 + piece.length + tail.length <= width)
            line += ` ${piece}`;
        else {
            lines.push(`${line}${tail}`);
            line = `${indent}  ${piece}`;
        }
    }
    lines.push(line);
    return lines;
}
/** One entry: the flag, then its text beside it (or under it, on a narrow terminal). */
function helpEntry(left, text, width, column) {
    if (width < 60 || left.length + 4 > column) {
        return [`  ${left}`, ...wrapText(text, width, '      ')];
    }
    const lines = wrapText(text, width, ' '.repeat(column));
    lines[0] = `  ${left.padEnd(column - 2)}${(lines[0] ?? '').trimStart()}`;
    return lines;
}


/***/ }),

/***/ 2453:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $p: () => (/* binding */ BOOLEAN_INPUTS),
/* harmony export */   Xj: () => (/* binding */ SWITCHES),
/* harmony export */   Zy: () => (/* binding */ parseArgs),
/* harmony export */   eb: () => (/* binding */ UsageError)
/* harmony export */ });
/* unused harmony exports knownFlags, editDistance, closest */
/* harmony import */ var _config_inputs_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6097);
// argv → raw inputs and the CLI's own switches. Every input is a flag of the same name; a mistyped
// flag is named, with the closest known one suggested.

/** A bad command line: exit status 2, before anything is read or sent. */
class UsageError extends Error {
    name = 'UsageError';
    /** The flag at fault, as typed (`--destinaton`, `-k`), when there is one. */
    flag;
    constructor(message, flag) {
        super(message);
        this.flag = flag;
    }
}
const BOOLEAN_INPUTS = new Set(_config_inputs_js__WEBPACK_IMPORTED_MODULE_0__/* .INPUT_NAMES */ .Qh.filter((name) => {
    const fallback = _config_inputs_js__WEBPACK_IMPORTED_MODULE_0__/* .INPUTS */ .mc[name].default;
    return fallback === 'true' || fallback === 'false';
}));
/** The CLI's own switches (not inputs), with their one-letter forms. */
const SWITCHES = {
    json: { short: undefined, description: 'Print one JSON object on stdout (the schema is in the README).' },
    quiet: { short: 'q', description: 'Only warnings and errors on stderr: no progress, no info lines.' },
    verbose: { short: 'v', description: 'Also debug lines: each request, retry and decision, error codes.' },
    help: { short: 'h', description: 'Print this help.' },
    version: { short: 'V', description: 'Print the version.' },
};
/** Every long flag the CLI knows, `--no-…` forms included, without the dashes. */
function knownFlags() {
    return [..._config_inputs_js__WEBPACK_IMPORTED_MODULE_0__/* .INPUT_NAMES */ .Qh, ...[...BOOLEAN_INPUTS].map((name) => `no-${name}`), ...Object.keys(SWITCHES)];
}
/** Optimal string alignment distance: edits, with a swap of two neighbours counted as one. */
function editDistance(a, b) {
    const rows = a.length + 1;
    const cols = b.length + 1;
    const d = new Array(rows * cols).fill(0);
    const at = (i, j) => d[i * cols + j];
    for (let i = 0; i < rows; i++)
        d[i * cols] = i;
    for (let j = 0; j < cols; j++)
        d[j] = j;
    for (let i = 1; i < rows; i++) {
        for (let j = 1; j < cols; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
                best = Math.min(best, at(i - 2, j - 2) + 1);
            }
            d[i * cols + j] = best;
        }
    }
    return at(a.length, b.length);
}
/**
 * The known name closest to `typed`: a small edit distance (1 for short names, 2 from 5 letters,
 * 3 from 10), or the one name `typed` is the start of. Undefined when nothing is close.
 */
function closest(typed, known) {
    const word = typed.toLowerCase().replaceAll('_', '-');
    const limit = word.length >= 10 ? 3 : word.length >= 5 ? 2 : 1;
    let best;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const name of known) {
        const distance = editDistance(word, name);
        if (distance < bestDistance) {
            best = name;
            bestDistance = distance;
        }
    }
    if (best !== undefined && bestDistance <= limit)
        return best;
    const starting = known.filter((name) => word.length >= 3 && name.startsWith(word));
    return starting.length === 1 ? starting[0] : undefined;
}
function unknownFlag(typed) {
    const long = typed.startsWith('--');
    let guess;
    if (long) {
        guess = closest(typed.slice(2), knownFlags());
    }
    else {
        // `-k`: one letter; the long flag it most likely stands for is the only one starting with it.
        const letter = typed.slice(1, 2).toLowerCase();
        const starting = _config_inputs_js__WEBPACK_IMPORTED_MODULE_0__/* .INPUT_NAMES */ .Qh.filter((name) => name.startsWith(letter));
        guess = typed.length === 2 && starting.length === 1 ? starting[0] : closest(typed.slice(1), knownFlags());
    }
    const shorts = Object.values(SWITCHES)
        .map((s) => s.short)
        .filter((s) => s !== undefined)
        .map((s) => `-${s}`)
        .join(', ');
    const hint = guess === undefined ? '' : ` Did you mean --${guess}?`;
    const rest = long
        ? " Run 'cos-download --help' for the options."
        : ` The one-letter options are ${shorts}; every other option is spelled out (--key, --bucket, …).`;
    return new UsageError(`unknown option '${typed}'.${hint}${rest}`, typed);
}
/** `--name value`, `--name=value`; boolean inputs also as bare `--name` / `--no-name`. */
function parseArgs(argv) {
    const inputs = {};
    const switches = {
        json: false,
        quiet: false,
        verbose: false,
        help: false,
        version: false,
    };
    const known = new Set(_config_inputs_js__WEBPACK_IMPORTED_MODULE_0__/* .INPUT_NAMES */ .Qh);
    const shortSwitch = new Map();
    for (const [name, spec] of Object.entries(SWITCHES)) {
        if (spec.short !== undefined)
            shortSwitch.set(`-${spec.short}`, name);
    }
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const short = shortSwitch.get(arg);
        if (short !== undefined) {
            switches[short] = true;
            continue;
        }
        if (arg.startsWith('--') && Object.hasOwn(SWITCHES, arg.slice(2))) {
            switches[arg.slice(2)] = true;
            continue;
        }
        if (arg === '--') {
            throw new UsageError("'--' ends no option list here: every value belongs to an option", arg);
        }
        if (arg.startsWith('--')) {
            const eq = arg.indexOf('=');
            let name = arg.slice(2, eq === -1 ? undefined : eq);
            let value = eq === -1 ? undefined : arg.slice(eq + 1);
            if (value === undefined && name.startsWith('no-') && BOOLEAN_INPUTS.has(name.slice(3))) {
                name = name.slice(3);
                value = 'false';
            }
            if (!known.has(name))
                throw unknownFlag(`--${name}`);
            const input = name;
            if (value === undefined) {
                const next = argv[i + 1];
                if (BOOLEAN_INPUTS.has(input) &&
                    (next === undefined || next.startsWith('-') || !/^(true|false)$/i.test(next))) {
                    value = 'true';
                }
                else if (next === undefined || /^--[a-z]/.test(next)) {
                    // `--secret-id $UNSET --secret-key KEY` must not take '--secret-key' as the id and then
                    // echo KEY back as a stray argument: an option never takes the next option as its value.
                    throw new UsageError(`option '--${name}' needs a value, e.g. --${name} VALUE or --${name}=VALUE`, `--${name}`);
                }
                else {
                    value = next;
                    i++;
                }
            }
            if (input in inputs && input !== 'include' && input !== 'exclude') {
                throw new UsageError(`option '--${name}' is given twice`, `--${name}`);
            }
            inputs[input] = input in inputs ? `${inputs[input]}\n${value}` : value;
        }
        else if (/^-[^\d-]/.test(arg)) {
            throw unknownFlag(arg.split('=')[0]);
        }
        else {
            // Not echoed: a stray argument is often half of a value that lost its quotes, a key perhaps.
            const after = argv
                .slice(0, i)
                .findLast((earlier) => earlier.startsWith('-'))
                ?.split('=')[0];
            const command = i === 0 ? closest(arg, ['emulator']) : undefined;
            if (command !== undefined) {
                throw new UsageError(`unknown command '${arg}'. Did you mean 'cos-download ${command}'?`);
            }
            throw new UsageError(`unexpected argument #${i + 1}${after === undefined ? '' : ` (after '${after}')`}, not shown in case it is a secret; ` +
                "options start with '--', and a value with spaces needs quotes. Run 'cos-download --help'.");
        }
    }
    return { inputs, ...switches };
}


/***/ }),

/***/ 5187:
/***/ ((__webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.a(__webpack_module__, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
__webpack_require__.r(__webpack_exports__);
/* harmony import */ var _exit_codes_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(535);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6630);


// Ctrl-C (SIGINT) or a cancelled job (SIGTERM) aborts the download, which keeps its checkpoint,
// and the run exits 130 / 143. A second signal is not caught: it ends the process at once.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => controller.abort(new _exit_codes_js__WEBPACK_IMPORTED_MODULE_0__/* .Interrupted */ .j$(signal)));
}
/**
 * A standard stream whose reader may go away (`cos-download … | head -1`): once a write fails
 * (EPIPE), later writes are dropped and the run ends with its own exit code, without a stack trace.
 */
function tolerant(stream) {
    let closed = false;
    stream.on('error', () => {
        closed = true;
    });
    return {
        write(text) {
            if (closed)
                return;
            try {
                stream.write(text);
            }
            catch {
                closed = true;
            }
        },
        get isTTY() {
            return stream.isTTY === true;
        },
        // Read at every use: a resized terminal is followed.
        get columns() {
            return stream.isTTY === true ? stream.columns : undefined;
        },
    };
}
process.exitCode = await (0,_main_js__WEBPACK_IMPORTED_MODULE_1__/* .main */ .iW)(process.argv.slice(2), {
    stdout: tolerant(process.stdout),
    stderr: tolerant(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
});

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 535:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ij: () => (/* binding */ EXIT_OK),
/* harmony export */   Kx: () => (/* binding */ SIGNAL_EXIT),
/* harmony export */   Ri: () => (/* binding */ EXIT_USAGE),
/* harmony export */   ai: () => (/* binding */ EXIT_CODES),
/* harmony export */   j$: () => (/* binding */ Interrupted),
/* harmony export */   w5: () => (/* binding */ EXIT_FAILURE)
/* harmony export */ });
/* unused harmony exports EXIT_INTERRUPTED, EXIT_TERMINATED */
// The CLI's exit codes: one table, printed by --help and copied in the README (a test compares).
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** 128 + SIGINT (2): Ctrl-C. */
const EXIT_INTERRUPTED = 130;
/** 128 + SIGTERM (15): `kill`, a cancelled CI job, `timeout`. */
const EXIT_TERMINATED = 143;
const EXIT_CODES = [
    {
        code: EXIT_OK,
        meaning: 'success, also when nothing needed downloading (unchanged, not modified, dry run)',
    },
    {
        code: EXIT_FAILURE,
        meaning: 'failure: COS refused, the network or the disk failed, a check did not hold',
    },
    { code: EXIT_USAGE, meaning: 'usage error: a bad flag or input, found before any request' },
    {
        code: EXIT_INTERRUPTED,
        meaning: 'interrupted by Ctrl-C (SIGINT): a large download keeps its progress (a line says how much); ' +
            'run the same command again to resume',
    },
    {
        code: EXIT_TERMINATED,
        meaning: 'terminated by SIGTERM (kill, a cancelled CI job); progress kept as for 130',
    },
];
/** The signals the CLI stops on, and how it exits after each. */
const SIGNAL_EXIT = { SIGINT: EXIT_INTERRUPTED, SIGTERM: EXIT_TERMINATED };
/** The reason an interrupted run's AbortSignal carries. */
class Interrupted extends Error {
    name = 'Interrupted';
    signal;
    constructor(signal) {
        super(signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)');
        this.signal = signal;
    }
}


/***/ }),

/***/ 6630:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  iW: () => (/* binding */ main)
});

// UNUSED EXPORTS: EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, VERSION, helpText, parseArgs

;// CONCATENATED MODULE: ./package.json
const package_namespaceObject = {"rE":"0.1.0"};
// EXTERNAL MODULE: ./lib/base/error-message.js
var error_message = __webpack_require__(4329);
// EXTERNAL MODULE: ./lib/base/file-system.js
var file_system = __webpack_require__(1241);
// EXTERNAL MODULE: ./lib/config/errors.js
var errors = __webpack_require__(8159);
// EXTERNAL MODULE: ./lib/config/parse.js + 1 modules
var parse = __webpack_require__(4365);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: ./lib/base/runtime.js
var runtime = __webpack_require__(3105);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./lib/base/text.js
var base_text = __webpack_require__(8566);
// EXTERNAL MODULE: ./lib/cos/errors.js
var cos_errors = __webpack_require__(4192);
;// CONCATENATED MODULE: ./lib/cos/list.js
// ListObjects (GET Bucket): pages of keys, yielded as they arrive so downloads can start before the
// listing ends. Keys come URL-encoded (`encoding-type=url`) so any byte survives the XML.


/** A listing page is at most 1000 entries; anything far larger is not COS talking. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;
/**
 * A page's body as text. Past MAX_PAGE_BYTES it fails at once: reading stops (which drops the
 * connection), rather than draining an endless body or cutting it into what looks like a shorter page.
 */
async function readPage(body, what) {
    const chunks = [];
    let length = 0;
    for await (const chunk of body) {
        length += chunk.length;
        if (length > MAX_PAGE_BYTES) {
            throw new cos_errors/* ProtocolError */.bd(`${what} is larger than 16 MiB: a page of 1000 keys is far smaller, so this is not COS answering`, { transient: false });
        }
        chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
}
const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
function unescapeXml(raw) {
    if (!raw.includes('&'))
        return raw;
    return raw.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, name) => {
        if (name.startsWith('#')) {
            const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
            return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
        }
        return ENTITIES[name] ?? whole;
    });
}
/** A ListBucketResult is three levels deep; a document far deeper is not COS answering. */
const MAX_DEPTH = 32;
/** An element name for a message: quoted, cut short, control characters escaped. */
const shown = (name) => JSON.stringify(`<${name.slice(0, 40)}>`);
const malformed = (why) => new cos_errors/* ProtocolError */.bd(`ListObjects answered XML that does not parse: ${why}`, { transient: true });
/**
 * Parses the XML of a listing page into elements: one pass, no DTD (a DOCTYPE is refused, so no
 * entity expansion), attributes skipped, every end tag checked against its start tag. It does only
 * what a ListBucketResult needs and is ~10× faster than a general parser on a 1000-key page.
 */
function parseXmlElements(xml) {
    const root = { name: '', text: '', children: [] };
    const stack = [root];
    let at = 0;
    for (;;) {
        const open = xml.indexOf('<', at);
        const top = stack[stack.length - 1];
        const text = open === -1 ? xml.slice(at) : xml.slice(at, open);
        if (text !== '')
            top.text += unescapeXml(text);
        if (open === -1)
            break;
        if (xml.startsWith('<![CDATA[', open)) {
            const close = xml.indexOf(']]>', open + 9);
            if (close === -1)
                throw malformed('an unterminated CDATA section');
            top.text += xml.slice(open + 9, close);
            at = close + 3;
        }
        else if (xml.startsWith('<!--', open)) {
            const close = xml.indexOf('-->', open + 4);
            if (close === -1)
                throw malformed('an unterminated comment');
            at = close + 3;
        }
        else if (xml.startsWith('<?', open)) {
            const close = xml.indexOf('?>', open + 2);
            if (close === -1)
                throw malformed('an unterminated declaration');
            at = close + 2;
        }
        else if (xml.startsWith('<!', open)) {
            throw malformed('a DOCTYPE or markup declaration');
        }
        else {
            const close = xml.indexOf('>', open + 1);
            if (close === -1)
                throw malformed('an unterminated tag');
            const tag = xml.slice(open + 1, close);
            if (tag.startsWith('/')) {
                const name = tag.slice(1).trimEnd();
                if (stack.length < 2 || top.name !== name)
                    throw malformed(`an unexpected end tag ${shown(name)}`);
                stack.pop();
            }
            else {
                const selfClosing = tag.endsWith('/');
                const name = /^[^\s/>]+/.exec(tag)?.[0];
                if (name === undefined)
                    throw malformed('a tag without a name');
                const element = { name, text: '', children: [] };
                top.children.push(element);
                if (!selfClosing)
                    stack.push(element);
                if (stack.length > MAX_DEPTH)
                    throw malformed(`elements nested deeper than ${MAX_DEPTH} levels`);
            }
            at = close + 1;
        }
    }
    if (stack.length !== 1)
        throw malformed(`${shown(stack[stack.length - 1].name)} is not closed`);
    return root;
}
/** The text of the only `name` child that has no children of its own; undefined otherwise. */
function leaf(element, name) {
    let found;
    for (const child of element.children) {
        if (child.name !== name)
            continue;
        if (found !== undefined)
            return undefined;
        found = child;
    }
    return found === undefined || found.children.length > 0 ? undefined : found.text;
}
function decode(value, what) {
    if (typeof value !== 'string')
        throw new cos_errors/* ProtocolError */.bd(`ListObjects: ${what} is missing`, { transient: false });
    try {
        return decodeURIComponent(value.replace(/\+/g, '%20'));
    }
    catch (error) {
        throw new cos_errors/* ProtocolError */.bd(`ListObjects: ${what} is not valid URL encoding`, {
            transient: false,
            cause: error,
        });
    }
}
function list_text(value) {
    return typeof value === 'string' ? value : '';
}
/** Parses one ListBucketResult page (URL-encoded keys). Pure. */
function parseListPage(xml) {
    // COS never sends a DOCTYPE: refusing one means no entity it declares is ever expanded.
    if (/<!DOCTYPE/i.test(xml)) {
        throw new cos_errors/* ProtocolError */.bd('ListObjects answered XML with a DOCTYPE, which COS never sends', {
            transient: false,
        });
    }
    // The scanner checks every end tag, so a document cut short never reads as a shorter listing.
    const document = parseXmlElements(xml);
    const result = document.children[0];
    if (document.children.length !== 1 || result?.name !== 'ListBucketResult') {
        throw new cos_errors/* ProtocolError */.bd('ListObjects answered without exactly one ListBucketResult', { transient: true });
    }
    // Missing or garbled, it cannot tell the last page from one more: never guess "last".
    const truncatedText = leaf(result, 'IsTruncated');
    if (truncatedText !== 'true' && truncatedText !== 'false') {
        throw new cos_errors/* ProtocolError */.bd('ListObjects answered without IsTruncated true or false', { transient: true });
    }
    const objects = [];
    const prefixes = [];
    for (const entry of result.children) {
        if (entry.name === 'Contents') {
            const key = decode(leaf(entry, 'Key'), 'a Key');
            const sizeText = list_text(leaf(entry, 'Size'));
            if (!/^\d{1,16}$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
                throw new cos_errors/* ProtocolError */.bd(`ListObjects: ${(0,base_text/* quoteValue */.cl)(key)} has an invalid Size`, { transient: false });
            }
            objects.push({
                key,
                etag: list_text(leaf(entry, 'ETag')),
                size: Number(sizeText),
                lastModified: list_text(leaf(entry, 'LastModified')),
                storageClass: list_text(leaf(entry, 'StorageClass')) || 'STANDARD',
            });
        }
        else if (entry.name === 'CommonPrefixes') {
            prefixes.push(decode(leaf(entry, 'Prefix'), 'a CommonPrefixes Prefix'));
        }
    }
    const truncated = truncatedText === 'true';
    const marker = leaf(result, 'NextMarker');
    const nextMarker = marker === undefined ? undefined : decode(marker, 'NextMarker');
    return { objects, commonPrefixes: prefixes, truncated, nextMarker };
}
/** Compares two keys in UTF-8 byte order, the order COS lists keys in (code point order). */
function compareUtf8(a, b) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) {
        const ca = a.charCodeAt(i);
        const cb = b.charCodeAt(i);
        if (ca === cb)
            continue;
        // UTF-16 puts surrogates (code points past U+FFFF) below U+E000..U+FFFF; UTF-8 does not.
        const sa = ca >= 0xd800 && ca <= 0xdfff;
        const sb = cb >= 0xd800 && cb <= 0xdfff;
        if (sa !== sb && (sa ? cb : ca) >= 0xe000)
            return sa ? 1 : -1;
        return ca - cb;
    }
    return a.length - b.length;
}
/**
 * COS lists keys in strictly increasing UTF-8 order; a listing that repeats a key or goes back is
 * malformed (a mirror would race one file against itself, and `delete` could trust a bad listing).
 */
function checkOrder(objects, previous, what) {
    let last = previous;
    for (const object of objects) {
        if (last !== undefined) {
            const order = compareUtf8(last, object.key);
            if (order >= 0) {
                throw new cos_errors/* ProtocolError */.bd(order === 0
                    ? `${what} lists ${(0,base_text/* quoteValue */.cl)(object.key)} twice; COS never repeats a key, so the listing is refused as malformed`
                    : `${what} lists ${(0,base_text/* quoteValue */.cl)(object.key)} after ${(0,base_text/* quoteValue */.cl)(last)}, out of COS's UTF-8 key order, so the listing is refused as malformed`, { transient: false });
            }
        }
        last = object.key;
    }
    return last;
}
/** Yields listing pages in order, following NextMarker (or the last key) until the end. */
async function* listPages(client, options) {
    let marker = '';
    let lastKey;
    for (let page = 1;; page++) {
        const query = {
            prefix: options.prefix,
            'max-keys': String(options.maxKeys ?? 1000),
            'encoding-type': 'url',
            ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
            ...(marker === '' ? {} : { marker }),
        };
        const what = `ListObjects '${options.prefix}' page ${page}`;
        const result = await client.retrying(what, options.signal, async () => {
            const response = await client.send({
                method: 'GET',
                key: '',
                query,
                signal: options.signal,
            });
            return parseListPage(await readPage(response.body, what));
        });
        lastKey = checkOrder(result.objects, lastKey, `ListObjects '${options.prefix}'`);
        yield result;
        if (!result.truncated)
            return;
        const next = result.nextMarker ?? result.objects.at(-1)?.key ?? result.commonPrefixes.at(-1);
        if (next === undefined || next === marker) {
            throw new cos_errors/* ProtocolError */.bd(`ListObjects '${options.prefix}' page ${page} is truncated but gives no marker to go on`, {
                transient: false,
            });
        }
        marker = next;
    }
}

// EXTERNAL MODULE: ./lib/base/state-name.js
var state_name = __webpack_require__(6098);
;// CONCATENATED MODULE: ./lib/transfer/paths.js
// Object keys → local paths under the destination. Pure. A key maps to a path only if that path
// stays inside the destination and every runner's file system can hold it; otherwise it is refused
// with the reason (the mirror skips it with a warning — see docs/adr/0004-path-mapping.md).


// Device names, with any extension and spaces before it: `aux.txt`, `nul .tar.gz`, `CONIN$` (as ntpath.isreserved).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\..*)?$/i;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_SEGMENT_BYTES = 255;
/** The key relative to the mirrored prefix (`prefix` is '' or ends with '/'). */
function relativeKey(key, prefix) {
    return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}
/**
 * Maps a key (relative to the prefix) to a relative local path, using `/` as separator.
 * Refused everywhere: empty names, `.` / `..` segments, absolute paths, drive letters, backslashes
 * (a separator on Windows), NUL and control characters, segments over 255 bytes, and a segment
 * naming the state folder (`.cos-download`, any case). Refused on Windows only: reserved device
 * names, `<>:"|?*`, trailing dots or spaces.
 */
function mapKey(relative, platform = 'linux') {
    if (relative === '')
        return { kind: 'refused', reason: 'it is the prefix itself' };
    const folder = relative.endsWith('/');
    const body = folder ? relative.slice(0, -1) : relative;
    if (body === '')
        return { kind: 'refused', reason: 'it is an empty name' };
    if (body.startsWith('/'))
        return { kind: 'refused', reason: 'it is an absolute path' };
    if (/^[a-zA-Z]:/.test(body))
        return { kind: 'refused', reason: 'it starts with a drive letter' };
    if (body.includes('\\'))
        return { kind: 'refused', reason: 'it contains a backslash' };
    if (CONTROL.test(body))
        return { kind: 'refused', reason: 'it contains NUL or a control character' };
    for (const segment of body.split('/')) {
        if (segment === '')
            return { kind: 'refused', reason: "it contains an empty segment ('//')" };
        if (segment === '.' || segment === '..')
            return { kind: 'refused', reason: `it contains a '${segment}' segment` };
        if ((0,state_name/* isStateSegment */.d)(segment)) {
            return { kind: 'refused', reason: `'${segment}' is the name of cos-download's own state folder` };
        }
        if (platform === 'win32') {
            const windows = windowsProblem(segment);
            if (windows !== undefined)
                return { kind: 'refused', reason: windows };
        }
        if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
            return { kind: 'refused', reason: 'a path segment is longer than 255 bytes' };
        }
    }
    return { kind: folder ? 'folder' : 'file', relative: body };
}
function windowsProblem(segment) {
    if (WINDOWS_RESERVED.test(segment))
        return `'${segment}' is a reserved device name on Windows`;
    if (WINDOWS_FORBIDDEN.test(segment))
        return `'${segment}' holds a character Windows cannot store (<>:"|?*)`;
    if (/[. ]$/.test(segment))
        return `'${segment}' ends with a dot or space, which Windows drops`;
    return undefined;
}
/** True where names differing only in case are the same file (Windows, macOS by default). */
function caseInsensitive(platform) {
    return platform === 'win32' || platform === 'darwin';
}
/** The absolute local path of a `/`-separated relative path strictly inside `root`, else undefined. */
function pathInside(root, relative) {
    const full = external_node_path_.resolve(root, ...relative.split('/'));
    const inside = external_node_path_.relative(root, full);
    if (inside === '' || inside === '..' || inside.startsWith(`..${external_node_path_.sep}`) || external_node_path_.isAbsolute(inside)) {
        return undefined;
    }
    return full;
}
/** The absolute local path of a mapped key; throws if it would leave `root` (it cannot, by mapKey). */
function localPath(root, relative) {
    const full = pathInside(root, relative);
    if (full === undefined)
        throw new Error(`refusing to write outside the destination: ${relative}`);
    return full;
}
/** Key for collision checks on case-insensitive file systems (Windows, macOS). */
function foldedPath(relative) {
    return relative.normalize('NFC').toLowerCase();
}

;// CONCATENATED MODULE: ./lib/transfer/local-folder.js





/** A key cannot be a file here: the local folder (or another key) holds something else at its path. */
class PathConflict extends Error {
    name = 'PathConflict';
}
/** A link planted in the destination stood in the way of a write; it is never followed. */
class PlantedLinkError extends Error {
    name = 'PlantedLinkError';
}
function ancestorsOf(relative) {
    const parts = relative.split('/');
    const ancestors = [];
    for (let i = 1; i < parts.length; i++)
        ancestors.push(parts.slice(0, i).join('/'));
    return ancestors;
}
/**
 * Which local paths this run's keys need, as files or folders, checked as the listing goes by in
 * key order. A key needing a folder where an earlier key's file is (`a`, then `a/b`), or differing
 * only in case from an earlier one on a case-insensitive file system, is refused with the reason.
 * In key order, a file `f` can only clash with keys under `f/`, which come before anything past
 * them, so only the few files such a key could still fall under are remembered (on a
 * case-insensitive file system, every file's folded name is).
 */
class PathConflicts {
    #openFiles = [];
    #folded;
    #markers = new Set();
    constructor(platform) {
        this.#folded = caseInsensitive(platform) ? new Map() : undefined;
    }
    /** True for a folder a `dir/` marker key asks for: it stays even when empty. */
    isMarker(folder) {
        return this.#markers.has(folder);
    }
    /** Claims `relative` for `key` (keys come in increasing order); returns why it cannot, or undefined. */
    claim(relative, key, kind) {
        this.#openFiles = this.#openFiles.filter((file) => relative.startsWith(`${file.path}/`) || compareUtf8(relative, `${file.path}/`) < 0);
        for (const file of this.#openFiles) {
            if (relative.startsWith(`${file.path}/`) || (kind === 'folder' && relative === file.path)) {
                return `'${file.path}' is the file of key '${file.key}', so it cannot be a folder`;
            }
        }
        if (kind === 'folder') {
            this.#markers.add(relative);
            return undefined;
        }
        if (this.#folded !== undefined) {
            const folded = foldedPath(relative);
            const clash = this.#folded.get(folded);
            if (clash !== undefined)
                return `it differs only in case from '${clash}', and this file system ignores case`;
            this.#folded.set(folded, key);
        }
        this.#openFiles.push({ path: relative, key });
        return undefined;
    }
}
/**
 * Creates `folder` under `root` one segment at a time, refusing to pass through a symlink, so a
 * link planted in the destination can never lead a write outside it. A file in the way is a
 * PathConflict (the key is refused); a link is a PlantedLinkError (the object fails).
 */
async function ensureFolder(root, folder, safe) {
    if (safe.has(folder))
        return;
    const relative = external_node_path_.relative(root, folder);
    if (relative === '..' || relative.startsWith(`..${external_node_path_.sep}`) || external_node_path_.isAbsolute(relative)) {
        throw new Error(`refusing to create a folder outside the destination: ${folder}`);
    }
    let current = root;
    for (const segment of relative.split(external_node_path_.sep)) {
        if (segment === '')
            continue;
        current = external_node_path_.join(current, segment);
        if (safe.has(current))
            continue;
        let info = await (0,promises_.lstat)(current).catch(() => undefined);
        if (info === undefined) {
            await (0,promises_.mkdir)(current).catch((error) => {
                if (error.code !== 'EEXIST')
                    throw error;
            });
            info = await (0,promises_.lstat)(current);
        }
        if (info.isSymbolicLink()) {
            throw new PlantedLinkError(`refusing to follow the symlink ${current} found in the destination`);
        }
        if (!info.isDirectory()) {
            throw new PathConflict(`${current} is a file here, so it cannot be a folder`);
        }
        safe.add(current);
    }
}
/**
 * Files and links under `root` (relative, `/`-separated), in the UTF-8 order of the keys they would
 * be (a folder sorts as its name plus '/'), so they can be merged with a manifest in key order;
 * never follows a link and never enters the state folder.
 */
async function* filesInKeyOrder(root, relative = '') {
    const folder = relative === '' ? root : external_node_path_.join(root, ...relative.split('/'));
    const entries = await (0,promises_.readdir)(folder, { withFileTypes: true }).catch(() => []);
    const named = entries
        .filter((entry) => relative !== '' || !(0,state_name/* isStateSegment */.d)(entry.name))
        .map((entry) => ({ entry, order: entry.isDirectory() ? `${entry.name}/` : entry.name }))
        .sort((a, b) => compareUtf8(a.order, b.order));
    for (const { entry } of named) {
        const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory())
            yield* filesInKeyOrder(root, rel);
        else
            yield rel;
    }
}
/**
 * After `relative` was deleted: removes its folders, innermost first, while they are empty and
 * no key of this run needs them. Returns how many were removed.
 */
async function removeEmptiedFolders(root, relative, needed) {
    let removed = 0;
    for (const folder of ancestorsOf(relative).reverse()) {
        if (needed(folder))
            break;
        const gone = await (0,promises_.rmdir)(external_node_path_.join(root, ...folder.split('/'))).then(() => true, () => false);
        if (!gone)
            break;
        removed++;
    }
    return removed;
}
/**
 * The regular file at `relative` (`/`-separated) under `root`, if it is reached through real
 * folders only — no link on the way, no `..` — else undefined. What `delete` may act on.
 */
async function reachableFile(root, relative) {
    const segments = relative.split('/');
    if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\'))) {
        return undefined;
    }
    let current = root;
    for (const [i, segment] of segments.entries()) {
        current = external_node_path_.join(current, segment);
        const info = await (0,promises_.lstat)(current).catch(() => undefined);
        if (info === undefined)
            return undefined;
        if (i === segments.length - 1)
            return info.isFile() ? info : undefined;
        if (!info.isDirectory())
            return undefined;
    }
    return undefined;
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: ./lib/base/local-errors.js
var local_errors = __webpack_require__(8052);
;// CONCATENATED MODULE: ./lib/transfer/settings.js

/** How long a run waits, by default, for another run writing the same destination. */
const LOCK_WAIT_MS = 60_000;
const never = new AbortController().signal;
/** The deps with their defaults: the system clock, no logging, never cancelled, no progress. */
function transferDeps(given = {}) {
    return Object.freeze({
        logger: given.logger ?? runtime/* silentLogger */.qq,
        clock: given.clock ?? runtime/* systemClock */.ml,
        signal: given.signal ?? never,
        progress: given.progress ?? {},
        lockWaitMs: given.lockWaitMs ?? LOCK_WAIT_MS,
    });
}
/** The same deps, cancelled also by `signal` (a lost lock, a failing sibling). */
function withSignal(deps, signal) {
    return Object.freeze({ ...deps, signal: AbortSignal.any([deps.signal, signal]) });
}

;// CONCATENATED MODULE: ./lib/transfer/state.js
// The tool's own files at a destination live in one hidden state folder, `.cos-download/`, in the
// folder that holds what is written (a single object's parent folder; a mirror's root). No key maps
// into it (`mapKey` refuses the segment), so remote data can never be taken for our state, nor our
// state overwrite a downloaded file. See docs/adr/0007-state-folder-and-locks.md.
//
//   .cos-download/
//     mirror.lock             a mirror into this folder is running
//     manifest.json           what the mirror wrote here (the skip and delete decisions)
//     manifest.next|stale.json  a running mirror's new entries and unlisted old ones
//     mirror/<id>.part|.json  a mirrored file's temp file and checkpoint (id: hash of its path)
//     <id>.lock|.part|.json   a single object's lock, temp file and checkpoint (id: hash of its name)






/** The state folder's path could not be trusted: a link, a file, or another user's folder. */
class StateFolderError extends Error {
    name = 'StateFolderError';
    path;
    constructor(folderPath, why) {
        super(`Refusing to use '${folderPath}' for cos-download's temp files, checkpoints and locks: it ${why}. ` +
            'Fix: remove it (cos-download makes its own), or choose another destination');
        this.path = folderPath;
    }
}
function idOf(name) {
    return (0,external_node_crypto_.createHash)('sha256').update(name, 'utf8').digest('hex').slice(0, 32);
}
function stateFolderOf(folder) {
    return external_node_path_.join(folder, state_name/* STATE_DIR */.e);
}
/** The state of a single-object download to `destination` (an absolute file path). */
function objectState(destination) {
    const folder = stateFolderOf(external_node_path_.dirname(destination));
    const base = external_node_path_.join(folder, idOf(external_node_path_.basename(destination)));
    return { folder, lock: `${base}.lock`, temp: `${base}.part`, checkpoint: `${base}.json` };
}
/** The state of a mirrored file (`relative`, `/`-separated) under the mirror's `root`. */
function mirrorFileState(root, relative) {
    const base = external_node_path_.join(stateFolderOf(root), 'mirror', idOf(relative));
    return { temp: `${base}.part`, checkpoint: `${base}.json` };
}
function mirrorLockPath(root) {
    return external_node_path_.join(stateFolderOf(root), 'mirror.lock');
}
function manifestPath(root) {
    return external_node_path_.join(stateFolderOf(root), 'manifest.json');
}
/** The manifest a mirror's pass writes for its listed keys, merged into `manifest.json` at the end. */
function nextManifestPath(root) {
    return external_node_path_.join(stateFolderOf(root), 'manifest.next.json');
}
/** The previous manifest's entries whose keys a pass no longer lists, settled at the end. */
function staleManifestPath(root) {
    return external_node_path_.join(stateFolderOf(root), 'manifest.stale.json');
}
/**
 * Makes sure `folder` is a real folder of ours: created (mode 0700) when missing; refused when it
 * is a link, a file, or (on POSIX) owned by another user — something planted there must never
 * receive our temp files or lead our writes elsewhere. A failure to create it names `shownAs`
 * (the file being downloaded), which is what the user asked to write.
 */
async function ensureOwnFolder(folder, shownAs = folder) {
    let info = await (0,promises_.lstat)(folder).catch(() => undefined);
    if (info === undefined) {
        await (0,promises_.mkdir)(folder, { mode: 0o700 }).catch(async (error) => {
            if (error.code !== 'EEXIST')
                throw await (0,local_errors/* asLocalFileError */.kH)(error, shownAs);
        });
        info = await (0,promises_.lstat)(folder);
    }
    if (info.isSymbolicLink())
        throw new StateFolderError(folder, 'is a symbolic link');
    if (!info.isDirectory())
        throw new StateFolderError(folder, 'is not a folder');
    const uid = process.getuid?.();
    if (uid !== undefined && info.uid !== uid) {
        throw new StateFolderError(folder, `belongs to another user (uid ${info.uid})`);
    }
}
/** Removes a state folder (or its `mirror/` sub-folder) if nothing is left in it; never throws. */
async function removeIfEmpty(folder) {
    await (0,promises_.rmdir)(folder).catch(() => { });
}
/**
 * Opens an existing file of ours for reading or writing without following a link at its path;
 * for writing, a file with more than one name (a planted hard link) is refused too.
 */
async function openNoFollow(filePath, mode) {
    // O_NONBLOCK: a FIFO planted at the path must not hang the open (for a regular file it is a no-op).
    const flags = (mode === 'r' ? external_node_fs_.constants.O_RDONLY : external_node_fs_.constants.O_RDWR) |
        (external_node_fs_.constants.O_NOFOLLOW ?? 0) |
        (external_node_fs_.constants.O_NONBLOCK ?? 0);
    if (external_node_fs_.constants.O_NOFOLLOW === undefined) {
        // Windows has no O_NOFOLLOW: refuse a link by looking first.
        const info = await (0,promises_.lstat)(filePath);
        if (info.isSymbolicLink())
            throw Object.assign(new Error(`${filePath} is a link`), { code: 'ELOOP' });
    }
    const handle = await (0,promises_.open)(filePath, flags);
    const info = await handle.stat();
    if (!info.isFile()) {
        await handle.close();
        throw Object.assign(new Error(`${filePath} is not a regular file`), { code: 'EISDIR' });
    }
    // A file we made has one name; a second (a hard link planted to a file elsewhere) would let a
    // write here change that other file.
    if (mode === 'r+' && info.nlink !== 1) {
        await handle.close();
        throw Object.assign(new Error(`${filePath} has other names (hard links)`), { code: 'EMLINK' });
    }
    return handle;
}
/** Reads a file of ours without following a link at its path. */
async function readOwnFile(filePath) {
    let handle;
    try {
        handle = await openNoFollow(filePath, 'r');
        return { kind: 'text', text: await handle.readFile('utf8') };
    }
    catch (error) {
        return error.code === 'ENOENT' ? { kind: 'absent' } : { kind: 'unreadable' };
    }
    finally {
        await handle?.close().catch(() => { });
    }
}

;// CONCATENATED MODULE: ./lib/transfer/lock.js
// A lock per destination: a file in the state folder naming the run that holds it. A second run
// waits a bounded time, saying so, then fails in one line; a lock left by a run that died (its
// process is gone, or the machine rebooted since) is taken over. See ADR 0007.









const LOCK_FORMAT = 'cos-download-lock/1';
/** How often a holder refreshes its lock's mtime. */
const HEARTBEAT_MS = 5_000;
/** A lock whose holder cannot be checked is stale once it has not been refreshed for this long. */
const STALE_AFTER_MS = 30_000;
const POLL_MS = 250;
/** Another live run holds the lock past the wait. */
class LockedError extends Error {
    name = 'LockedError';
    constructor(message) {
        super(message);
    }
}
function procField(pid) {
    try {
        const text = (0,external_node_fs_.readFileSync)(`/proc/${pid}/stat`, 'utf8');
        // `pid (comm) state …`: comm may hold spaces and parentheses, so count from the last ')'.
        return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
    }
    catch {
        return undefined;
    }
}
function bootId() {
    try {
        return (0,external_node_fs_.readFileSync)('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    }
    catch {
        return undefined;
    }
}
function currentOwner(now) {
    return {
        format: LOCK_FORMAT,
        pid: process.pid,
        host: external_node_os_.hostname(),
        boot: bootId(),
        start: procField(process.pid),
        since: new Date(now).toISOString(),
        nonce: (0,external_node_crypto_.randomBytes)(8).toString('hex'),
    };
}
function parseOwner(text) {
    try {
        const d = JSON.parse(text);
        if (d.format !== LOCK_FORMAT ||
            !Number.isSafeInteger(d.pid) ||
            typeof d.host !== 'string' ||
            typeof d.since !== 'string' ||
            typeof d.nonce !== 'string' ||
            (d.boot !== undefined && typeof d.boot !== 'string') ||
            (d.start !== undefined && typeof d.start !== 'string')) {
            return undefined;
        }
        return d;
    }
    catch {
        return undefined;
    }
}
/** True when the run that wrote `owner` is certainly gone; a lock from another host is never stale. */
function isStale(owner) {
    if (owner.host !== external_node_os_.hostname())
        return false;
    const boot = bootId();
    if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot)
        return true;
    try {
        process.kill(owner.pid, 0);
    }
    catch (error) {
        // EPERM: the process exists but belongs to someone else.
        if (error.code === 'ESRCH')
            return true;
    }
    const start = procField(owner.pid);
    return owner.start !== undefined && start !== undefined && start !== owner.start;
}
/** Creates `lockPath` holding `text`, atomically and exclusively: false when it exists. */
async function tryCreate(lockPath, text, nonce) {
    // Written whole under a name of our own, then hard-linked into place: a reader never sees half a
    // lock, and link() fails, without following anything, when the name exists.
    const draft = `${lockPath}.${nonce}.new`;
    const handle = await (0,promises_.open)(draft, 'wx', 0o600).catch(async (error) => {
        if (error.code !== 'ENOENT')
            throw await (0,local_errors/* asLocalFileError */.kH)(error, lockPath);
        // The run that held the lock removed the state folder as it left: make it again.
        await ensureOwnFolder(external_node_path_.dirname(lockPath));
        return undefined;
    });
    if (handle === undefined)
        return false;
    try {
        await handle.writeFile(text, 'utf8');
    }
    finally {
        await handle.close();
    }
    try {
        await (0,promises_.link)(draft, lockPath);
        return true;
    }
    catch (error) {
        const code = error.code;
        // EEXIST: a lock is there. ENOENT: another run tidied our draft away as it took the lock.
        if (code === 'EEXIST' || code === 'ENOENT')
            return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
            throw error;
        // A file system without hard links: an exclusive create, then the text.
        const direct = await (0,promises_.open)(lockPath, 'wx', 0o600).catch((e) => {
            if (e.code === 'EEXIST')
                return undefined;
            throw e;
        });
        if (direct === undefined)
            return false;
        try {
            await direct.writeFile(text, 'utf8');
        }
        finally {
            await direct.close();
        }
        return true;
    }
    finally {
        await (0,promises_.unlink)(draft).catch(() => { });
    }
}
/**
 * Moves a stale lock out of the way, but only the very lock that was judged stale: if another run
 * replaced it meanwhile, it is put back.
 */
async function takeOver(lockPath, staleText, nonce) {
    const aside = `${lockPath}.${nonce}.stale`;
    try {
        await (0,promises_.rename)(lockPath, aside);
    }
    catch {
        return false;
    }
    const moved = await textOf(aside);
    if (moved === staleText) {
        // A planted folder or link goes too; rm never follows a link.
        await (0,promises_.rm)(aside, { recursive: true, force: true }).catch(() => { });
        return true;
    }
    await (0,promises_.link)(aside, lockPath).catch(() => { });
    await (0,promises_.rm)(aside, { force: true }).catch(() => { });
    return false;
}
/** A lock file's text ('' for a link or an unreadable file); undefined when there is none. */
async function textOf(lockPath) {
    const read = await readOwnFile(lockPath);
    return read.kind === 'text' ? read.text : read.kind === 'absent' ? undefined : '';
}
function describeOwner(owner) {
    if (owner === undefined)
        return 'a run whose lock file cannot be read';
    const where = owner.host === external_node_os_.hostname() ? 'on this machine' : `on host ${(0,base_text/* quoteValue */.cl)(owner.host)}`;
    return `pid ${owner.pid} ${where}, since ${(0,base_text/* quoteValue */.cl)(owner.since)}`;
}
function seconds(ms) {
    return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}
/**
 * Whether a lock found at the path is stale. A lock we write is always a regular file, so anything
 * else there was planted. One whose holder can be checked (this machine) is stale when the holder
 * is gone; one that cannot be checked (another host, or text that is not a lock) when its holder
 * has not refreshed it for STALE_AFTER_MS: a live holder touches it every HEARTBEAT_MS.
 */
function staleLock(info, owner, now) {
    if (!info.isFile())
        return true;
    if (owner !== undefined && owner.host === external_node_os_.hostname())
        return isStale(owner);
    return now - info.mtimeMs > STALE_AFTER_MS;
}
/** Takes the lock at `lockPath` (its folder must exist), waiting up to `waitMs` for another run. */
async function acquireLock(lockPath, options) {
    const { clock, logger } = options;
    const me = currentOwner(clock.now());
    const text = `${JSON.stringify(me)}\n`;
    const deadline = clock.now() + options.waitMs;
    let announced = false;
    for (;;) {
        options.signal?.throwIfAborted();
        if (await tryCreate(lockPath, text, me.nonce)) {
            await removeDrafts(lockPath);
            return heldLock(lockPath, text, me.nonce, options);
        }
        const info = await (0,promises_.lstat)(lockPath).catch(() => undefined);
        if (info === undefined)
            continue;
        const found = await textOf(lockPath);
        if (found === undefined)
            continue;
        const owner = parseOwner(found);
        if (staleLock(info, owner, clock.now())) {
            if (await takeOver(lockPath, found, me.nonce)) {
                logger.info(`Took over the lock on ${options.what} left by ${describeOwner(owner)}, which is no longer running`);
            }
            continue;
        }
        const left = deadline - clock.now();
        if (left <= 0) {
            throw new LockedError(`Another cos-download run (${describeOwner(owner)}) is writing ${options.what}` +
                `${options.waitMs > 0 ? `; waited ${seconds(options.waitMs)} s` : ''}. ` +
                `Fix: let it finish, then run again; if no such run exists, remove '${lockPath}'`);
        }
        if (!announced) {
            announced = true;
            logger.info(`Waiting up to ${Math.ceil(left / 1000)} s for another cos-download run (${describeOwner(owner)}) writing ${options.what}`);
        }
        await clock.sleep(Math.min(POLL_MS, left), options.signal);
    }
}
/** Removes drafts and moved-aside locks that killed runs left beside `lockPath`. */
async function removeDrafts(lockPath) {
    const base = external_node_path_.basename(lockPath);
    const names = await (0,promises_.readdir)(external_node_path_.dirname(lockPath)).catch(() => []);
    for (const name of names) {
        if (name.startsWith(`${base}.`) && /\.[0-9a-f]+\.(new|stale)$/.test(name)) {
            await (0,promises_.rm)(external_node_path_.join(external_node_path_.dirname(lockPath), name), { recursive: true, force: true }).catch(() => { });
        }
    }
}
function heldLock(lockPath, text, nonce, options) {
    const what = options.what;
    let released = false;
    const lost = new AbortController();
    // The holder refreshes its lock, so another host can tell it is alive, and checks that the lock
    // is still its own: a run that lost it stops rather than write beside another.
    const heartbeat = setInterval(() => {
        void (async () => {
            if ((await textOf(lockPath)) !== text) {
                lost.abort(new LockedError(`The lock on ${what} was taken over by another run; this run stopped`));
                return;
            }
            const now = new Date();
            await (0,promises_.lutimes)(lockPath, now, now).catch(() => { });
        })();
    }, options.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    return {
        path: lockPath,
        lost: lost.signal,
        async reclaim() {
            // Written whole under our draft name, then renamed over whatever is at the path.
            const draft = `${lockPath}.${nonce}.new`;
            await (0,promises_.writeFile)(draft, text, { flag: 'wx', mode: 0o600 }).catch(async () => {
                await (0,promises_.rm)(draft, { recursive: true, force: true });
                await (0,promises_.writeFile)(draft, text, { flag: 'wx', mode: 0o600 });
            });
            await (0,promises_.rename)(draft, lockPath);
        },
        async release() {
            if (released)
                return;
            released = true;
            clearInterval(heartbeat);
            if ((await textOf(lockPath)) === text)
                await (0,promises_.unlink)(lockPath).catch(() => { });
        },
    };
}
/**
 * Runs `work` for the one file `destination` with its folder and state folder made and its lock
 * held, so no other run writes that file meanwhile. `work` gets the state and deps whose signal also
 * stops it if another run takes the lock over; the lock is released and an emptied state folder
 * removed whatever happens.
 */
async function withDestinationLock(destination, deps, work) {
    const state = objectState(destination);
    const folder = external_node_path_.dirname(destination);
    await (0,promises_.mkdir)(folder, { recursive: true }).catch(async (error) => {
        throw await (0,local_errors/* asLocalFileError */.kH)(error, folder);
    });
    await ensureOwnFolder(state.folder, destination);
    const lock = await acquireLock(state.lock, {
        what: `'${destination}'`,
        waitMs: deps.lockWaitMs,
        clock: deps.clock,
        logger: deps.logger,
        signal: deps.signal,
    });
    try {
        return await work(state, withSignal(deps, lock.lost));
    }
    finally {
        await lock.release();
        await removeIfEmpty(state.folder);
    }
}

;// CONCATENATED MODULE: ./lib/transfer/manifest.js


const MANIFEST_FORMAT = 'cos-download-manifest/2';
/** Where and how versions before the state folder kept the manifest; read once to migrate. */
const LEGACY_MANIFEST_NAME = '.cos-download-manifest.json';
const LEGACY_FORMAT = 'cos-download-manifest/1';

/** The local file still has the size and mtime recorded when it was written or checked. */
function stillAsRecorded(entry, local) {
    return entry['local-size'] === local.size && entry['local-mtime-ms'] === local.mtimeMs;
}
/**
 * The local file is still the very file that was written: the same inode, changed at the same
 * moment. Unlike an mtime, neither can be set to a value chosen in advance, so a manifest planted
 * in the workspace cannot claim a file that is there for another reason.
 */
function sameInode(entry, local) {
    return entry['local-ino'] === local.ino && entry['local-ctime-ms'] === local.ctimeMs;
}
/** The entry, with the local file's identity (size, mtime, inode, change time) as it is now. */
function withLocalIdentity(entry, local) {
    return {
        ...entry,
        'local-size': local.size,
        'local-mtime-ms': local.mtimeMs,
        'local-ino': local.ino,
        'local-ctime-ms': local.ctimeMs,
    };
}
function validEntry(value, legacy) {
    if (typeof value !== 'object' || value === null)
        return false;
    const e = value;
    const count = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    return (typeof e.key === 'string' &&
        typeof e.etag === 'string' &&
        typeof e.path === 'string' &&
        count(e.size) &&
        count(e['local-size']) &&
        count(e['local-mtime-ms']) &&
        (e['version-id'] === undefined || typeof e['version-id'] === 'string') &&
        (e.crc64 === undefined || typeof e.crc64 === 'string') &&
        (e['local-ino'] === undefined || count(e['local-ino'])) &&
        (e['local-ctime-ms'] === undefined || count(e['local-ctime-ms'])) &&
        (legacy || typeof e.written === 'boolean'));
}
/** An entry as read: invalid ones, and ones that claim a path in the state folder, are not trusted. */
function trusted(value, legacy) {
    if (!validEntry(value, legacy) || value.path.split('/').some(state_name/* isStateSegment */.d))
        return undefined;
    // An old manifest could not tell written files from adopted ones: none counts as written.
    return legacy ? { ...value, written: false } : value;
}
/** The first line of a manifest: its format, bucket and prefix, and the start of its entries. */
function headerLine(scope) {
    const head = JSON.stringify({ format: MANIFEST_FORMAT, bucket: scope.bucket, prefix: scope.prefix });
    return `${head.slice(0, -1)},"objects":[`;
}

;// CONCATENATED MODULE: ./lib/transfer/crc64/tables.js
// CRC-64/XZ lookup tables, computed with 64-bit values held as two uint32 halves (no BigInt).
// Pure: no I/O.
/** Low and high halves of the reflected ECMA-182 polynomial 0xC96C5795D7870F42. */
const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;
/**
 * Slicing-by-N tables: `slices` tables of 256 entries, stored as uint32 pairs, low half first,
 * so entry `i` of table `k` is at `[2 * (k * 256 + i)]` (low) and `[2 * (k * 256 + i) + 1]` (high).
 * Table 0 is the classic byte-at-a-time table; table k advances table k-1 by one more zero byte:
 * `T[k][i] = T[0][T[k-1][i] & 0xff] ^ (T[k-1][i] >>> 8)`.
 */
function makeTables(slices) {
    if (!Number.isInteger(slices) || slices < 1) {
        throw new RangeError(`makeTables: slices must be a positive integer, got ${slices}`);
    }
    const tables = new Uint32Array(slices * 256 * 2);
    for (let i = 0; i < 256; i++) {
        let lo = i;
        let hi = 0;
        for (let bit = 0; bit < 8; bit++) {
            const carry = lo & 1;
            lo = ((lo >>> 1) | (hi << 31)) >>> 0;
            hi >>>= 1;
            if (carry !== 0) {
                lo = (lo ^ POLY_LO) >>> 0;
                hi = (hi ^ POLY_HI) >>> 0;
            }
        }
        tables[2 * i] = lo;
        tables[2 * i + 1] = hi;
    }
    for (let k = 1; k < slices; k++) {
        for (let i = 0; i < 256; i++) {
            const prev = 2 * ((k - 1) * 256 + i);
            const lo = tables[prev] ?? 0;
            const hi = tables[prev + 1] ?? 0;
            const t0 = 2 * (lo & 0xff);
            const here = 2 * (k * 256 + i);
            tables[here] = ((tables[t0] ?? 0) ^ ((lo >>> 8) | (hi << 24))) >>> 0;
            tables[here + 1] = ((tables[t0 + 1] ?? 0) ^ (hi >>> 8)) >>> 0;
        }
    }
    return tables;
}

;// CONCATENATED MODULE: ./lib/transfer/crc64/wasm-kernel.js
// The CRC-64/XZ hot loop as a WebAssembly module, assembled here from opcodes at load time, so the
// source of the bytes is this file (no compiler, no committed binary). WASM has native i64, which
// JavaScript lacks outside BigInt; see docs/adr/0002-crc64.md for the measurements behind it.
//
// Memory layout (one fixed 128 KiB memory, never grown, so views on it stay valid):
//   [0, 32 KiB)        slicing-by-16 tables, i64 little-endian, table k at k * 2048
//   [32 KiB, +8)       the CRC register (the running state; the CRC is its complement), i64,
//                      read and written by `update`
//   [64 KiB, 128 KiB)  staging area: the caller copies input here, at most STAGING_SIZE bytes a call
// The kernel exports `memory` and `update(pointer: i32, length: i32)`.

const SLICES = 16;
const TABLE_BYTES = SLICES * 256 * 8;
const STATE_OFFSET = 32 * 1024;
const STAGING_OFFSET = 64 * 1024;
const STAGING_SIZE = 64 * 1024;
const PAGES = 2;
// --- a minimal assembler -------------------------------------------------------------------------
const I32 = 0x7f;
const I64 = 0x7e;
const op = {
    block: 0x02,
    loop: 0x03,
    end: 0x0b,
    br: 0x0c,
    brIf: 0x0d,
    localGet: 0x20,
    localSet: 0x21,
    localTee: 0x22,
    i32Load: 0x28,
    i64Load: 0x29,
    i32Load8U: 0x2d,
    i64Store: 0x37,
    i32Const: 0x41,
    i64Const: 0x42,
    i32GeU: 0x4f,
    i32Add: 0x6a,
    i32And: 0x71,
    i32Xor: 0x73,
    i32Shl: 0x74,
    i32ShrU: 0x76,
    i64Xor: 0x85,
    i64ShrU: 0x88,
    i32WrapI64: 0xa7,
};
const VOID_BLOCK = 0x40;
function uleb(value) {
    const out = [];
    let rest = value >>> 0;
    do {
        const byte = rest & 0x7f;
        rest >>>= 7;
        out.push(rest === 0 ? byte : byte | 0x80);
    } while (rest !== 0);
    return out;
}
function sleb(value) {
    const out = [];
    let rest = value | 0;
    for (;;) {
        const byte = rest & 0x7f;
        rest >>= 7;
        const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
        out.push(done ? byte : byte | 0x80);
        if (done)
            return out;
    }
}
function section(id, body) {
    return [id, ...uleb(body.length), ...body];
}
function vector(items) {
    return [...uleb(items.length), ...items.flat()];
}
function wasm_kernel_name(text) {
    const bytes = [...new TextEncoder().encode(text)];
    return [...uleb(bytes.length), ...bytes];
}
/** `memarg`: alignment as log2, then the constant offset added to the address operand. */
function mem(opcode, alignLog2, offset) {
    return [opcode, ...uleb(alignLog2), ...uleb(offset)];
}
// --- the kernel ----------------------------------------------------------------------------------
// Locals: 0 pointer, 1 length (params); then the ones declared below.
const P = 0;
const N = 1;
const CRC = 2; // i64
const A = 3; // i64: crc ^ first 8 bytes of the block
const END16 = 4; // i32
const END = 5; // i32
const W0 = 6; // i32 words of the current 16-byte block (w0, w1 already xor-ed with the crc)
const W1 = 7;
const W2 = 8;
const W3 = 9;
/** Push T[table][byte `byteIndex` of the i32 in `local`] (an i64). */
function lookup(table, local, byteIndex) {
    // The byte times 8 (an entry's size), without a separate multiply: shift it into bits 3..10.
    const shift = byteIndex === 0
        ? [op.i32Const, ...sleb(3), op.i32Shl]
        : [op.i32Const, ...sleb(8 * byteIndex - 3), op.i32ShrU];
    return [
        op.localGet,
        local,
        ...shift,
        op.i32Const,
        ...sleb(0x7f8),
        op.i32And,
        ...mem(op.i64Load, 3, table * 2048),
    ];
}
function kernelBody() {
    const code = [];
    const emit = (...bytes) => {
        code.push(...bytes);
    };
    // crc = load(STATE); end = p + n; end16 = p + (n & ~15)
    emit(op.i32Const, ...sleb(0), ...mem(op.i64Load, 3, STATE_OFFSET), op.localSet, CRC);
    emit(op.localGet, P, op.localGet, N, op.i32Add, op.localSet, END);
    emit(op.localGet, P, op.localGet, N, op.i32Const, ...sleb(-16), op.i32And, op.i32Add, op.localSet, END16);
    // Slicing-by-16, 16 bytes an iteration: the first 8 are xor-ed with the register, then byte j of the
    // block is looked up in table 15 - j (which carries it past the 15 - j bytes after it) and all 16
    // results are xor-ed together to give the next register.
    emit(op.block, VOID_BLOCK, op.loop, VOID_BLOCK);
    emit(op.localGet, P, op.localGet, END16, op.i32GeU, op.brIf, 1);
    emit(op.localGet, CRC, op.localGet, P, ...mem(op.i64Load, 3, 0), op.i64Xor, op.localTee, A);
    emit(op.i32WrapI64, op.localSet, W0);
    emit(op.localGet, A, op.i64Const, ...sleb(32), op.i64ShrU, op.i32WrapI64, op.localSet, W1);
    emit(op.localGet, P, ...mem(op.i32Load, 2, 8), op.localSet, W2);
    emit(op.localGet, P, ...mem(op.i32Load, 2, 12), op.localSet, W3);
    // Xor the 16 lookups as two balanced trees, the register-independent half (bytes 8..15) first:
    // a linear chain would put 16 dependent xors on the register's critical path.
    const words = [W0, W1, W2, W3];
    const tree = (from, count) => {
        if (count === 1) {
            const word = words[from >> 2];
            if (word === undefined)
                throw new Error('crc64: no word for byte');
            emit(...lookup(15 - from, word, from & 3));
            return;
        }
        tree(from, count / 2);
        tree(from + count / 2, count / 2);
        emit(op.i64Xor);
    };
    tree(8, 8);
    tree(0, 8);
    emit(op.i64Xor, op.localSet, CRC);
    emit(op.localGet, P, op.i32Const, ...sleb(16), op.i32Add, op.localSet, P);
    emit(op.br, 0, op.end, op.end);
    // The last 0..15 bytes one at a time: crc = T0[(crc ^ byte) & 0xff] ^ (crc >> 8).
    emit(op.block, VOID_BLOCK, op.loop, VOID_BLOCK);
    emit(op.localGet, P, op.localGet, END, op.i32GeU, op.brIf, 1);
    emit(op.localGet, CRC, op.i32WrapI64, op.localGet, P, ...mem(op.i32Load8U, 0, 0), op.i32Xor);
    emit(op.i32Const, ...sleb(0xff), op.i32And, op.i32Const, ...sleb(3), op.i32Shl, ...mem(op.i64Load, 3, 0));
    emit(op.localGet, CRC, op.i64Const, ...sleb(8), op.i64ShrU, op.i64Xor, op.localSet, CRC);
    emit(op.localGet, P, op.i32Const, ...sleb(1), op.i32Add, op.localSet, P);
    emit(op.br, 0, op.end, op.end);
    emit(op.i32Const, ...sleb(0), op.localGet, CRC, ...mem(op.i64Store, 3, STATE_OFFSET));
    emit(op.end);
    const locals = vector([
        [2, I64],
        [6, I32],
    ]);
    const body = [...locals, ...code];
    return [...uleb(body.length), ...body];
}
/** The module's bytes. */
function assembleKernel() {
    const bytes = [
        ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
        ...section(1, vector([[0x60, ...vector([[I32], [I32]]), ...vector([])]])),
        ...section(3, vector([[0]])),
        ...section(5, vector([[0x01, ...uleb(PAGES), ...uleb(PAGES)]])),
        ...section(7, vector([
            [...wasm_kernel_name('memory'), 0x02, 0],
            [...wasm_kernel_name('update'), 0x00, 0],
        ])),
        ...section(10, vector([kernelBody()])),
    ];
    return Uint8Array.from(bytes);
}
function compile() {
    const { WebAssembly: wasm } = globalThis;
    const tables = makeTables(SLICES);
    if (tables.byteLength !== TABLE_BYTES)
        throw new Error('crc64: table size does not match the kernel');
    return {
        module: new wasm.Module(assembleKernel()),
        tables,
        stateOffset: STATE_OFFSET,
        stagingOffset: STAGING_OFFSET,
        stagingSize: STAGING_SIZE,
    };
}
/** The kernel compiled once per process (a few ms), for this thread and the CRC worker. */
const kernelParts = compile();
function instantiate(parts) {
    const { WebAssembly: wasm } = globalThis;
    const instance = new wasm.Instance(parts.module, {});
    const { memory, update } = instance.exports;
    const heap = new Uint8Array(memory.buffer);
    const view = new DataView(memory.buffer);
    const { tables } = parts;
    for (let i = 0; i < tables.length; i++)
        view.setUint32(4 * i, tables[i] ?? 0, true);
    return (register, data) => {
        view.setUint32(STATE_OFFSET, register[0] ?? 0, true);
        view.setUint32(STATE_OFFSET + 4, register[1] ?? 0, true);
        const total = data.length;
        // Copy through the staging area a slice at a time; the slice is still in cache when the kernel reads it.
        for (let offset = 0; offset < total; offset += STAGING_SIZE) {
            const end = Math.min(offset + STAGING_SIZE, total);
            heap.set(offset === 0 && end === total ? data : data.subarray(offset, end), STAGING_OFFSET);
            update(STAGING_OFFSET, end - offset);
        }
        register[0] = view.getUint32(STATE_OFFSET, true);
        register[1] = view.getUint32(STATE_OFFSET + 4, true);
    };
}
/** The WebAssembly slicing-by-16 kernel, instantiated once per process, synchronously (a few ms). */
const advance = instantiate(kernelParts);

;// CONCATENATED MODULE: ./lib/transfer/crc64.js
// CRC-64/XZ, which COS calls CRC64-ECMA182 and sends as `x-cos-hash-crc64ecma` (a decimal uint64):
// reflected polynomial 0xC96C5795D7870F42, init and xorout 0xFFFFFFFFFFFFFFFF; "123456789" gives
// 0x995DC9BBDF1939FA. Pure: no I/O. The byte loop runs in a small WebAssembly kernel
// (./crc64/wasm-kernel.ts); BigInt appears only at the API's edges. See docs/adr/0002-crc64.md.


const MAX_CRC = (1n << 64n) - 1n;
function checkCrc(value, what) {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_CRC) {
        throw new RangeError(`${what} must be a bigint in 0..2^64-1, got ${String(value)}`);
    }
}
function checkBytes(data, what) {
    // A string or number array would be coerced byte by byte by TypedArray#set: refuse it instead.
    if (!(data instanceof Uint8Array)) {
        throw new TypeError(`${what} must be a Uint8Array (or Buffer), got ${Object.prototype.toString.call(data)}`);
    }
}
/** The register (the inverted CRC) for a finished CRC value, as uint32 halves, low first. */
function registerOf(crc) {
    const inverted = crc ^ MAX_CRC;
    return Uint32Array.of(Number(inverted & 0xffffffffn), Number(inverted >> 32n));
}
/** The finished CRC value of a register. */
function crcOf(register) {
    const lo = ~(register[0] ?? 0) >>> 0;
    const hi = ~(register[1] ?? 0) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
}
/** Incremental CRC-64/XZ. `digest()` does not reset: more `update`s continue the same stream. */
class Crc64 {
    #register = Uint32Array.of(0xffffffff, 0xffffffff);
    #length = 0;
    update(data) {
        checkBytes(data, 'Crc64.update: data');
        const length = this.#length + data.length;
        if (length > Number.MAX_SAFE_INTEGER) {
            throw new RangeError(`Crc64: more than ${Number.MAX_SAFE_INTEGER} bytes in one stream`);
        }
        advance(this.#register, data);
        this.#length = length;
        return this;
    }
    /** The CRC of every byte so far, as an unsigned 64-bit bigint. */
    digest() {
        return crcOf(this.#register);
    }
    /** Bytes seen so far. */
    get length() {
        return this.#length;
    }
}
/** One-shot CRC-64/XZ. `previous` is the CRC of the bytes before `data`, to continue a stream. */
function crc64(data, previous = 0n) {
    checkBytes(data, 'crc64: data');
    checkCrc(previous, 'crc64: previous');
    const register = registerOf(previous);
    advance(register, data);
    return crcOf(register);
}
/** a(x) * b(x) mod P(x). */
function multModP(a, b) {
    const [aLo, aHi] = a;
    let [bLo, bHi] = b;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 64; i++) {
        const bit = i < 32 ? (aHi >>> (31 - i)) & 1 : (aLo >>> (63 - i)) & 1;
        if (bit !== 0) {
            lo ^= bLo;
            hi ^= bHi;
        }
        // b = b * x mod P
        const carry = bLo & 1;
        bLo = (bLo >>> 1) | (bHi << 31);
        bHi >>>= 1;
        if (carry !== 0) {
            bLo ^= POLY_LO;
            bHi ^= POLY_HI;
        }
    }
    return [lo >>> 0, hi >>> 0];
}
/** X2N[k] = x^(2^k) mod P, for k = 0..63 (more than a safe-integer length ever needs). */
const X2N = [[0, 0x40000000]];
for (let k = 1; k < 64; k++) {
    const previous = X2N[k - 1] ?? [0, 0];
    X2N.push(multModP(previous, previous));
}
/** x^(n * 2^k) mod P, for a non-negative safe integer n. */
function x2nModP(n, k) {
    let product = [0, 0x80000000]; // x^0
    let rest = n;
    let power = k;
    while (rest > 0) {
        if (rest % 2 === 1)
            product = multModP(X2N[power] ?? [0, 0], product);
        rest = Math.floor(rest / 2);
        power++;
    }
    return product;
}
/**
 * The CRC of A‖B from crc(A), crc(B) and the length of B in bytes, in O(log lengthB) without the
 * data: crc(A‖B) = crc(A) * x^(8 * lengthB) mod P xor crc(B). Lets parts fetched in parallel be
 * checked against the whole object's CRC.
 */
function crc64Combine(crcA, crcB, lengthB) {
    checkCrc(crcA, 'crc64Combine: crcA');
    checkCrc(crcB, 'crc64Combine: crcB');
    if (!Number.isSafeInteger(lengthB) || lengthB < 0) {
        throw new RangeError(`crc64Combine: lengthB must be a non-negative safe integer, got ${lengthB}`);
    }
    const a = [Number(crcA & 0xffffffffn), Number(crcA >> 32n)];
    const [lo, hi] = multModP(x2nModP(lengthB, 3), a);
    return ((BigInt(hi) << 32n) | BigInt(lo)) ^ crcB;
}
// --- text ------------------------------------------------------------------------------------------
/** Decimal, as COS sends `x-cos-hash-crc64ecma`. */
function formatCrc64(crc) {
    checkCrc(crc, 'formatCrc64: crc');
    return crc.toString(10);
}
/**
 * Parse `x-cos-hash-crc64ecma`: ASCII digits only (no sign, space, point or exponent) and at most
 * 2^64-1; anything else gives undefined. Leading zeros are digits, so they are accepted.
 */
function parseCrc64(text) {
    if (!/^[0-9]+$/.test(text))
        return undefined;
    if (text.replace(/^0+/, '').length > 20)
        return undefined; // too long for 2^64-1; skip the BigInt
    const value = BigInt(text);
    return value <= MAX_CRC ? value : undefined;
}

;// CONCATENATED MODULE: ./lib/transfer/temp-file.js
// The narrow writer of a download: positional writes into a temp file in the state folder, then
// fsync + rename into place, or discard. The destination is never opened for writing, and no file
// is ever opened through a link planted at its path.






/**
 * Creates `filePath` exclusively, for writing (`readable`: and reading); a leftover (a file or a
 * planted link) is removed, never followed.
 */
async function createExclusive(filePath, mode, readable = false) {
    const flags = readable ? 'wx+' : 'wx';
    return (0,promises_.open)(filePath, flags, mode).catch(async (error) => {
        if (error.code !== 'EEXIST')
            throw error;
        await (0,promises_.rm)(filePath, { force: true });
        return (0,promises_.open)(filePath, flags, mode);
    });
}
/** A write into a temp file failed; thrown where only a synchronous throw is possible. */
class LocalWriteFailure extends Error {
    #shownPath;
    constructor(cause, shownPath) {
        super(`writing ${shownPath} failed`, { cause });
        this.#shownPath = shownPath;
    }
    /** The failure as a user reads it (LocalFileError: what, where, how much room is left). */
    async explain() {
        return (0,local_errors/* asLocalFileError */.kH)(this.cause, this.#shownPath);
    }
    /** `error` as a user reads it: explained when it is a LocalWriteFailure, else as it is. */
    static async explained(error) {
        return error instanceof LocalWriteFailure ? error.explain() : error;
    }
}
class TempFile {
    path;
    /** The file this temp file becomes: what messages name (a full disk, say). */
    shownPath;
    /** The temp file's inode, which a checkpoint is bound to; undefined for a file no checkpoint will name. */
    ino;
    #handle;
    constructor(filePath, shownPath, handle, ino) {
        this.path = filePath;
        this.shownPath = shownPath;
        this.#handle = handle;
        this.ino = ino;
    }
    /**
     * Creates the temp file exclusively and sizes it to `length` bytes. `checkpointed: false` (one
     * write, no checkpoint) spares the stat that learns its inode.
     */
    static async create(filePath, length, shownPath = filePath, options = { checkpointed: true }) {
        // Readable too: a part's CRC may be taken from the file (the CRC worker failed).
        const handle = await createExclusive(filePath, 0o644, true).catch(async (error) => {
            throw await (0,local_errors/* asLocalFileError */.kH)(error, shownPath);
        });
        try {
            if (length > 0)
                await handle.truncate(length);
            const ino = options.checkpointed ? (await handle.stat()).ino : undefined;
            return new TempFile(filePath, shownPath, handle, ino);
        }
        catch (error) {
            await handle.close();
            await (0,promises_.rm)(filePath, { force: true }).catch(() => { });
            throw await (0,local_errors/* asLocalFileError */.kH)(error, shownPath);
        }
    }
    /** Opens an existing temp file for more positional writes (a resumed download); never through a link. */
    static async reopen(filePath, shownPath = filePath) {
        const handle = await openNoFollow(filePath, 'r+').catch(async (error) => {
            throw await (0,local_errors/* asLocalFileError */.kH)(error, shownPath);
        });
        return new TempFile(filePath, shownPath, handle, (await handle.stat()).ino);
    }
    /** CRC-64 of `length` bytes from `position`, as they are on disk; undefined if the file is shorter. */
    async crcAt(position, length) {
        const handle = this.#open();
        const crc = new Crc64();
        const buffer = Buffer.allocUnsafe(Math.min(length, 1024 * 1024));
        for (let done = 0; done < length;) {
            const want = Math.min(buffer.length, length - done);
            const { bytesRead } = await handle.read(buffer, 0, want, position + done);
            if (bytesRead === 0)
                return undefined;
            crc.update(buffer.subarray(0, bytesRead));
            done += bytesRead;
        }
        return crc.digest();
    }
    #open() {
        if (this.#handle === undefined)
            throw new Error(`temp file ${this.path} is already closed`);
        return this.#handle;
    }
    /** Writes `buffer` at `position`, looping over short writes. */
    async writeAt(buffer, position) {
        const handle = this.#open();
        for (let done = 0; done < buffer.length;) {
            const { bytesWritten } = await handle
                .write(buffer, done, buffer.length - done, position + done)
                .catch(async (error) => {
                throw await (0,local_errors/* asLocalFileError */.kH)(error, this.shownPath);
            });
            done += bytesWritten;
        }
    }
    /**
     * Writes `buffer` at `position` before returning (into the page cache: microseconds), so the
     * receive path can hand over its reused read buffer. A failure throws a LocalWriteFailure; its
     * `explain()` gives the message a user reads (a full disk, say).
     */
    writeAtSync(buffer, position) {
        const fd = this.#open().fd;
        try {
            for (let done = 0; done < buffer.length;) {
                done += (0,external_node_fs_.writeSync)(fd, buffer, done, buffer.length - done, position + done);
            }
        }
        catch (error) {
            throw new LocalWriteFailure(error, this.shownPath);
        }
    }
    async sync() {
        await this.#open()
            .sync()
            .catch(async (error) => {
            throw await (0,local_errors/* asLocalFileError */.kH)(error, this.shownPath);
        });
    }
    async close() {
        const handle = this.#handle;
        this.#handle = undefined;
        await handle?.close();
    }
    /**
     * Stamp the mtime, close, and rename over `destination` (atomic on one file system). `durable`:
     * fsync the file first and its folder after (`syncFolder: false` leaves the folder's fsync to the
     * caller: a mirror syncs each folder once).
     */
    async commit(destination, mtime, options) {
        const handle = this.#open();
        if (options.durable)
            await this.sync();
        if (mtime !== undefined && !Number.isNaN(mtime.getTime()))
            await handle.utimes(mtime, mtime);
        await this.close();
        await (0,promises_.rename)(this.path, destination).catch(async (error) => {
            throw await (0,local_errors/* asLocalFileError */.kH)(error, destination);
        });
        if (options.durable && options.syncFolder !== false)
            await syncDirectory(external_node_path_.dirname(destination));
    }
    /** Closes and removes the temp file; never throws. */
    async discard() {
        await this.close().catch(() => { });
        await (0,promises_.rm)(this.path, { force: true }).catch(() => { });
    }
}
/**
 * Writes a small text file atomically: a sibling `.tmp` created exclusively (a link planted there
 * is removed, never written through), fsync when `durable`, rename over `filePath` (which replaces a link at
 * `filePath` rather than following it). On failure (a full disk, say) the `.tmp` is removed and
 * the previous `filePath` stays as it was. Callers hold the lock of the folder, so no other run
 * writes the same `.tmp`.
 */
async function writeFileAtomic(filePath, text, mode, durable) {
    const temp = `${filePath}.tmp`;
    try {
        const handle = await createExclusive(temp, mode);
        try {
            await handle.writeFile(text, 'utf8');
            if (durable)
                await handle.sync();
        }
        finally {
            await handle.close();
        }
        await (0,promises_.rename)(temp, filePath);
    }
    catch (error) {
        await (0,promises_.rm)(temp, { force: true }).catch(() => { });
        throw await (0,local_errors/* asLocalFileError */.kH)(error, filePath);
    }
}
/** fsync a folder so a rename in it survives a crash; not every platform allows it. */
async function syncDirectory(folder) {
    let handle;
    try {
        handle = await (0,promises_.open)(folder, 'r');
        await handle.sync();
    }
    catch {
        // Windows and some file systems refuse to open or fsync a folder.
    }
    finally {
        await handle?.close().catch(() => { });
    }
}

;// CONCATENATED MODULE: ./lib/transfer/checkpoint.js
// The checkpoint of a multipart download: which object version the temp file holds bytes of, which
// parts are finished (with their CRCs), and how far the parts in flight had come when the run
// stopped (their first bytes, with the CRC of those). (De)serialisation is pure; the file is written
// atomically (temp + fsync + rename) and only after the bytes it vouches for were flushed. A resume
// reads every part it lists back from the temp file and checks its CRC before trusting it.
// It never holds a secret: no credentials, no signed URL, no SSE-C key.



/** A finished part's entry when `crc: false` computed no CRC for it. */
const UNCHECKED = '-';
const CHECKPOINT_FORMAT = 'cos-download-checkpoint/2';
function identityOf(bucket, info, window, partSize) {
    return {
        bucket,
        key: info.key,
        versionId: info.versionId,
        etag: info.etag,
        size: info.size,
        lastModified: info.lastModified,
        crc64: info.crc64,
        window,
        partSize,
    };
}
function serializeCheckpoint(checkpoint) {
    const parts = {};
    for (const index of [...checkpoint.parts.keys()].sort((a, b) => a - b)) {
        parts[String(index)] = checkpoint.parts.get(index);
    }
    const partial = {};
    for (const index of [...checkpoint.partial.keys()].sort((a, b) => a - b)) {
        const { bytes, crc } = checkpoint.partial.get(index);
        partial[String(index)] = { bytes, crc };
    }
    return `${JSON.stringify({
        format: CHECKPOINT_FORMAT,
        bucket: checkpoint.bucket,
        key: checkpoint.key,
        versionId: checkpoint.versionId ?? null,
        etag: checkpoint.etag,
        size: checkpoint.size,
        lastModified: checkpoint.lastModified,
        crc64: checkpoint.crc64 ?? null,
        window: checkpoint.window,
        partSize: checkpoint.partSize,
        tempIno: checkpoint.tempIno,
        parts,
        partial,
    }, null, 2)}\n`;
}
const isCount = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v) => typeof v === 'string';
/** Parses JSON text that must be an object; undefined for anything else. */
function parseJsonObject(text) {
    let data;
    try {
        data = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    return typeof data === 'object' && data !== null && !Array.isArray(data)
        ? data
        : undefined;
}
/** Parses a checkpoint; undefined for anything that is not exactly our format. */
function parseCheckpoint(text) {
    const d = parseJsonObject(text);
    if (d === undefined)
        return undefined;
    const window = d.window;
    if (d.format !== CHECKPOINT_FORMAT ||
        !isText(d.bucket) ||
        !isText(d.key) ||
        !(d.versionId === null || isText(d.versionId)) ||
        !isText(d.etag) ||
        !isCount(d.size) ||
        !isText(d.lastModified) ||
        !(d.crc64 === null || isText(d.crc64)) ||
        typeof window !== 'object' ||
        window === null ||
        !isCount(window.first) ||
        !isCount(window.length) ||
        !isCount(d.partSize) ||
        d.partSize === 0 ||
        !isCount(d.tempIno) ||
        typeof d.parts !== 'object' ||
        d.parts === null) {
        return undefined;
    }
    const partCount = Math.ceil(window.length / d.partSize);
    const parts = new Map();
    for (const [index, crc] of Object.entries(d.parts)) {
        const n = Number(index);
        if (!/^\d+$/.test(index) || n >= partCount || !isCrcText(crc))
            return undefined;
        parts.set(n, crc);
    }
    const partial = parsePartial(d.partial, window.length, d.partSize, parts);
    if (partial === undefined)
        return undefined;
    return {
        bucket: d.bucket,
        key: d.key,
        versionId: d.versionId ?? undefined,
        etag: d.etag,
        size: d.size,
        lastModified: d.lastModified,
        crc64: d.crc64 ?? undefined,
        window: { first: window.first, length: window.length },
        partSize: d.partSize,
        tempIno: d.tempIno,
        parts,
        partial,
    };
}
const isCrcText = (v) => isText(v) && (v === UNCHECKED || /^\d{1,20}$/.test(v));
/** The `partial` field (absent in older checkpoints: none); undefined when any entry is not a prefix of an unfinished part. */
function parsePartial(value, length, partSize, finished) {
    const partial = new Map();
    if (value === undefined)
        return partial;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
        return undefined;
    const partCount = Math.ceil(length / partSize);
    for (const [index, entry] of Object.entries(value)) {
        const n = Number(index);
        if (!/^\d+$/.test(index) || n >= partCount || finished.has(n))
            return undefined;
        if (typeof entry !== 'object' || entry === null)
            return undefined;
        const { bytes, crc } = entry;
        const partLength = Math.min(partSize, length - n * partSize);
        if (!isCount(bytes) || bytes === 0 || bytes >= partLength || !isCrcText(crc))
            return undefined;
        partial.set(n, { bytes, crc });
    }
    return partial;
}
/** Why a checkpoint cannot be used for `wanted`; undefined when it can. */
function mismatch(saved, wanted) {
    if (saved.bucket !== wanted.bucket || saved.key !== wanted.key)
        return 'it is for another object';
    if (saved.etag !== wanted.etag ||
        saved.size !== wanted.size ||
        saved.lastModified !== wanted.lastModified) {
        return `the object changed since (ETag ${saved.etag} → ${wanted.etag})`;
    }
    if ((saved.versionId ?? '') !== (wanted.versionId ?? ''))
        return 'it is for another version';
    if ((saved.crc64 ?? '') !== (wanted.crc64 ?? ''))
        return 'the object’s CRC64 changed since';
    if (saved.window.first !== wanted.window.first || saved.window.length !== wanted.window.length) {
        return 'it is for another byte range';
    }
    if (saved.partSize !== wanted.partSize)
        return `the part size changed (${saved.partSize} → ${wanted.partSize})`;
    return undefined;
}
/** Reads a checkpoint file (never through a link); undefined when absent, `'corrupt'` when unreadable. */
async function readCheckpoint(filePath) {
    const read = await readOwnFile(filePath);
    if (read.kind === 'absent')
        return undefined;
    if (read.kind === 'unreadable')
        return 'corrupt';
    return parseCheckpoint(read.text) ?? 'corrupt';
}
/** Writes the checkpoint atomically: a sibling temp file (fsynced when `durable`), rename. */
async function writeCheckpoint(filePath, checkpoint, durable) {
    await writeFileAtomic(filePath, serializeCheckpoint(checkpoint), 0o600, durable);
}
async function removeCheckpoint(filePath) {
    await (0,promises_.rm)(filePath, { force: true });
    await (0,promises_.rm)(`${filePath}.tmp`, { force: true });
}
/** Size of a regular file (not a link), or undefined when there is none. */
async function fileSize(filePath) {
    const info = await (0,promises_.lstat)(filePath).catch(() => undefined);
    return info?.isFile() ? info.size : undefined;
}

;// CONCATENATED MODULE: ./lib/transfer/manifest-stream.js
var _a;
// The manifest read and written as a stream — one entry per line, sorted by key — so a mirror of a
// million keys never holds it in memory.









/** A manifest not in the one-entry-per-line form is read whole, up to this size. */
const WHOLE_DOCUMENT_MAX = 64 * 1024 * 1024;
/**
 * The previous manifest, one entry at a time in key order, for a merge join with the listing (also
 * in key order). A manifest of another bucket or prefix, or none, reads as empty. A legacy manifest,
 * or one not in the one-entry-per-line form, is read whole (it is small, or was planted) and sorted.
 * An entry out of key order ends what is trusted of the file.
 */
class ManifestReader {
    #lines;
    #handle;
    #hash;
    legacyPath;
    #peeked;
    #done;
    #lastKey;
    constructor(source, hash) {
        this.#lines = source.lines;
        this.#handle = source.handle;
        this.#hash = hash;
        this.legacyPath = source.legacyPath;
        this.#done = source.lines === undefined;
    }
    static empty() {
        return new _a({}, (0,external_node_crypto_.createHash)('sha256'));
    }
    /** Opens the manifest of the mirror at `root` for `scope`, or a legacy one when there is none. */
    static async open(root, scope) {
        const current = await openManifest(manifestPath(root), scope, false);
        if (current !== 'absent')
            return current ?? _a.empty();
        const legacyPath = external_node_path_.join(root, LEGACY_MANIFEST_NAME);
        const legacy = await openManifest(legacyPath, scope, true);
        return legacy === 'absent' || legacy === undefined
            ? _a.empty()
            : legacy.#asLegacy(legacyPath);
    }
    /** Opens a manifest file written by ManifestWriter (for `scope`); an absent or unreadable one reads as empty. */
    static async openFile(file, scope) {
        const reader = await openManifest(file, scope, false);
        return reader === 'absent' || reader === undefined ? _a.empty() : reader;
    }
    /** @internal */
    static fromSource(source, hash) {
        return new _a(source, hash);
    }
    #asLegacy(legacyPath) {
        return new _a({ lines: this.#lines, legacyPath }, this.#hash);
    }
    async #peek() {
        while (this.#peeked === undefined && !this.#done && this.#lines !== undefined) {
            const next = await this.#lines.next();
            if (next.done) {
                this.#done = true;
                break;
            }
            const entry = next.value;
            if (entry === undefined)
                continue;
            if (this.#lastKey !== undefined && compareUtf8(this.#lastKey, entry.key) >= 0) {
                this.#done = true;
                break;
            }
            this.#lastKey = entry.key;
            this.#peeked = entry;
        }
        return this.#peeked;
    }
    /** Hands every entry before `key` to `passed` (keys the listing no longer holds), and returns `key`'s own. */
    async upTo(key, passed) {
        for (;;) {
            const entry = await this.#peek();
            if (entry === undefined)
                return undefined;
            const order = compareUtf8(entry.key, key);
            if (order > 0)
                return undefined;
            this.#peeked = undefined;
            if (order === 0)
                return entry;
            passed(entry);
        }
    }
    /** Every entry not yet read. */
    async *rest() {
        for (let entry = await this.#peek(); entry !== undefined; entry = await this.#peek()) {
            this.#peeked = undefined;
            yield entry;
        }
    }
    /** SHA-256 of the manifest's text (once all of it was read): an unchanged manifest is not rewritten. */
    digest() {
        return this.#hash.copy().digest('hex');
    }
    async close() {
        await this.#handle?.close().catch(() => { });
    }
}
_a = ManifestReader;
/** Opens one manifest file: 'absent', undefined (unreadable, or another mirror's), or a reader. */
async function openManifest(file, scope, legacy) {
    let handle;
    try {
        handle = await openNoFollow(file, 'r');
    }
    catch (error) {
        return error.code === 'ENOENT' ? 'absent' : undefined;
    }
    const hash = (0,external_node_crypto_.createHash)('sha256');
    const lines = handle.readLines({ encoding: 'utf8' })[Symbol.asyncIterator]();
    const first = await lines.next().catch(() => ({ done: true, value: undefined }));
    const head = first.done === true ? undefined : first.value;
    if (!legacy && head === headerLine(scope)) {
        hash.update(`${head}\n`);
        return ManifestReader.fromSource({ lines: entryLines(lines, hash), handle }, hash);
    }
    // Not the line form: a legacy manifest, another mirror's, or a document written otherwise.
    await handle.close();
    const whole = await readWhole(file);
    if (whole === undefined)
        return undefined;
    const d = parseJsonObject(whole);
    const format = legacy ? LEGACY_FORMAT : MANIFEST_FORMAT;
    if (d?.format !== format ||
        d.bucket !== scope.bucket ||
        d.prefix !== scope.prefix ||
        !Array.isArray(d.objects)) {
        return undefined;
    }
    const entries = d.objects
        .map((value) => trusted(value, legacy))
        .filter((entry) => entry !== undefined)
        .sort((a, b) => compareUtf8(a.key, b.key));
    hash.update(whole);
    return ManifestReader.fromSource({ lines: inOrder(entries) }, hash);
}
async function* inOrder(entries) {
    yield* entries;
}
async function readWhole(file) {
    let handle;
    try {
        handle = await openNoFollow(file, 'r');
        if ((await handle.stat()).size > WHOLE_DOCUMENT_MAX)
            return undefined;
        return await handle.readFile('utf8');
    }
    catch {
        return undefined;
    }
    finally {
        await handle?.close().catch(() => { });
    }
}
/** The entries of a manifest in line form, each line hashed as read; the footer ends them. */
async function* entryLines(lines, hash) {
    for (;;) {
        const next = await lines.next();
        if (next.done)
            return;
        const line = next.value;
        hash.update(`${line}\n`);
        if (line === ']}')
            return;
        let value;
        try {
            value = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line);
        }
        catch {
            return;
        }
        yield trusted(value, false);
    }
}
/**
 * Writes a manifest as a stream, one entry per line in key order, to a temp file beside it; `finish`
 * renames it into place — or, when its text is the very text already there, removes it.
 */
class ManifestWriter {
    #target;
    #temp;
    #handle;
    #hash = (0,external_node_crypto_.createHash)('sha256');
    #buffer = [];
    #buffered = 0;
    #pending = Promise.resolve();
    #lastKey;
    #count = 0;
    #digest;
    constructor(target, temp, handle) {
        this.#target = target;
        this.#temp = temp;
        this.#handle = handle;
    }
    /** Starts `target` (in a folder of ours) under `<target>.tmp`. */
    static async create(target, scope) {
        const temp = `${target}.tmp`;
        const handle = await createExclusive(temp, 0o644).catch(async (error) => {
            throw await (0,local_errors/* asLocalFileError */.kH)(error, target);
        });
        const writer = new ManifestWriter(target, temp, handle);
        writer.#line(headerLine(scope));
        return writer;
    }
    get count() {
        return this.#count;
    }
    /** SHA-256 of the text written (once finished). */
    digest() {
        this.#digest ??= this.#hash.digest('hex');
        return this.#digest;
    }
    #line(text) {
        this.#buffer.push(text, '\n');
        this.#buffered += text.length + 1;
    }
    /** Adds one entry; entries come in strictly increasing key order. */
    write(entry) {
        if (this.#lastKey !== undefined && compareUtf8(this.#lastKey, entry.key) >= 0) {
            throw new Error(`manifest entries out of order: '${entry.key}' after '${this.#lastKey}'`);
        }
        if (this.#count > 0)
            this.#buffer.push(',\n');
        this.#buffer.push(JSON.stringify(entry));
        this.#buffered += 256;
        this.#lastKey = entry.key;
        this.#count++;
    }
    /** Resolves once what was written so far is on its way; call it now and then, for backpressure. */
    async drain() {
        if (this.#buffered >= 256 * 1024)
            this.#flush();
        await this.#pending;
    }
    #flush() {
        if (this.#buffer.length === 0)
            return;
        const text = this.#buffer.join('');
        this.#buffer = [];
        this.#buffered = 0;
        this.#hash.update(text);
        const previous = this.#pending;
        this.#pending = previous.then(async () => {
            await this.#handle.write(text).catch(async (error) => {
                throw await (0,local_errors/* asLocalFileError */.kH)(error, this.#target);
            });
        });
    }
    /**
     * Ends the manifest: renamed into place, unless `previousDigest` says it is unchanged. `durable`:
     * fsync it before the rename and its folder after.
     */
    async finish(previousDigest, durable = false) {
        this.#buffer.push(this.#count > 0 ? '\n]}\n' : ']}\n');
        this.#flush();
        try {
            await this.#pending;
            if (this.digest() === previousDigest) {
                await this.abort();
                return 'unchanged';
            }
            if (durable) {
                await this.#handle.sync().catch(async (error) => {
                    throw await (0,local_errors/* asLocalFileError */.kH)(error, this.#target);
                });
            }
            await this.#handle.close();
            await (0,promises_.rename)(this.#temp, this.#target).catch(async (error) => {
                throw await (0,local_errors/* asLocalFileError */.kH)(error, this.#target);
            });
            if (durable)
                await syncDirectory(external_node_path_.dirname(this.#target));
            return 'written';
        }
        catch (error) {
            await this.abort();
            throw error;
        }
    }
    /** Drops the temp file; never throws. */
    async abort() {
        await this.#pending.catch(() => { });
        await this.#handle.close().catch(() => { });
        await (0,promises_.rm)(this.#temp, { force: true }).catch(() => { });
    }
}
/** Copies every entry of `reader` through `change` (or drops it, for undefined) into a fresh manifest at `root`. */
async function rewriteManifest(root, scope, change) {
    const reader = await ManifestReader.open(root, scope);
    const writer = await ManifestWriter.create(manifestPath(root), scope);
    try {
        for await (const entry of reader.rest()) {
            const next = await change(entry);
            if (next !== undefined)
                writer.write(next);
            await writer.drain();
        }
        await writer.finish(reader.digest());
    }
    catch (error) {
        await writer.abort();
        throw error;
    }
    finally {
        await reader.close();
    }
}

;// CONCATENATED MODULE: ./lib/transfer/mirror-result.js
// What a mirror is asked for and what it ends in.
/** At most this many files, refused keys and archived keys are listed in a result; counts are exact. */
const SAMPLE_LIMIT = 1000;
class MirrorError extends Error {
    result;
    constructor(message, result, cause) {
        super(message, { cause });
        this.name = 'MirrorError';
        this.result = result;
    }
}

;// CONCATENATED MODULE: ./lib/transfer/mirror-finish.js
// The end of a mirror's pass: the previous manifest's entries the listing no longer holds are
// settled (with `delete`, after a complete pass: removed when this tool wrote them and they are as
// it left them; else carried while their file is as recorded), the new manifest is written in key
// order, files kept as not ours are counted, and the result (or the failure) is told.












/** Ends the pass: settles what the listing no longer holds, writes the manifest, and returns or throws. */
async function finishMirror(run, elapsedMs) {
    // The previous manifest's entries after the last listed key: their keys are gone too.
    for await (const entry of run.previous.rest())
        run.passed(entry);
    if (run.archived.count > 0) {
        const shown = run.archived.items.slice(0, 5).map(base_text/* quoteValue */.cl).join(', ');
        run.logger.warning(`${run.archived.count} ARCHIVE / DEEP_ARCHIVE object(s) not downloaded (restore them first): ${shown}${run.archived.count > 5 ? ', …' : ''}`);
    }
    // A prefix that lists nothing fails here, before anything is deleted or recorded; with
    // allow-empty it succeeds, and the manifest stays as it was.
    const empty = run.listed === 0 && run.complete;
    const settled = empty ? await keepAsItWas(run) : await settle(run);
    const result = resultOf(run, elapsedMs, settled);
    if (run.listingError !== undefined) {
        throw new MirrorError(`Listing '${run.prefix}' failed: ${(0,error_message/* errorMessage */.g)(run.listingError)}`, result, run.listingError);
    }
    if (run.deps.signal.aborted)
        throw run.deps.signal.reason;
    if (run.failure !== undefined) {
        const { key, error } = run.failure;
        const why = (0,error_message/* errorMessage */.g)(error);
        // Name the object when the error does not (a dropped connection says only 'other side closed').
        const named = why.includes(`'${key}'`) || key === '' ? why : `${(0,base_text/* quoteValue */.cl)(key)}: ${why}`;
        throw new MirrorError(`${run.failures} of ${result.downloaded} download(s) failed; first: ${named}`, result, error);
    }
    if (empty && !run.request.allowEmpty) {
        throw new MirrorError(`The prefix '${run.prefix}' lists no objects in bucket '${run.client.connection.bucket}', so nothing was ` +
            'downloaded or deleted. Fix: check the prefix (keys are case-sensitive, and the prefix is a folder), ' +
            'or allow an empty prefix with allow-empty: true (--allow-empty)', result, undefined);
    }
    return result;
}
function resultOf(run, elapsedMs, settled) {
    return {
        destination: run.root,
        downloaded: run.downloaded,
        skipped: run.skipped,
        deleted: settled.deleted,
        bytesDownloaded: run.bytesDownloaded,
        bytesPlanned: run.bytesPlanned,
        files: run.files.items,
        filesOmitted: run.files.count - run.files.items.length,
        largest: run.largest,
        refused: run.refused.items,
        refusedCount: run.refused.count,
        archived: run.archived.items,
        archivedCount: run.archived.count,
        kept: settled.kept,
        manifest: settled.manifest,
        listRequests: run.listRequests,
        elapsedMs,
    };
}
const NOTHING = { deleted: 0, kept: { notOurs: 0, changed: 0 } };
/** An empty listing changes nothing: the pass's files are dropped and the manifest stays. */
async function keepAsItWas(run) {
    await run.writer?.abort();
    await run.stale?.abort();
    const kept = await reachableFile(external_node_path_.dirname(manifestPath(run.root)), 'manifest.json');
    return { ...NOTHING, manifest: kept === undefined ? undefined : manifestPath(run.root) };
}
/** What becomes of one entry the listing no longer holds: deleted, carried (returned), or dropped. */
async function settleOne(run, entry, deleting, counts) {
    const local = await reachableFile(run.root, entry.path);
    if (local === undefined)
        return undefined;
    const relative = relativeKey(entry.key, run.prefix);
    if (!deleting || !run.inScope(relative, entry.key))
        return stillAsRecorded(entry, local) ? entry : undefined;
    if (!entry.written || !stillAsRecorded(entry, local) || !sameInode(entry, local)) {
        if (entry.written)
            counts.changed.add(entry.path);
        return undefined;
    }
    run.record({ key: entry.key, path: entry.path, size: local.size, action: 'delete' });
    counts.deleted++;
    if (!run.settings.dryRun) {
        await (0,promises_.rm)(localPath(run.root, entry.path), { force: true });
        await removeEmptiedFolders(run.root, entry.path, (folder) => run.conflicts.isMarker(folder));
    }
    return undefined;
}
async function* entriesOf(reader) {
    try {
        yield* reader.rest();
    }
    finally {
        await reader.close();
    }
}
/** Two streams of entries in key order, as one. */
async function* merged(a, b) {
    let x = await a.next();
    let y = await b.next();
    while (!x.done || !y.done) {
        if (y.done || (!x.done && compareUtf8(x.value.key, y.value.key) < 0)) {
            yield x.value;
            x = await a.next();
        }
        else {
            yield y.value;
            y = await b.next();
        }
    }
}
/**
 * With `delete`, after a complete pass over a listing that held objects: a file this tool wrote, in
 * scope, no longer listed, and still exactly as it left it (size, mtime, inode and change time),
 * reached through no link, is removed with the folders that leaves empty. Every other such entry
 * whose file is still as recorded is carried into the new manifest (it stays ours, for a later
 * `delete`); the rest are dropped. A dry run only counts.
 */
async function settle(run) {
    const deleting = run.request.delete && run.complete && run.listed > 0;
    if (run.request.delete && !run.complete) {
        run.logger.warning('Nothing was deleted: the listing or a download failed, so the mirror is incomplete');
    }
    const counts = { deleted: 0, changed: new Set() };
    if (run.writer === undefined || run.stale === undefined) {
        for (const entry of run.staleInMemory)
            await settleOne(run, entry, deleting, counts);
        return {
            deleted: counts.deleted,
            kept: { notOurs: 0, changed: counts.changed.size },
            manifest: undefined,
        };
    }
    const scope = { bucket: run.client.connection.bucket, prefix: run.prefix };
    const durable = run.settings.fsync;
    // fsync: the folders the files were renamed into are durable before the manifest that lists them.
    if (durable)
        for (const folder of run.written)
            await syncDirectory(folder);
    // Nothing to settle: the pass's manifest is the new one, unless it says what the old one did (then
    // the writer drops it unwritten).
    const outcome = await run.writer.finish(run.staleCount === 0 ? run.previous.digest() : undefined, durable);
    await run.stale.finish();
    const target = manifestPath(run.root);
    if (run.staleCount === 0) {
        if (outcome === 'written') {
            await (0,promises_.rename)(nextManifestPath(run.root), target);
            if (durable)
                await syncDirectory(external_node_path_.dirname(target));
        }
    }
    else {
        const staleEntries = entriesOf(await ManifestReader.openFile(staleManifestPath(run.root), scope));
        const carried = (async function* () {
            for await (const entry of staleEntries) {
                const kept = await settleOne(run, entry, deleting, counts);
                if (kept !== undefined)
                    yield kept;
            }
        })();
        const next = entriesOf(await ManifestReader.openFile(nextManifestPath(run.root), scope));
        const final = await ManifestWriter.create(target, scope);
        try {
            for await (const entry of merged(next, carried)) {
                final.write(entry);
                await final.drain();
            }
            await final.finish(run.previous.digest(), durable);
        }
        catch (error) {
            await final.abort();
            throw error;
        }
        await (0,promises_.rm)(nextManifestPath(run.root), { force: true });
    }
    await (0,promises_.rm)(staleManifestPath(run.root), { force: true });
    if (run.previous.legacyPath !== undefined)
        await removeLegacy(run, run.previous.legacyPath);
    if (run.complete)
        await removeLeftovers(external_node_path_.dirname(mirrorFileState(run.root, '').temp));
    const found = deleting ? await notOurs(run, scope, counts.changed) : { count: 0, shown: [] };
    const changed = counts.changed.size;
    if (found.count + changed > 0) {
        const shown = found.shown.join(', ');
        run.logger.info(`Kept ${found.count} local file(s) the prefix does not hold that cos-download did not write` +
            `${shown === '' ? '' : ` (${shown}${found.count > found.shown.length ? ', …' : ''})`}` +
            `${changed > 0 ? `, and ${changed} it wrote that changed since` : ''}: delete removes only files it wrote`);
    }
    return {
        deleted: counts.deleted,
        kept: { notOurs: found.count, changed },
        manifest: target,
    };
}
/** Files in the destination the new manifest does not record: a walk and the manifest, both in key order. */
async function notOurs(run, scope, changed) {
    const manifest = entriesOf(await ManifestReader.openFile(manifestPath(run.root), scope));
    let next = await manifest.next();
    let count = 0;
    const shown = [];
    for await (const file of filesInKeyOrder(run.root)) {
        while (!next.done && compareUtf8(next.value.path, file) < 0)
            next = await manifest.next();
        if ((!next.done && next.value.path === file) || changed.has(file))
            continue;
        count++;
        if (shown.length < 3)
            shown.push((0,base_text/* quoteValue */.cl)(file));
    }
    await manifest.return(undefined);
    return { count, shown };
}
/** A migrated legacy manifest goes once the new one is written, unless a listed key is that very file. */
async function removeLegacy(run, legacyPath) {
    const current = await ManifestReader.openFile(manifestPath(run.root), {
        bucket: run.client.connection.bucket,
        prefix: run.prefix,
    });
    let isKey = false;
    for await (const entry of entriesOf(current))
        if (entry.path === LEGACY_MANIFEST_NAME)
            isKey = true;
    if (!isKey)
        await (0,promises_.rm)(legacyPath, { force: true });
}
/** Removes what is left in the mirror's temp folder after a complete pass (no download can resume it). */
async function removeLeftovers(folder) {
    const names = await (0,promises_.readdir)(folder).catch(() => []);
    // Whatever is there (a planted folder too); rm never follows a link.
    for (const name of names)
        await (0,promises_.rm)(external_node_path_.join(folder, name), { recursive: true, force: true }).catch(() => { });
    await removeIfEmpty(folder);
}

// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(370);
// EXTERNAL MODULE: ./lib/cos/object.js
var cos_object = __webpack_require__(3320);
// EXTERNAL MODULE: ./lib/cos/client.js + 2 modules
var cos_client = __webpack_require__(9657);
// EXTERNAL MODULE: external "node:worker_threads"
var external_node_worker_threads_ = __webpack_require__(5919);
;// CONCATENATED MODULE: ./lib/transfer/crc64/offload.js
// The CRC of a large part's bytes on a second core. The receive path writes each read and hands it
// here; bytes are copied into 1 MiB segments, and a full segment goes (transferred, not copied) to
// one worker thread that runs the same kernel and sends its CRC back; the stream's CRC is the
// segments' CRCs combined in order. A segment sealed while the worker is busy (too many segments
// out) or gone is hashed here instead, with the same result; with one core, or for a part shorter
// than a segment, everything is hashed here. A segment the worker took and never answered (it
// failed) fails the stream's digest; the caller then hashes the bytes from disk. See
// docs/adr/0002-crc64.md.




/** Bytes a segment holds before it is hashed. */
const SEGMENT_BYTES = 1024 * 1024;
/** Segments out at the worker at once, every stream together (the memory this may hold). */
const MAX_OUT = 8;
// Runs in the worker (CommonJS, from a string: the bundles need no second file). It gets the
// compiled kernel and its tables, and answers each segment with its CRC as two uint32 halves.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, tables, stateOffset, stagingOffset, stagingSize } = workerData;
const { memory, update } = new WebAssembly.Instance(module, {}).exports;
const heap = new Uint8Array(memory.buffer);
const view = new DataView(memory.buffer);
for (let i = 0; i < tables.length; i++) view.setUint32(4 * i, tables[i], true);
parentPort.on('message', ({ id, buffer, length }) => {
  const data = new Uint8Array(buffer, 0, length);
  view.setUint32(stateOffset, 0xffffffff, true);
  view.setUint32(stateOffset + 4, 0xffffffff, true);
  for (let offset = 0; offset < length; offset += stagingSize) {
    const end = Math.min(offset + stagingSize, length);
    heap.set(data.subarray(offset, end), stagingOffset);
    update(stagingOffset, end - offset);
  }
  const lo = ~view.getUint32(stateOffset, true) >>> 0;
  const hi = ~view.getUint32(stateOffset + 4, true) >>> 0;
  parentPort.postMessage({ id, lo, hi, buffer }, [buffer]);
});
`;
/** The one CRC worker of the process, started on first use; holds the event loop only while busy. */
class CrcWorker {
    static #shared;
    #worker;
    #waiting = new Map();
    #free = [];
    #next = 0;
    #answered = 0;
    #failure;
    constructor(worker) {
        this.#worker = worker;
        worker.on('message', (answer) => this.#answer(answer));
        worker.on('messageerror', (error) => this.#fail(error));
        worker.on('error', (error) => this.#fail(error));
        worker.on('exit', (code) => this.#fail(new Error(`the CRC worker stopped (exit code ${code})`)));
        worker.unref(); // after on('message'), which refs it again
    }
    /**
     * The shared worker; undefined with one core (nothing to gain), when no worker can be started
     * (e.g. Node's permission model without --allow-worker), or after it failed.
     */
    static shared() {
        if (CrcWorker.#shared === undefined) {
            if ((0,external_node_os_.availableParallelism)() < 2)
                return undefined;
            try {
                CrcWorker.#shared = new CrcWorker(new external_node_worker_threads_.Worker(WORKER_SOURCE, { eval: true, workerData: kernelParts }));
            }
            catch {
                CrcWorker.#shared = 'unavailable';
            }
        }
        const shared = CrcWorker.#shared;
        return shared !== 'unavailable' && shared.#failure === undefined ? shared : undefined;
    }
    /** Whether a segment may be sent now: the worker runs and has fewer than the most out. */
    get available() {
        return this.#failure === undefined && this.#waiting.size < MAX_OUT;
    }
    /** Segments answered since the worker started (tests: which path ran). */
    get answered() {
        return this.#answered;
    }
    /** A segment's buffer, reused from answered segments when one is free. */
    take() {
        return this.#free.pop() ?? new ArrayBuffer(SEGMENT_BYTES);
    }
    /** Takes back a segment buffer that was hashed here, for reuse. */
    give(buffer) {
        if (buffer.byteLength === SEGMENT_BYTES && this.#free.length < MAX_OUT)
            this.#free.push(buffer);
    }
    /**
     * Sends the first `length` bytes of `buffer` (transferred: unusable here after) and resolves to
     * their CRC. Throws, with `buffer` still usable, if it could not be sent.
     */
    hash(buffer, length) {
        if (this.#failure !== undefined)
            throw this.#failure;
        if (!Number.isSafeInteger(length) || length < 0 || length > buffer.byteLength) {
            throw new RangeError(`CrcWorker.hash: length ${length} is not within the buffer's ${buffer.byteLength} bytes`);
        }
        const id = this.#next++;
        this.#worker.postMessage({ id, buffer, length }, [buffer]);
        if (this.#waiting.size === 0)
            this.#worker.ref();
        return new Promise((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    }
    /** Stops the worker (tests; a process exits without it). The next `shared()` starts a new one. */
    static async stop() {
        const shared = CrcWorker.#shared;
        CrcWorker.#shared = undefined;
        if (shared !== undefined && shared !== 'unavailable')
            await shared.#worker.terminate();
    }
    #answer({ id, lo, hi, buffer }) {
        const waiting = this.#waiting.get(id);
        this.#waiting.delete(id);
        if (this.#waiting.size === 0)
            this.#worker.unref();
        this.#answered++;
        this.give(buffer);
        waiting?.resolve((BigInt(hi) << 32n) | BigInt(lo));
    }
    #fail(error) {
        this.#failure ??= error;
        for (const waiting of this.#waiting.values())
            waiting.reject(this.#failure);
        this.#waiting.clear();
        this.#worker.unref();
    }
}
/** A stream's CRC from segments hashed by the worker or here, combined in order. */
class SegmentedCrc {
    #worker;
    #segments = [];
    /** The segment being filled: a view of a whole buffer from the worker's pool. */
    #staging;
    #filled = 0;
    #knownIndex = 0;
    #knownBytes = 0;
    #knownCrc = 0n;
    #given = 0;
    constructor(worker) {
        this.#worker = worker;
    }
    update(chunk) {
        this.#given += chunk.length;
        let offset = 0;
        while (offset < chunk.length) {
            this.#staging ??= new Uint8Array(this.#worker.take());
            const take = Math.min(chunk.length - offset, SEGMENT_BYTES - this.#filled);
            const slice = offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take);
            this.#staging.set(slice, this.#filled);
            this.#filled += take;
            offset += take;
            if (this.#filled === SEGMENT_BYTES)
                this.#seal(this.#worker.available);
        }
    }
    known() {
        return { bytes: this.#knownBytes, crc: this.#knownCrc };
    }
    async complete() {
        await this.#settled();
        this.#seal(false);
        if (this.#staging !== undefined)
            this.#worker.give(this.#staging.buffer);
        this.#staging = undefined;
        return this.known();
    }
    async digest() {
        const { bytes, crc } = await this.complete();
        const failed = this.#segments.find((segment) => segment.error !== undefined);
        if (failed?.error !== undefined)
            throw failed.error;
        if (bytes !== this.#given)
            throw new Error(`CRC stream: ${bytes} of ${this.#given} bytes accounted for`);
        return crc;
    }
    /** Waits for every segment sent so far, and for those sent meanwhile. */
    async #settled() {
        for (let i = 0; i < this.#segments.length; i++)
            await this.#segments[i]?.answer;
    }
    /** Hashes what is staged: at the worker (`send`), or here when not sending or it cannot be sent. */
    #seal(send) {
        const staging = this.#staging;
        const length = this.#filled;
        if (staging === undefined || length === 0)
            return;
        if (send) {
            let answer;
            try {
                answer = this.#worker.hash(staging.buffer, length);
            }
            catch {
                // Not sent (the worker failed meanwhile): the buffer is still ours; hash it here.
            }
            if (answer !== undefined) {
                this.#staging = undefined;
                this.#filled = 0;
                const segment = {
                    length,
                    crc: undefined,
                    error: undefined,
                    answer: answer.then((crc) => {
                        segment.crc = crc;
                        this.#advance();
                    }, (error) => {
                        segment.error = error;
                    }),
                };
                this.#segments.push(segment);
                return;
            }
        }
        this.#filled = 0;
        this.#segments.push({
            length,
            crc: crc64(staging.subarray(0, length)),
            error: undefined,
            answer: undefined,
        });
        this.#advance();
    }
    /** Folds answered segments, in order, into the known first stretch. */
    #advance() {
        for (;;) {
            const segment = this.#segments[this.#knownIndex];
            if (segment?.crc === undefined)
                return;
            this.#knownCrc = crc64Combine(this.#knownCrc, segment.crc, segment.length);
            this.#knownBytes += segment.length;
            this.#knownIndex++;
        }
    }
}
/** A CRC computed here, read by read. */
class LocalCrc {
    #crc = new Crc64();
    update(chunk) {
        this.#crc.update(chunk);
    }
    known() {
        return { bytes: this.#crc.length, crc: this.#crc.digest() };
    }
    complete() {
        return Promise.resolve(this.known());
    }
    digest() {
        return Promise.resolve(this.#crc.digest());
    }
}
/**
 * A CRC for a stream of `length` bytes: on the worker when the stream fills at least one segment and
 * there is a second core, here otherwise.
 */
function streamCrc(length) {
    const worker = length >= SEGMENT_BYTES ? CrcWorker.shared() : undefined;
    return worker === undefined ? new LocalCrc() : new SegmentedCrc(worker);
}

;// CONCATENATED MODULE: ./lib/transfer/object-result.js
/** The bytes do not match the object's CRC64 (or its length): nothing was left at the destination. */
class IntegrityError extends Error {
    constructor(message) {
        super(message);
        this.name = 'IntegrityError';
    }
}
/** The object's ETag stopped matching between requests. */
class ObjectChangedError extends Error {
    constructor(message, cause) {
        super(message, { cause });
        this.name = 'ObjectChangedError';
    }
}

;// CONCATENATED MODULE: ./lib/transfer/source.js
/**
 * Lets an answer go unread (a first part a checkpoint already holds, a probe that ends the run):
 * destroying an unread undici body emits an error event, which here has nowhere to go.
 */
function letGo(response) {
    response.body.on('error', () => { });
    response.body.destroy();
}

;// CONCATENATED MODULE: ./lib/transfer/fetch-part.js








const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
/**
 * Requires a 206 whose Content-Range is exactly the bytes asked for, of an object of the known size,
 * and an `x-cos-hash-crc64ecma`, when there is one, that is a CRC-64.
 */
function checkPartialResponse(response, key, first, last, size) {
    const what = `ranged GET '${key}' bytes=${first}-${last}`;
    if (response.status !== 206) {
        throw new cos_errors/* ProtocolError */.bd(`${what} answered ${response.status}, not 206 Partial Content: the server ignored the range`, {
            transient: false,
        });
    }
    const contentRange = (0,cos_client/* header */.wx)(response, 'content-range') ?? '';
    const match = CONTENT_RANGE.exec(contentRange);
    if (match === null ||
        Number(match[1]) !== first ||
        Number(match[2]) !== last ||
        (match[3] !== '*' && Number(match[3]) !== size)) {
        throw new cos_errors/* ProtocolError */.bd(`${what} answered Content-Range '${contentRange.slice(0, 80)}', expected 'bytes ${first}-${last}/${size}'`, { transient: false });
    }
    const length = (0,cos_client/* header */.wx)(response, 'content-length');
    if (length !== undefined && length !== String(last - first + 1)) {
        throw new cos_errors/* ProtocolError */.bd(`${what} answered Content-Length ${length.slice(0, 20)}, expected ${last - first + 1}`, {
            transient: false,
        });
    }
    const crc64 = (0,cos_client/* header */.wx)(response, 'x-cos-hash-crc64ecma');
    if (crc64 !== undefined && !(0,cos_object/* isCrc64Header */.WL)(crc64)) {
        throw new cos_errors/* ProtocolError */.bd(`${what} answered x-cos-hash-crc64ecma '${crc64.slice(0, 40)}', not a CRC-64 (decimal, at most 2^64-1), so the bytes could not be checked`, { transient: false });
    }
}
/**
 * The query and fixed headers of a part's GETs: pinned to the ETag (and version). A link's query is
 * its own (signed): the version and overrides it names are in it already.
 */
function partRequest(job) {
    const { info, access } = job;
    return {
        query: job.client.fixedUrl === true
            ? {}
            : { ...(0,cos_object/* versionQuery */.LR)(info.versionId ?? access.versionId), ...(0,cos_object/* overrideQuery */.nM)(job.overrides) },
        headers: { ...(info.etag === '' ? {} : { 'if-match': info.etag }), ...(0,cos_object/* accessHeaders */.Hi)(access) },
    };
}
/**
 * A link's later responses prove they are of the object its first one was (a server may ignore
 * If-Match): their ETag and CRC headers, when sent, must be that one's.
 */
function checkSameObject(response, info, what) {
    const etag = (0,cos_client/* header */.wx)(response, 'etag');
    const crc64 = (0,cos_client/* header */.wx)(response, 'x-cos-hash-crc64ecma');
    const changed = etag !== undefined && etag !== info.etag
        ? `its ETag is now ${etag.slice(0, 80)}, not ${info.etag}`
        : crc64 !== undefined && info.crc64 !== undefined && crc64 !== info.crc64
            ? `its CRC64 is now ${crc64.slice(0, 40)}, not ${info.crc64}`
            : undefined;
    if (changed !== undefined) {
        throw new ObjectChangedError(`'${info.key}' changed during the download (${what}): ${changed}`, undefined);
    }
}
/** Checks an answer to a part's GET before its body: 206, Content-Range, Content-Length, a link's ETag and CRC. */
function checkPart(job, answer, next, last) {
    checkPartialResponse(answer, job.info.key, next, last, job.info.size);
    if (job.client.fixedUrl === true)
        checkSameObject(answer, job.info, `bytes=${next}-${last}`);
}
/** An answer's body to `onBody`, slice by slice (an answer already opened: a link's first GET). */
async function drain(response, onBody) {
    try {
        for await (const chunk of response.body)
            onBody(chunk);
    }
    catch (error) {
        letGo(response);
        throw error;
    }
}
/**
 * One ranged GET of bytes `next`..`last` — or, on a first attempt, the answer `opened` already
 * holds — checked (206, Content-Range, Content-Length) before any of its body goes to `onBody`.
 * Returns the answer's `x-cos-hash-crc64ecma`.
 */
async function getRange(job, fixed, opened, range, onBody) {
    const { next, last } = range;
    let objectCrc64;
    const onHead = (answer) => {
        checkPart(job, answer, next, last);
        objectCrc64 = (0,cos_client/* header */.wx)(answer, 'x-cos-hash-crc64ecma');
    };
    const first = opened.response;
    opened.response = undefined;
    const request = {
        method: 'GET',
        key: job.info.key,
        query: fixed.query,
        headers: { ...fixed.headers, range: `bytes=${next}-${last}` },
        signal: job.signal,
    };
    const received = first === undefined
        ? job.client.getBody(request, { onHead, onBody })
        : (async () => {
            try {
                onHead(first);
            }
            catch (error) {
                letGo(first);
                throw error;
            }
            await drain(first, onBody);
        })();
    await received.catch(async (error) => {
        throw (0,cos_object/* namingRequest */.oE)(await LocalWriteFailure.explained(error), `GET '${job.info.key}' bytes=${next}-${last}`);
    });
    return objectCrc64;
}
function tooMany(job, part) {
    return new cos_errors/* ProtocolError */.bd(`GET '${job.info.key}' sent more bytes than bytes=${part.first}-${part.last}`, {
        transient: false,
    });
}
function droppedAt(job, next, part) {
    return new cos_errors/* ProtocolError */.bd(`GET '${job.info.key}' body ended at byte ${next}, before ${part.last + 1}: the connection dropped`, { transient: true });
}
/**
 * Receives the rest of `part` into `onBody`, from byte `taken()`: ranged GETs, retried on a transient
 * failure from the first byte not yet taken; `opened`, when given, answers the first attempt.
 * Returns the object's `x-cos-hash-crc64ecma` as the answers stated it.
 */
async function receive(job, part, opened, taken, onBody) {
    const { client, info, signal } = job;
    const fixed = partRequest(job);
    const first = { response: opened };
    let objectCrc64;
    await client
        .retrying(`GET '${info.key}' bytes=${part.first}-${part.last}`, signal, async () => {
        signal.throwIfAborted();
        const range = { next: taken(), last: part.last };
        objectCrc64 = (await getRange(job, fixed, first, range, onBody)) ?? objectCrc64;
        if (taken() <= part.last)
            throw droppedAt(job, taken(), part);
    })
        .finally(() => {
        if (first.response !== undefined)
            letGo(first.response);
    });
    return objectCrc64;
}
/**
 * Downloads one part. `opened`, when given, is the answer of its first attempt, already sent (a
 * link's first GET); it is consumed (or let go) whatever happens.
 */
async function fetchPart(job, part, opened) {
    const { writer, base } = job;
    const from = part.first + (job.start?.bytes ?? 0);
    const crc = job.crc ? streamCrc(part.last + 1 - from) : undefined;
    let next = from;
    const progress = { bytes: 0, crc, before: job.start };
    job.inFlight?.set(part.index, progress);
    // Each slice is written (positionally) and through the CRC before the read buffer is reused;
    // `next` moves only past written bytes, so a retry resumes exactly after the last of them.
    const onBody = (chunk) => {
        if (next + chunk.length > part.last + 1)
            throw tooMany(job, part);
        writer.writeAtSync(chunk, next - base);
        crc?.update(chunk);
        next += chunk.length;
        progress.bytes += chunk.length;
        job.onBytes?.(chunk.length);
    };
    const objectCrc64 = await receive(job, part, opened, () => next, onBody);
    const fetched = part.last + 1 - from;
    // The CRC worker failed with some of these bytes: hash them as they are in the file instead.
    const rest = await crc?.digest().catch(async (error) => {
        const onDisk = await writer.crcAt(from - base, fetched);
        if (onDisk === undefined)
            throw error;
        return onDisk;
    });
    return { crc: partCrc(rest, job.start, fetched), objectCrc64 };
}
/** The CRC of a whole part from this run's bytes and, for a resumed part, the CRC of its first bytes. */
function partCrc(rest, start, fetched) {
    if (rest === undefined)
        return undefined;
    if (start === undefined)
        return rest;
    if (start.crc === undefined)
        return undefined;
    return crc64Combine(start.crc, rest, fetched);
}
/**
 * Downloads one (small) part into memory: the same ranged GET and checks as `fetchPart`, into one
 * buffer of the part's size, so a small object costs one request and, later, one write. A
 * transient failure resumes from the first byte not yet received.
 */
async function fetchPartBody(job, part, opened) {
    const bytes = Buffer.allocUnsafe(part.last - part.first + 1);
    let next = part.first;
    const onBody = (chunk) => {
        if (next + chunk.length > part.last + 1)
            throw tooMany(job, part);
        chunk.copy(bytes, next - part.first);
        next += chunk.length;
    };
    const objectCrc64 = await receive(job, part, opened, () => next, onBody);
    return { bytes, objectCrc64 };
}

;// CONCATENATED MODULE: ./lib/transfer/plan.js
/** Objects larger than the part size come down as parallel ranged GETs. */
function isMultipart(length, partSize) {
    return length > partSize;
}
/** Splits `window` into consecutive parts of `partSize` bytes (the last may be shorter). */
function planParts(window, partSize) {
    if (!Number.isSafeInteger(partSize) || partSize <= 0)
        throw new RangeError(`bad part size ${partSize}`);
    const parts = [];
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
function rangeWindow(range, size) {
    if (range === undefined)
        return { first: 0, length: size };
    switch (range.kind) {
        case 'closed':
            if (range.first >= size)
                return undefined;
            return { first: range.first, length: Math.min(range.last, size - 1) - range.first + 1 };
        case 'from':
            if (range.first >= size)
                return undefined;
            return { first: range.first, length: size - range.first };
        case 'suffix':
            if (size === 0)
                return undefined;
            return { first: Math.max(0, size - range.length), length: Math.min(range.length, size) };
    }
}
function formatRange(range) {
    switch (range.kind) {
        case 'closed':
            return `bytes=${range.first}-${range.last}`;
        case 'from':
            return `bytes=${range.first}-`;
        case 'suffix':
            return `bytes=-${range.length}`;
    }
}

;// CONCATENATED MODULE: ./lib/transfer/pool.js
// Tasks run a bounded number at a time, with one cancellation for all of them: the parts of an
// object (fail-fast: the first failure stops its siblings) and a mirror's objects (each task
// reports its own failure; the pool bounds how many are in flight and stops them on cancel).
// Requests themselves are bounded by the p-limit the tasks share, not here.
class TaskPool {
    #active = new Set();
    #controller = new AbortController();
    #maxActive;
    #failFast;
    #failure;
    constructor(options) {
        this.#maxActive = options.maxActive ?? Number.POSITIVE_INFINITY;
        this.#failFast = options.failFast;
        const outer = options.signal;
        if (outer.aborted)
            this.#controller.abort(outer.reason);
        else
            outer.addEventListener('abort', () => this.#controller.abort(outer.reason), { once: true });
    }
    /** Aborted on cancellation, and (fail-fast) at the first failure. */
    get signal() {
        return this.#controller.signal;
    }
    /** Starts `task` once fewer than `maxActive` run. */
    async add(task) {
        while (this.#active.size >= this.#maxActive)
            await Promise.race(this.#active);
        const signal = this.#controller.signal;
        const run = (async () => {
            signal.throwIfAborted();
            await task(signal);
        })().catch((error) => {
            if (this.#failure !== undefined)
                return;
            this.#failure = { error };
            if (this.#failFast)
                this.#controller.abort(error);
        });
        this.#active.add(run);
        void run.finally(() => this.#active.delete(run));
    }
    /** Waits for every task, then throws the first failure, if any. */
    async drain() {
        while (this.#active.size > 0)
            await Promise.all(this.#active);
        if (this.#failure !== undefined)
            throw this.#failure.error;
    }
}

;// CONCATENATED MODULE: ./lib/transfer/resume.js




/** Why a saved checkpoint (and its temp file) cannot be resumed; undefined when it can. */
async function unusable(saved, target) {
    if (saved === 'corrupt')
        return 'it is unreadable';
    if (saved === undefined)
        return undefined;
    const tempSize = await fileSize(target.state.temp);
    const length = target.window.length;
    return (mismatch(saved, target.identity) ??
        (tempSize === undefined
            ? 'the temp file is gone'
            : tempSize !== length
                ? `the temp file is ${tempSize < length ? 'shorter' : 'longer'} (${tempSize} of ${length} bytes)`
                : undefined));
}
/**
 * Reopens the temp file of an earlier run when its checkpoint matches, keeping only the parts whose
 * bytes on disk still give the CRC the checkpoint recorded; else starts a fresh temp file.
 */
async function openForResume(target, logger) {
    const { state, parts, window } = target;
    const saved = await readCheckpoint(state.checkpoint);
    if (saved !== undefined) {
        let reason = await unusable(saved, target);
        let temp;
        if (reason === undefined && saved !== 'corrupt') {
            // A temp file that is a link, or has a second name elsewhere, is never written to; one that is
            // not the file this checkpoint was written for (both planted together) is never trusted.
            temp = await TempFile.reopen(state.temp, target.destination).catch(() => undefined);
            if (temp === undefined)
                reason = 'the temp file is not a plain file of its own';
            else if (temp.ino !== saved.tempIno) {
                await temp.close();
                temp = undefined;
                reason = 'the temp file is not the one it was written for';
            }
        }
        if (temp !== undefined && saved !== 'corrupt') {
            const done = new Map();
            const started = new Map();
            let damaged = 0;
            for (const [index, crc] of saved.parts) {
                const part = parts[index];
                // With the CRC off, no byte is checked: not in flight, not on resume (a part recorded
                // without a CRC is fetched again once the CRC is back on: it cannot be checked).
                if (!target.verify) {
                    done.set(index, crc);
                    continue;
                }
                const actual = await temp.crcAt(part.first - window.first, part.last - part.first + 1);
                if (actual !== undefined && formatCrc64(actual) === crc)
                    done.set(index, crc);
                else
                    damaged++;
            }
            let startedBytes = 0;
            for (const [index, { bytes, crc }] of saved.partial) {
                const part = parts[index];
                const kept = await keptStart(temp, part.first - window.first, bytes, crc, target.verify);
                if (kept === 'damaged')
                    damaged++;
                else if (kept !== undefined) {
                    started.set(index, kept);
                    startedBytes += bytes;
                }
            }
            logger.info(`Resuming '${target.key}': ${done.size} of ${parts.length} parts are already downloaded` +
                (started.size > 0 ? `, and the first ${startedBytes} bytes of ${started.size} more` : '') +
                (damaged > 0
                    ? `; ${damaged} more did not match their checkpoint on disk and are fetched again`
                    : ''));
            return { temp, done, started };
        }
        logger.info(`Starting '${target.key}' over: the checkpoint beside it cannot be used, as ${reason}`);
        await removeCheckpoint(state.checkpoint);
    }
    return {
        temp: await TempFile.create(state.temp, window.length, target.destination),
        done: new Map(),
        started: new Map(),
    };
}
/**
 * A part's first bytes as the checkpoint records them, checked on disk: kept (with their CRC),
 * `'damaged'` when they no longer give it, undefined when they cannot be checked (recorded without
 * a CRC, and the CRC is on now: fetched again whole).
 */
async function keptStart(temp, position, bytes, crc, verify) {
    if (!verify)
        return { bytes, crc: undefined };
    const expected = crc === UNCHECKED ? undefined : parseCrc64(crc);
    if (expected === undefined)
        return undefined;
    const actual = await temp.crcAt(position, bytes);
    return actual === expected ? { bytes, crc: expected } : 'damaged';
}
/** What a checkpoint records of a part in flight: its first bytes and their CRC, when there are any. */
function partialOf(progress, known) {
    const before = progress.before;
    if (progress.crc === undefined) {
        const bytes = (before?.bytes ?? 0) + progress.bytes;
        return bytes === 0 ? undefined : { bytes, crc: UNCHECKED };
    }
    // Only the first stretch whose CRC is known: bytes written past it are fetched again on resume.
    if (known === undefined)
        return undefined;
    const bytes = (before?.bytes ?? 0) + known.bytes;
    if (bytes === 0)
        return undefined;
    if (before === undefined)
        return { bytes, crc: formatCrc64(known.crc) };
    if (before.crc === undefined)
        return undefined;
    return { bytes, crc: formatCrc64(crc64Combine(before.crc, known.crc, known.bytes)) };
}
/**
 * Writes the checkpoint after the bytes it vouches for are flushed: snapshot the finished parts,
 * fsync the temp file, then write. At most one write runs and one waits. `recorded` is how many
 * parts the checkpoint on disk vouches for: what a re-run can resume.
 */
class Checkpointer {
    #path;
    #durable;
    #identity;
    #temp;
    #tempIno;
    #done;
    #inFlight;
    #chain = Promise.resolve();
    #queued = false;
    #exact = false;
    #recorded;
    #recordedStartBytes = 0;
    /** `inFlight`: the parts being fetched, whose first bytes a checkpoint records too. */
    constructor(filePath, identity, resume, inFlight, durable) {
        this.#inFlight = inFlight;
        this.#path = filePath;
        this.#durable = durable;
        this.#identity = identity;
        this.#temp = resume.temp;
        if (resume.temp.ino === undefined)
            throw new Error('a checkpoint is bound to its temp file, whose inode is unknown');
        this.#tempIno = resume.temp.ino;
        this.#done = resume.done;
        // A resumed download starts from a checkpoint on disk that vouches for (at least) these parts.
        this.#recorded = resume.done.size;
        for (const start of resume.started.values())
            this.#recordedStartBytes += start.bytes;
    }
    /** Finished parts the checkpoint on disk vouches for. */
    get recorded() {
        return this.#recorded;
    }
    /** Bytes of unfinished parts the checkpoint on disk vouches for. */
    get recordedStartBytes() {
        return this.#recordedStartBytes;
    }
    /**
     * Writes a checkpoint soon (coalesced). `exact` (the last one, after a failure or an interrupt)
     * waits for the CRCs of the bytes written so far, so it vouches for all of them; otherwise a part
     * in flight counts as far as its CRC is already known.
     */
    schedule(exact = false) {
        if (exact)
            this.#exact = true;
        if (this.#queued)
            return;
        this.#queued = true;
        this.#chain = this.#chain
            .then(async () => {
            this.#queued = false;
            const exact = this.#exact;
            this.#exact = false;
            // Exact: every byte written, once the CRC worker has answered; else as far as is known now.
            const known = new Map();
            for (const [index, progress] of this.#inFlight) {
                known.set(index, exact ? await progress.crc?.complete() : progress.crc?.known());
            }
            const parts = new Map(this.#done);
            // The parts in flight, as far as their bytes are written (synchronously, so this snapshot
            // never runs ahead of the file).
            const partial = new Map();
            let startBytes = 0;
            for (const [index, progress] of this.#inFlight) {
                const recorded = parts.has(index) ? undefined : partialOf(progress, known.get(index));
                if (recorded === undefined)
                    continue;
                partial.set(index, recorded);
                startBytes += recorded.bytes;
            }
            // Durable: the parts' bytes reach the disk before the checkpoint that vouches for them. Either
            // way a resume reads every kept part back and checks its CRC before trusting it.
            if (this.#durable)
                await this.#temp.sync();
            await writeCheckpoint(this.#path, { ...this.#identity, tempIno: this.#tempIno, parts, partial }, this.#durable);
            this.#recorded = parts.size;
            this.#recordedStartBytes = startBytes;
        })
            .catch(() => {
            // A failed checkpoint write costs only a resume; the download itself goes on.
        });
    }
    /** Writes a checkpoint now (`exact`: as for `schedule`) and waits for it. */
    async flush(exact = false) {
        this.schedule(exact);
        await this.#chain;
    }
    async remove() {
        await this.#chain;
        await removeCheckpoint(this.#path);
    }
}
/** Bytes as a message tells them: MiB with one decimal. */
const formatMiB = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
/**
 * After a failure or an interrupt: the parts (and part starts) stay for a resume only when a
 * checkpoint on disk records them, and the log says how much; a failure that proves the bytes
 * wrong or the object changed leaves nothing, since nothing could resume it.
 */
async function keepOrDiscard(error, object, resume, checkpoint, logger) {
    const { key, parts } = object;
    const resumable = !(error instanceof IntegrityError) && !(error instanceof ObjectChangedError);
    // Else nothing could resume them, and the temp file would only fill the disk.
    if (resumable)
        await checkpoint.flush(true);
    const kept = resumable ? checkpoint.recorded : 0;
    const startBytes = resumable ? checkpoint.recordedStartBytes : 0;
    if (kept > 0 || startBytes > 0) {
        await resume.temp.close().catch(() => { });
        let keptBytes = startBytes;
        for (const part of parts)
            if (resume.done.has(part.index))
                keptBytes += part.last - part.first + 1;
        logger.info(`Kept ${kept} of ${parts.length} finished parts of '${key}'` +
            (startBytes > 0 ? `, and ${formatMiB(startBytes)} of the parts in flight` : '') +
            ` (${formatMiB(keptBytes)} of ${formatMiB(object.length)}; a checkpoint records them): run again to resume`);
        return;
    }
    await resume.temp.discard();
    await checkpoint.remove().catch(() => { });
    if (resumable && resume.done.size > 0) {
        logger.info(`No checkpoint of '${key}' could be written, so its ${resume.done.size} finished part(s) were not kept`);
    }
}

;// CONCATENATED MODULE: ./lib/transfer/fetch-object.js
// One known object version (or a window of it) into one file: parts fetched by a bounded pool into
// a temp file in the state folder, CRC-64 combined from the parts, then fsync + rename. Nothing
// reaches the destination before the bytes are verified. An object that changes mid-download (412
// on If-Match) is started over once, unless a range or a condition pinned it. The bytes come from
// an ObjectSource: a COS client, or a link whose first part's answer may be handed in already open.















/**
 * Objects (or windows) of one part up to this size come down in one GET into memory and reach the
 * temp file in one write: no stream pipeline, no preallocation, no checkpoint. A mirror holds at
 * most 4 × concurrency of them at once, so memory stays bounded.
 */
const SMALL_OBJECT_BYTES = 1024 * 1024;
/**
 * Downloads `window` of the object version `known` into `request.destination`. `opened` is the
 * answer to a GET of the window's first part, already sent (a link's first request): it becomes
 * that part's bytes, or is destroyed.
 */
async function fetchObject(context, request, known, window, opened) {
    let job = new ObjectJob(context, request, known, window, opened);
    for (let restart = 0;; restart++) {
        try {
            return await job.run();
        }
        catch (error) {
            // A range or a condition was asked of the version that changed: the new one may not satisfy it.
            if (!(error instanceof ObjectChangedError) || restart >= 1 || request.pinned)
                throw error;
            context.deps.logger.info(`'${request.key}' changed during the download (its ETag no longer matches): starting over`);
            const head = await (0,cos_object/* headObject */.C6)(context.client, request.key, job.access, {}, context.deps.signal);
            if (head.kind !== 'found')
                throw error;
            job = new ObjectJob(context, request, head.info, { first: 0, length: head.info.size });
        }
    }
}
/** A 412 on a part's If-Match means the object changed under us. */
function asChange(error, info) {
    if (error instanceof cos_errors/* CosError */.Y6 && error.status === 412) {
        return new ObjectChangedError(`'${info.key}' changed during the download: ETag ${info.etag} no longer matches (412)`, error);
    }
    return error;
}
/** One attempt at one object version: its plan, its temp file, its parts, its check and its rename. */
class ObjectJob {
    #context;
    #request;
    #window;
    #parts;
    access;
    #info;
    /** The first part's answer, already open, until a fetch of that part takes it. */
    #opened;
    constructor(context, request, info, window, opened) {
        this.#context = context;
        this.#opened = opened;
        this.#request = request;
        this.#info = info;
        this.#window = window;
        this.#parts = planParts(window, context.settings.partSize);
        const { settings } = context;
        this.access = {
            versionId: request.versionId,
            sseCustomerKey: settings.sseCustomerKey,
            trafficLimit: settings.trafficLimit,
        };
    }
    get #whole() {
        return this.#window.first === 0 && this.#window.length === this.#info.size;
    }
    /** What every GET of a part of this object needs. */
    #partBase(signal) {
        const { client } = this.#context;
        return {
            client,
            info: this.#info,
            access: this.access,
            overrides: this.#request.responseOverrides,
            signal,
            crc: this.#context.settings.crc,
        };
    }
    /** The already-open answer, for the part it answers (the window's first); once. */
    #take(part) {
        if (part.first !== this.#window.first)
            return undefined;
        const opened = this.#opened;
        this.#opened = undefined;
        return opened;
    }
    async run() {
        try {
            return await this.#run();
        }
        finally {
            // Not taken (the part was resumed from a checkpoint, or the run failed first): let it go.
            if (this.#opened !== undefined)
                letGo(this.#opened);
            this.#opened = undefined;
        }
    }
    async #run() {
        if (!this.#context.folderReady) {
            const folder = external_node_path_.dirname(this.#request.destination);
            await (0,promises_.mkdir)(folder, { recursive: true }).catch(async (error) => {
                throw await (0,local_errors/* asLocalFileError */.kH)(error, folder);
            });
            await ensureOwnFolder(external_node_path_.dirname(this.#request.state.temp), this.#request.destination);
        }
        const only = this.#parts[0];
        if (this.#parts.length === 1 && only !== undefined && this.#window.length <= SMALL_OBJECT_BYTES) {
            this.#context.deps.progress.onStart?.(this.#info, this.#window.length, 0);
            return this.#small(only);
        }
        return this.#multipart();
    }
    #result(length, bytesDownloaded, crcCheck) {
        return {
            status: 'downloaded',
            path: this.#request.destination,
            info: this.#info,
            length,
            bytesDownloaded,
            crcCheck,
        };
    }
    async #commit(temp) {
        const mtime = new Date(this.#info.lastModified);
        await temp.commit(this.#request.destination, mtime, {
            durable: this.#context.settings.fsync,
            syncFolder: !this.#context.folderReady,
        });
    }
    /**
     * One small part: the GET holds a request slot only while the body arrives, then the bytes go to a
     * fresh temp file in one write while their CRC is computed, and are renamed into place.
     */
    async #small(part) {
        const { limit, deps } = this.#context;
        const opened = this.#take(part);
        const body = await limit(() => fetchPartBody(this.#partBase(deps.signal), part, opened)).catch((error) => {
            throw asChange(error, this.#info);
        });
        if (body.objectCrc64 !== undefined && this.#info.crc64 === undefined) {
            this.#info = { ...this.#info, crc64: body.objectCrc64 };
        }
        const temp = await TempFile.create(this.#request.state.temp, 0, this.#request.destination, {
            checkpointed: false,
        });
        try {
            const written = temp.writeAt(body.bytes, 0);
            // The CRC runs on this thread while the write runs on libuv's.
            let crc = UNCHECKED;
            if (this.#context.settings.crc)
                crc = formatCrc64(new Crc64().update(body.bytes).digest());
            await written;
            const length = part.last - part.first + 1;
            deps.progress.onBytes?.(length);
            const crcCheck = this.#checkCrc(new Map([[0, crc]]), [part]);
            await this.#commit(temp);
            return this.#result(length, length, crcCheck);
        }
        catch (error) {
            await temp.discard();
            throw error;
        }
    }
    async #multipart() {
        const { client, deps } = this.#context;
        const parts = this.#parts;
        const identity = identityOf(client.connection.bucket, this.#info, this.#window, this.#context.settings.partSize);
        const resume = await openForResume({
            key: this.#request.key,
            identity,
            window: this.#window,
            parts,
            state: this.#request.state,
            destination: this.#request.destination,
            verify: this.#context.settings.crc,
        }, deps.logger);
        const { temp, done, started } = resume;
        // The first part is (partly) on disk already: its open answer, from byte 0, is not needed.
        const unneeded = done.has(0) || started.has(0) ? this.#take(parts[0]) : undefined;
        if (unneeded !== undefined)
            letGo(unneeded);
        const inFlight = new Map();
        const checkpoint = new Checkpointer(this.#request.state.checkpoint, identity, resume, inFlight, this.#context.settings.fsync);
        let resumedBytes = 0;
        for (const index of done.keys()) {
            const part = parts[index];
            resumedBytes += part.last - part.first + 1;
        }
        for (const start of started.values())
            resumedBytes += start.bytes;
        deps.progress.onStart?.(this.#info, this.#window.length, resumedBytes);
        try {
            const missing = parts.filter((part) => !done.has(part.index));
            // A part's slot is released only once the checkpoint records it, so a crash loses at most the
            // parts in flight: at most concurrency × part-size bytes to fetch again.
            let stated = this.#info.crc64;
            await this.#fetchParts(temp, missing, { inFlight, started }, async (part, result) => {
                done.set(part.index, result.crc === undefined ? UNCHECKED : formatCrc64(result.crc));
                inFlight.delete(part.index);
                stated ??= result.objectCrc64;
                await checkpoint.flush();
            });
            if (stated === undefined &&
                this.#context.client.fixedUrl !== true &&
                missing.length === 0 &&
                done.size > 0 &&
                this.#context.settings.crc &&
                this.#whole) {
                stated = await this.#statedCrc64();
            }
            if (stated !== undefined && stated !== this.#info.crc64)
                this.#info = { ...this.#info, crc64: stated };
            const crcCheck = this.#checkCrc(done, parts);
            await this.#commit(temp);
            await checkpoint.remove();
            return this.#result(this.#window.length, this.#window.length - resumedBytes, crcCheck);
        }
        catch (error) {
            await keepOrDiscard(error, { key: this.#request.key, parts, length: this.#window.length }, resume, checkpoint, deps.logger);
            throw error;
        }
    }
    /**
     * Every part came from the checkpoint and the object is known from a listing, so no response
     * stated its CRC-64: ask for it with a HEAD, so a resumed file is checked like any other. (A link
     * learns its identity from a GET in this very run, which states the CRC if the server has one.)
     */
    async #statedCrc64() {
        const { client, deps } = this.#context;
        const head = await (0,cos_object/* headObject */.C6)(client, this.#request.key, this.access, {}, deps.signal);
        if (head.kind !== 'found')
            return undefined;
        if (head.info.etag !== this.#info.etag) {
            throw new ObjectChangedError(`'${this.#info.key}' changed since its parts were downloaded: ETag ${this.#info.etag} → ${head.info.etag}`, undefined);
        }
        return head.info.crc64;
    }
    /** Fetches parts through the request budget; the first hard failure aborts the rest. */
    async #fetchParts(temp, parts, progress, onPart) {
        const { deps, limit, partLimit } = this.#context;
        const gate = (run) => (partLimit === undefined ? run() : partLimit(run));
        const pool = new TaskPool({ signal: deps.signal, failFast: true });
        for (const part of parts) {
            await pool.add(async (signal) => {
                await gate(() => limit(async () => {
                    signal.throwIfAborted();
                    const job = {
                        ...this.#partBase(signal),
                        writer: temp,
                        base: this.#window.first,
                        onBytes: deps.progress.onBytes,
                        inFlight: progress.inFlight,
                        start: progress.started.get(part.index),
                    };
                    await onPart(part, await fetchPart(job, part, this.#take(part)));
                })).catch((error) => {
                    throw asChange(error, this.#info);
                });
            });
        }
        await pool.drain();
    }
    #checkCrc(done, parts) {
        const info = this.#info;
        if (!this.#context.settings.crc)
            return 'disabled';
        if (!this.#whole)
            return 'partial-range';
        const expected = info.crc64 === undefined ? undefined : parseCrc64(info.crc64);
        if (expected === undefined)
            return 'no-crc-header';
        let actual = 0n;
        for (const part of parts) {
            const crc = parseCrc64(done.get(part.index) ?? '');
            if (crc === undefined)
                throw new IntegrityError(`part ${part.index} of '${info.key}' has no CRC64 recorded`);
            actual = crc64Combine(actual, crc, part.last - part.first + 1);
        }
        if (actual !== expected) {
            throw new IntegrityError(`CRC64 mismatch for '${info.key}': ${this.#context.client.fixedUrl === true ? 'the server' : 'COS'} says ${info.crc64}, the downloaded bytes give ${formatCrc64(actual)}; ` +
                'nothing was written to the destination. Run again; if it persists, the object or a proxy is corrupting data.');
        }
        return 'verified';
    }
}

;// CONCATENATED MODULE: ./lib/transfer/local-match.js
// Does a local file already hold an object's bytes? Used to skip unchanged files without a GET.




/** A plain (single-PUT) ETag is the quoted hex MD5 of the body; multipart ETags carry `-N`. */
function plainMd5Etag(etag) {
    const match = /^"?([0-9a-f]{32})"?$/i.exec(etag);
    return match?.[1]?.toLowerCase();
}
/**
 * True when the file at `filePath` (of `size` bytes) has the object's content: same size, then the
 * object's CRC-64 if COS has one, else the MD5 of a plain ETag. False when neither can be compared.
 */
async function localFileMatches(filePath, size, info) {
    if (size !== info.size)
        return false;
    const expectedCrc = info.crc64 === undefined ? undefined : parseCrc64(info.crc64);
    if (expectedCrc !== undefined) {
        const crc = new Crc64();
        for await (const chunk of (0,external_node_fs_.createReadStream)(filePath, { highWaterMark: 1024 * 1024 })) {
            crc.update(chunk);
        }
        return crc.digest() === expectedCrc;
    }
    const md5 = plainMd5Etag(info.etag);
    if (md5 === undefined)
        return false;
    const hash = (0,external_node_crypto_.createHash)('md5');
    for await (const chunk of (0,external_node_fs_.createReadStream)(filePath, { highWaterMark: 1024 * 1024 })) {
        hash.update(chunk);
    }
    return hash.digest('hex') === md5;
}
/** Why the destination needs no download (it exists and `overwrite` says keep, or it matches); else undefined. */
async function skipReason(destination, settings, info, whole) {
    if (settings.overwrite === 'always' || !whole)
        return undefined;
    const existing = await (0,promises_.stat)(destination).catch(() => undefined);
    if (!existing?.isFile())
        return undefined;
    if (settings.overwrite === 'never')
        return 'the file exists and overwrite is never';
    if (await localFileMatches(destination, existing.size, info))
        return 'the local file matches the object';
    return undefined;
}
/** The result for a destination left as it is. */
function skipped(destination, info, reason) {
    return {
        status: 'skipped',
        path: destination,
        info,
        length: info.size,
        bytesDownloaded: 0,
        crcCheck: 'verified',
        reason,
    };
}

;// CONCATENATED MODULE: ./lib/transfer/mirror-decide.js
// Download or skip, for one listed object and the local file at its path: from the previous
// manifest with one stat (no request), else by comparing content (MD5 of a plain ETag, or CRC-64).







function infoFromListing(object) {
    return {
        key: object.key,
        etag: object.etag,
        size: object.size,
        lastModified: object.lastModified,
        storageClass: object.storageClass,
    };
}
function entryFor(info, file, local, written) {
    const entry = {
        key: info.key,
        etag: info.etag,
        size: info.size,
        path: file,
        'local-size': local.size,
        'local-mtime-ms': local.mtimeMs,
        'local-ino': local.ino,
        'local-ctime-ms': local.ctimeMs,
        written,
    };
    if (info.versionId !== undefined)
        entry['version-id'] = info.versionId;
    if (info.crc64 !== undefined)
        entry.crc64 = info.crc64;
    return entry;
}
/** The manifest's record still describes both the listed object and the local file as it is. */
function manifestVouches(recorded, object, local) {
    return (recorded.etag === object.etag &&
        recorded.size === object.size &&
        recorded['local-size'] === local.size &&
        recorded['local-mtime-ms'] === local.mtimeMs);
}
/**
 * The common case of a re-run, decided without a task or a promise: the manifest records the
 * object with its ETag and size, and one lstat shows the local file as the manifest left it.
 * Anything else (no record, no file, a change) is undefined: `decide` then looks closer.
 */
function unchangedInManifest(context, object, file, recorded) {
    if (recorded === undefined || context.settings.overwrite !== 'changed')
        return undefined;
    const local = (0,external_node_fs_.lstatSync)(localPath(context.root, file), { throwIfNoEntry: false });
    if (local === undefined || !local.isFile() || !manifestVouches(recorded, object, local))
        return undefined;
    return recorded;
}
/** The local file at a key's path, if any; a folder there is a conflict, a link a planted one. */
function localFileAt(object, target, file) {
    // Synchronous and without an Error for a missing file: in a fresh folder that is every key.
    let local;
    try {
        local = (0,external_node_fs_.lstatSync)(target, { throwIfNoEntry: false });
    }
    catch {
        local = undefined;
    }
    if (local === undefined || local.isFile())
        return local;
    if (local.isSymbolicLink()) {
        throw new PlantedLinkError(`'${object.key}' cannot be written: ${file} is a symlink in the destination`);
    }
    throw new PathConflict(`${file} exists here and is not a file (a folder, say)`);
}
/** Download or skip: from the manifest with a stat, else by comparing content (MD5 or CRC64). */
async function decide(context, object, file, recorded) {
    const { settings } = context;
    const target = localPath(context.root, file);
    const local = localFileAt(object, target, file);
    if (settings.overwrite === 'always' || local === undefined)
        return { action: 'download' };
    if (settings.overwrite === 'never')
        return { action: 'skip', reason: 'exists (overwrite: never)' };
    if (recorded !== undefined && manifestVouches(recorded, object, local)) {
        return { action: 'skip', reason: 'unchanged (manifest)', entry: recorded };
    }
    if (local.size !== object.size)
        return { action: 'download' };
    let info = infoFromListing(object);
    if (plainMd5Etag(object.etag) === undefined) {
        // A multipart ETag is no MD5: ask COS for the object's CRC64 to compare with.
        const access = { sseCustomerKey: settings.sseCustomerKey };
        const head = await (0,cos_object/* headObject */.C6)(context.client, object.key, access, {}, context.signal);
        if (head.kind !== 'found' || head.info.etag !== object.etag)
            return { action: 'download' };
        info = head.info;
    }
    if (!(await localFileMatches(target, local.size, info)))
        return { action: 'download' };
    // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
    if (!settings.dryRun)
        await removeCheckpoint(mirrorFileState(context.root, file).checkpoint);
    // The file was there before: it is the object's, but not one this tool wrote.
    const written = recorded?.written === true && recorded.etag === object.etag;
    return { action: 'skip', reason: 'unchanged (content)', entry: entryFor(info, file, local, written) };
}

// EXTERNAL MODULE: ./node_modules/picomatch/index.js
var picomatch = __webpack_require__(4006);
;// CONCATENATED MODULE: ./lib/transfer/mirror-scope.js
// Which listed keys a mirror takes: under the folder prefix, past the include/exclude globs, in
// this job's shard. Pure.



/** The shard (1-based) a key belongs to: a stable hash, the same on every runner and run. */
function shardOf(key, count) {
    const digest = (0,external_node_crypto_.createHash)('sha1').update(key, 'utf8').digest();
    return (digest.readUInt32BE(0) % count) + 1;
}
/** `prefix` as listed: '' for the whole bucket, else with a trailing '/' (folder semantics). */
function folderPrefix(prefix) {
    if (prefix === '' || prefix === '/')
        return '';
    return prefix.endsWith('/') ? prefix : `${prefix}/`;
}
/** The globs and shard as one predicate on a key (`relative` is the key relative to the prefix). */
function keyFilter(scope) {
    const options = { dot: true };
    const include = scope.include.length === 0 ? () => true : picomatch([...scope.include], options);
    const exclude = scope.exclude.length === 0 ? () => false : picomatch([...scope.exclude], options);
    const shard = scope.shard;
    return (relative, key) => include(relative) &&
        !exclude(relative) &&
        (shard === undefined || shardOf(key, shard.count) === shard.index);
}
/** True for the listed keys a request mirrors: under the folder prefix, past the filters, in the shard. */
function inMirrorScope(scope) {
    const prefix = folderPrefix(scope.prefix);
    const inScope = keyFilter(scope);
    return (key) => {
        const relative = relativeKey(key, prefix);
        return relative !== undefined && relative !== '' && inScope(relative, key);
    };
}

;// CONCATENATED MODULE: ./lib/transfer/mirror-run.js
// One mirror's pass over the listing: each listed key is decided in key order against the previous
// manifest's entry for it (a merge join), downloads run through a bounded pool sharing one request
// budget, and the new manifest is written in key order through a bounded reorder window.















const ARCHIVE_CLASSES = new Set(['ARCHIVE', 'DEEP_ARCHIVE']);
/** Decided entries waiting for an earlier key's download before they can be written in order. */
const REORDER_WINDOW = 4096;
/** A bounded list that keeps the first `limit` items and counts the rest. */
class Sample {
    items = [];
    count = 0;
    add(item) {
        if (this.items.length < SAMPLE_LIMIT)
            this.items.push(item);
        this.count++;
    }
}
class MirrorRun {
    client;
    request;
    settings;
    deps;
    root;
    prefix;
    inScope;
    platform;
    /** The previous manifest, read in step with the listing. */
    previous;
    conflicts;
    files = new Sample();
    refused = new Sample();
    archived = new Sample();
    largest = [];
    /** Entries of the previous manifest whose keys the listing no longer holds (in key order). */
    stale;
    staleInMemory = [];
    staleCount = 0;
    /** The new manifest's entries for the listed keys (and keys a failure left untouched). */
    writer;
    #pool;
    #limit;
    /** Large objects' parts, within #limit. */
    #partLimit;
    #decide;
    #safeFolders;
    /** Folders that got a file: each is fsynced once at the end, so the renames in it are durable. */
    written = new Set();
    #window = [];
    #windowOpen;
    listingError;
    /** The first download that failed, and how many did. */
    failure;
    failures = 0;
    listRequests = 0;
    /** Objects under the prefix (before filters): 0 means the prefix lists nothing. */
    listed = 0;
    downloaded = 0;
    skipped = 0;
    bytesDownloaded = 0;
    bytesPlanned = 0;
    constructor(client, request, settings, deps, root, previous) {
        this.client = client;
        this.request = request;
        this.settings = settings;
        this.deps = deps;
        this.root = root;
        this.prefix = folderPrefix(request.prefix);
        this.inScope = keyFilter(request);
        this.platform = request.platform ?? process.platform;
        this.previous = previous;
        this.conflicts = new PathConflicts(this.platform);
        this.#pool = new TaskPool({ signal: deps.signal, maxActive: settings.concurrency * 4, failFast: false });
        this.#limit = (0,p_limit/* default */.A)(settings.concurrency);
        this.#partLimit = (0,p_limit/* default */.A)(settings.partConcurrency);
        this.#decide = { client, settings, root, signal: this.#pool.signal };
        this.#safeFolders = new Set([root]);
    }
    get logger() {
        return this.deps.logger;
    }
    get aborted() {
        return this.#pool.signal.aborted;
    }
    /** The pass ended with every object mirrored: the listing whole, no download failed, not cancelled. */
    get complete() {
        return this.listingError === undefined && this.failures === 0 && !this.aborted;
    }
    /** The entry the previous manifest has for a key, if it names the path the key maps to (else it is not ours). */
    trusted(entry) {
        if (entry === undefined)
            return undefined;
        const relative = relativeKey(entry.key, this.prefix);
        const mapping = relative === undefined ? undefined : mapKey(relative, this.platform);
        return mapping?.kind === 'file' && mapping.relative === entry.path ? entry : undefined;
    }
    /** Walks the listing, deciding each key in order; object tasks in flight are bounded. */
    async list(listing) {
        if (!this.settings.dryRun) {
            await ensureOwnFolder(external_node_path_.dirname(mirrorFileState(this.root, '').temp));
            // What a killed run left of its manifests (or links planted there) goes first; rm follows no link.
            for (const file of [nextManifestPath(this.root), staleManifestPath(this.root)]) {
                await (0,promises_.rm)(file, { force: true });
                await (0,promises_.rm)(`${file}.tmp`, { force: true });
            }
            await (0,promises_.rm)(`${manifestPath(this.root)}.tmp`, { force: true });
            const scope = { bucket: this.client.connection.bucket, prefix: this.prefix };
            this.writer = await ManifestWriter.create(nextManifestPath(this.root), scope);
            this.stale = await ManifestWriter.create(staleManifestPath(this.root), scope);
        }
        try {
            const pages = listing ??
                listPages(this.client, {
                    prefix: this.prefix,
                    maxKeys: this.request.listPageSize ?? 1000,
                    signal: this.#pool.signal,
                });
            for await (const page of pages) {
                this.listRequests++;
                for (const object of page.objects) {
                    if (this.aborted)
                        break;
                    await this.#consider(object);
                    await this.#room();
                }
                if (this.aborted)
                    break;
            }
        }
        catch (error) {
            this.listingError = error;
        }
        try {
            await this.#pool.drain();
        }
        catch (error) {
            // A task's own failure is recorded by the task; this is one that escaped it.
            this.failures++;
            this.failure ??= { key: '', error };
        }
        this.#flushWindow();
    }
    /** Waits while the reorder window is full (an earlier key's download holds it) or the manifest lags. */
    async #room() {
        while (this.#window.length >= REORDER_WINDOW && !this.aborted) {
            await new Promise((resolve) => {
                this.#windowOpen = resolve;
            });
        }
        await this.writer?.drain();
        await this.stale?.drain();
    }
    #slot(entry) {
        const slot = { entry, done: entry !== undefined };
        this.#window.push(slot);
        if (slot.done)
            this.#flushWindow();
        return slot;
    }
    #resolve(slot, entry) {
        slot.entry = entry;
        slot.done = true;
        this.#flushWindow();
    }
    #flushWindow() {
        while (this.#window.length > 0 && this.#window[0].done) {
            const slot = this.#window.shift();
            if (slot.entry !== undefined)
                this.writer?.write(slot.entry);
        }
        const open = this.#windowOpen;
        this.#windowOpen = undefined;
        open?.();
    }
    /** An entry of the previous manifest whose key the listing no longer holds. */
    passed(entry) {
        const mine = this.trusted(entry);
        if (mine === undefined)
            return;
        this.staleCount++;
        if (this.stale !== undefined)
            this.stale.write(mine);
        else
            this.staleInMemory.push(mine);
    }
    #refuse(key, reason) {
        this.refused.add({ key, reason });
        this.logger.warning(`Skipping ${(0,base_text/* quoteValue */.cl)(key)}: ${reason}; it cannot be written safely under the destination`);
    }
    record(file) {
        this.files.add(file);
        if (file.action !== 'download')
            return;
        this.bytesPlanned += file.size;
        if (this.largest.length < 10 || file.size > this.largest.at(-1).size) {
            this.largest.push(file);
            this.largest.sort((a, b) => b.size - a.size);
            this.largest.length = Math.min(this.largest.length, 10);
        }
    }
    /** Decides one listed object: out of scope, refused, a folder, archived, unchanged, or a download task. */
    async #consider(object) {
        const earlier = this.trusted(await this.previous.upTo(object.key, (entry) => this.passed(entry)));
        const relative = relativeKey(object.key, this.prefix);
        if (relative === undefined || relative === '')
            return;
        this.listed++;
        if (!this.inScope(relative, object.key)) {
            // Not this run's to judge: what the previous run recorded stays.
            if (earlier !== undefined)
                this.#slot(earlier);
            return;
        }
        const mapping = mapKey(relative, this.platform);
        const conflict = mapping.kind === 'refused'
            ? mapping.reason
            : this.conflicts.claim(mapping.relative, object.key, mapping.kind);
        if (mapping.kind === 'refused' || conflict !== undefined) {
            this.#refuse(object.key, conflict ?? 'it cannot be a local path');
            if (earlier !== undefined)
                this.#slot(earlier);
            return;
        }
        if (mapping.kind === 'folder') {
            if (!this.settings.dryRun)
                await this.#start(object, this.#slot(), () => this.#makeFolder(mapping.relative));
            return;
        }
        const file = mapping.relative;
        if (ARCHIVE_CLASSES.has(object.storageClass)) {
            this.archived.add(object.key);
            if (earlier !== undefined)
                this.#slot(earlier);
            return;
        }
        const unchanged = unchangedInManifest(this.#decide, object, file, earlier);
        if (unchanged !== undefined) {
            this.skipped++;
            this.record({
                key: object.key,
                path: file,
                size: object.size,
                action: 'skip',
                reason: 'unchanged (manifest)',
            });
            this.#slot(unchanged);
            return;
        }
        const slot = this.#slot();
        await this.#start(object, slot, async () => this.#resolve(slot, await this.#mirrorFile(object, file, earlier)), earlier);
    }
    /**
     * Runs one object's task once the pool has room (so the listing waits while it is full); a failure
     * keeps what the previous run recorded (the file is untouched).
     */
    async #start(object, slot, work, earlier) {
        await this.#pool.add(async () => {
            try {
                await work();
                if (!slot.done)
                    this.#resolve(slot, undefined);
            }
            catch (error) {
                this.#resolve(slot, earlier);
                if (error instanceof PathConflict || error.code === 'ENAMETOOLONG') {
                    this.#refuse(object.key, error instanceof PathConflict ? error.message : 'its path is too long for this file system');
                    return;
                }
                this.failures++;
                this.failure ??= { key: object.key, error };
                if (!this.aborted)
                    this.logger.warning(`${(0,base_text/* quoteValue */.cl)(object.key)} failed: ${(0,error_message/* errorMessage */.g)(error)}`);
            }
        });
    }
    async #makeFolder(relative) {
        await ensureFolder(this.root, localPath(this.root, relative), this.#safeFolders);
    }
    /** Decides and, if need be, downloads one file; returns its manifest entry (undefined: none). */
    async #mirrorFile(object, file, earlier) {
        const decision = await decide(this.#decide, object, file, earlier);
        if (decision.action === 'skip') {
            this.skipped++;
            this.record({
                key: object.key,
                path: file,
                size: object.size,
                action: 'skip',
                reason: decision.reason,
            });
            return decision.entry;
        }
        this.downloaded++;
        this.record({ key: object.key, path: file, size: object.size, action: 'download' });
        if (this.settings.dryRun)
            return earlier;
        const target = localPath(this.root, file);
        await ensureFolder(this.root, external_node_path_.dirname(target), this.#safeFolders);
        const context = {
            client: this.client,
            settings: this.settings,
            deps: { ...this.deps, signal: this.#pool.signal },
            limit: this.#limit,
            partLimit: this.#partLimit,
            folderReady: true,
        };
        const request = {
            key: object.key,
            responseOverrides: {},
            pinned: false,
            destination: target,
            state: mirrorFileState(this.root, file),
        };
        const result = await fetchObject(context, request, infoFromListing(object), {
            first: 0,
            length: object.size,
        });
        this.written.add(external_node_path_.dirname(target));
        this.bytesDownloaded += result.bytesDownloaded;
        return entryFor(result.info, file, await (0,promises_.lstat)(target), true);
    }
}

;// CONCATENATED MODULE: ./lib/transfer/mirror.js
// A prefix mirrored into a folder: the folder locked, then one pass over the listing (a merge join
// with the previous manifest, both in key order) that decides and downloads as pages arrive, then
// the end of the pass (mirror-finish.ts): `delete`, the new manifest, what was kept. Memory does not
// grow with the number of keys: results keep counters and bounded samples.










async function mirrorPrefix(client, request, settings, deps, source = {}) {
    const started = deps.clock.now();
    if (!settings.dryRun)
        await (0,promises_.mkdir)(request.destination, { recursive: true });
    const root = await (0,promises_.realpath)(request.destination).catch(() => request.destination);
    const temps = external_node_path_.dirname(mirrorFileState(root, '').temp);
    let lock = source.lock;
    if (!settings.dryRun && lock === undefined) {
        await ensureOwnFolder(stateFolderOf(root));
        lock = await acquireLock(mirrorLockPath(root), {
            what: `the folder '${root}'`,
            waitMs: deps.lockWaitMs,
            clock: deps.clock,
            logger: deps.logger,
            signal: deps.signal,
        });
    }
    const previous = await ManifestReader.open(root, {
        bucket: client.connection.bucket,
        prefix: folderPrefix(request.prefix),
    });
    try {
        // A run that loses its lock to another (which took it over) stops at once.
        const run = new MirrorRun(client, request, settings, lock ? withSignal(deps, lock.lost) : deps, root, previous);
        await run.list(source.listing);
        return await finishMirror(run, deps.clock.now() - started);
    }
    finally {
        await previous.close();
        if (source.lock === undefined) {
            await lock?.release();
            if (!settings.dryRun) {
                await removeIfEmpty(temps);
                await removeIfEmpty(stateFolderOf(root));
            }
        }
    }
}

;// CONCATENATED MODULE: ./lib/cache/keys.js
// Cache keys for a mirror: a stable name for the prefix, and a fingerprint of what the listing holds,
// so an unchanged prefix finds its exact entry and a changed one the newest entry of the same prefix.


/** The Actions cache refuses longer keys. */
const MAX_CACHE_KEY_LENGTH = 512;
const FINGERPRINT_FORMAT = 'cos-download-fingerprint/1';
function cacheKeys(input) {
    const prefixHash = sha256(input.prefix).slice(0, 16);
    const restorePrefix = `cos-download-${input.bucket}-${prefixHash}-${input.cacheKey === undefined ? '' : `${input.cacheKey}-`}`;
    const exact = `${restorePrefix}${input.fingerprint}`;
    if (exact.length > MAX_CACHE_KEY_LENGTH) {
        throw new errors/* InputError */.dz({
            input: 'cache-key',
            value: input.cacheKey ?? '',
            rule: `makes the cache key ${exact.length} characters long; the Actions cache takes at most ${MAX_CACHE_KEY_LENGTH}`,
            fix: 'use a shorter cache-key',
        });
    }
    return { exact, restorePrefix };
}
/**
 * A hash of everything the mirrored files depend on: each key with its ETag, size and storage class,
 * and the filters and shard that chose them, taken as the listing goes by (COS lists in key order,
 * so it is stable), without holding the listing.
 */
class Fingerprint {
    #hash = (0,external_node_crypto_.createHash)('sha256');
    constructor(prefix, scope) {
        const { include, exclude, shard } = scope;
        this.#hash.update(`${JSON.stringify([FINGERPRINT_FORMAT, prefix, include, exclude, shard ?? null])}\n`);
    }
    /** One listed object the mirror takes (in scope). */
    add(object) {
        this.#hash.update(`${JSON.stringify([object.key, object.etag, object.size, object.storageClass])}\n`);
    }
    digest() {
        return this.#hash.digest('hex').slice(0, 40);
    }
}
function sha256(text) {
    return (0,external_node_crypto_.createHash)('sha256').update(text, 'utf8').digest('hex');
}

// EXTERNAL MODULE: external "node:readline"
var external_node_readline_ = __webpack_require__(481);
;// CONCATENATED MODULE: ./lib/cache/listing-spill.js
// The listing of a prefix kept in a file while the cache restores and the mirror replays it: the
// cache key needs the whole listing before anything is downloaded, and a million keys are not held
// in memory. One page per line, as JSON.




class ListingSpill {
    #folder;
    #file;
    #handle;
    constructor(folder, handle) {
        this.#folder = folder;
        this.#file = external_node_path_.join(folder, 'listing.jsonl');
        this.#handle = handle;
    }
    /** A spill in `folder` (a fresh temp folder of its own, removed by `remove`). */
    static async create(folder) {
        return new ListingSpill(folder, await (0,promises_.open)(external_node_path_.join(folder, 'listing.jsonl'), 'wx', 0o600));
    }
    async add(page) {
        await this.#handle?.write(`${JSON.stringify(page)}\n`);
    }
    /** The pages, in order, as often as asked. */
    async *pages() {
        await this.#handle?.close();
        this.#handle = undefined;
        const lines = (0,external_node_readline_.createInterface)({
            input: (0,external_node_fs_.createReadStream)(this.#file, 'utf8'),
            crlfDelay: Number.POSITIVE_INFINITY,
        });
        for await (const line of lines)
            if (line !== '')
                yield JSON.parse(line);
    }
    /** Every listed key, in order. */
    async *keys() {
        for await (const page of this.pages())
            for (const object of page.objects)
                yield object.key;
    }
    async remove() {
        await this.#handle?.close().catch(() => { });
        await (0,promises_.rm)(this.#folder, { recursive: true, force: true });
    }
}

;// CONCATENATED MODULE: ./lib/cache/mirror-cache.js
// A mirror kept in the Actions cache: list the prefix, restore the entry whose fingerprint matches
// (or the newest of the same prefix), let skip-unchanged fetch only what changed, then save.
// The cache only ever saves work: any failure of it is a warning, and the mirror goes on from COS.
// The listing is fingerprinted as it goes by and kept in a file while the mirror replays it, so
// memory does not grow with the number of keys.
















async function cachedMirror(client, request, settings, store, deps) {
    const { logger } = deps;
    const prefix = folderPrefix(request.prefix);
    const spill = await ListingSpill.create(await (0,promises_.mkdtemp)(external_node_path_.join((0,external_node_os_.tmpdir)(), 'cos-download-listing-')));
    try {
        const fingerprint = await listAll(client, prefix, request, spill, deps.signal);
        const keys = cacheKeys({
            bucket: client.connection.bucket,
            prefix,
            cacheKey: request.cacheKey,
            fingerprint,
        });
        if (settings.dryRun) {
            logger.info('Dry run: the Actions cache is neither restored nor saved');
            const mirror = await mirrorPrefix(client, request, settings, deps, { listing: spill.pages() });
            return { mirror, cache: { hit: 'false', key: keys.exact, saved: false } };
        }
        // The restore writes into the destination: it runs under the mirror's lock, like the mirror.
        await (0,promises_.mkdir)(request.destination, { recursive: true });
        await ensureOwnFolder(stateFolderOf(request.destination));
        const lock = await acquireLock(mirrorLockPath(request.destination), {
            what: `the folder '${request.destination}'`,
            waitMs: deps.lockWaitMs,
            clock: deps.clock,
            logger,
            signal: deps.signal,
        });
        try {
            return await restoreMirrorSave({ client, request, settings, store, deps, lock, keys, spill, prefix });
        }
        finally {
            await lock.release();
        }
    }
    finally {
        await spill.remove();
    }
}
async function restoreMirrorSave(run) {
    const { client, request, settings, store, deps, keys, spill, prefix } = run;
    const { logger } = deps;
    const paths = [request.destination];
    const scope = { bucket: client.connection.bucket, prefix };
    const local = await localFiles(request.destination, scope);
    // The cache holds a mirror, not the user's files: a restore over files this tool did not write
    // would overwrite them, and a save would carry them into the cache.
    if (local.foreign.length > 0) {
        logger.warning(`The Actions cache is neither restored nor saved: the destination holds ${local.foreignCount} file(s) cos-download did not write ` +
            `(${local.foreign.map(base_text/* quoteValue */.cl).join(', ')}${local.foreignCount > local.foreign.length ? ', …' : ''}); give cache: true a folder of its own`);
        const mirror = await mirrorPrefix(client, request, settings, deps, {
            listing: spill.pages(),
            lock: run.lock,
        });
        return { mirror, cache: { hit: 'false', key: keys.exact, saved: false } };
    }
    let restoredKey;
    try {
        restoredKey = await store.restore(paths, keys.exact, [keys.restorePrefix]);
    }
    catch (error) {
        logger.warning(`The Actions cache could not be restored (${(0,error_message/* errorMessage */.g)(error)}); downloading from COS`);
    }
    const hit = restoredKey === undefined ? 'false' : restoredKey === keys.exact ? 'true' : 'partial';
    if (restoredKey !== undefined) {
        // The archive holds the saving run's lock: this run's goes back in place.
        await run.lock.reclaim();
        await adoptRestored(request.destination, scope);
    }
    if (hit === 'true')
        logger.info(`Actions cache hit: ${keys.exact}`);
    else if (hit === 'partial') {
        logger.info(`Actions cache partial hit: ${restoredKey}; downloading what changed since`);
        await pruneRestored(request.destination, scope, spill, inMirrorScope(request), local.files);
    }
    else
        logger.info(`Actions cache miss: ${keys.exact}`);
    const mirror = await mirrorPrefix(client, request, settings, deps, {
        listing: spill.pages(),
        lock: run.lock,
    });
    let saved = false;
    if (hit !== 'true') {
        try {
            saved = await store.save(paths, keys.exact);
            if (saved)
                logger.info(`Saved the mirror to the Actions cache: ${keys.exact}`);
            else
                logger.warning(`The mirror was not saved to the Actions cache under ${keys.exact}`);
        }
        catch (error) {
            logger.warning(`The mirror could not be saved to the Actions cache: ${(0,error_message/* errorMessage */.g)(error)}`);
        }
    }
    return {
        mirror,
        cache: { hit, key: keys.exact, restoredKey, saved },
    };
}
/** The whole listing, before anything is downloaded (the cache key depends on all of it): kept in `spill`. */
async function listAll(client, prefix, request, spill, signal) {
    const inScope = inMirrorScope(request);
    const fingerprint = new Fingerprint(prefix, request);
    try {
        for await (const page of listPages(client, { prefix, maxKeys: request.listPageSize ?? 1000, signal })) {
            for (const object of page.objects)
                if (inScope(object.key))
                    fingerprint.add(object);
            await spill.add(page);
        }
    }
    catch (error) {
        throw new Error(`Listing '${prefix}' failed: ${(0,error_message/* errorMessage */.g)(error)}`, { cause: error });
    }
    return fingerprint.digest();
}
/** How many the sample of foreign files shows. */
const SHOWN = 3;
/**
 * The files in the destination before the restore, and those of them the mirror's manifest does not
 * vouch for as written by this tool and untouched since (a walk and the manifest, both in key order).
 */
async function localFiles(destination, scope) {
    const files = new Set();
    const foreign = [];
    let foreignCount = 0;
    const reader = await ManifestReader.open(destination, scope);
    try {
        const entries = reader.rest();
        let next = await entries.next();
        for await (const file of filesInKeyOrder(destination)) {
            files.add(file);
            while (!next.done && compareUtf8(next.value.path, file) < 0)
                next = await entries.next();
            const entry = !next.done && next.value.path === file ? next.value : undefined;
            const stats = entry?.written ? await reachableFile(destination, file) : undefined;
            if (entry !== undefined &&
                stats !== undefined &&
                stillAsRecorded(entry, stats) &&
                sameInode(entry, stats))
                continue;
            foreignCount++;
            if (foreign.length < SHOWN)
                foreign.push(file);
        }
    }
    finally {
        await reader.close();
    }
    return { files, foreign, foreignCount };
}
/**
 * The restored manifest recorded each file as it was on the machine that saved it. The restore
 * (this tool, through the cache) wrote those files here: each written entry whose file arrived as
 * recorded (size and mtime, through no link) takes the identity it has now, so skip-unchanged and
 * `delete` treat it as this run's own.
 */
async function adoptRestored(destination, scope) {
    await rewriteManifest(destination, scope, async (entry) => {
        const local = entry.written ? await reachableFile(destination, entry.path) : undefined;
        return local !== undefined && stillAsRecorded(entry, local) ? withLocalIdentity(entry, local) : entry;
    });
}
/**
 * An older entry may hold files whose keys are gone from the listing (or left out by its filters). Those the restore brought
 * (not there before it), recorded as written and arrived as recorded, are removed, so the
 * destination holds what the prefix holds now and the next save does not carry them on. Nothing
 * is reached through a link, nothing outside the destination is touched.
 */
async function pruneRestored(destination, scope, spill, inScope, before) {
    // The keys this mirror takes: a restored file of a key the filters now leave out goes too.
    const listed = (async function* () {
        for await (const key of spill.keys())
            if (inScope(key))
                yield key;
    })();
    let key = await listed.next();
    const reader = await ManifestReader.open(destination, scope);
    try {
        for await (const entry of reader.rest()) {
            while (!key.done && compareUtf8(key.value, entry.key) < 0)
                key = await listed.next();
            if ((!key.done && key.value === entry.key) || before.has(entry.path) || !entry.written)
                continue;
            await removeRestored(destination, entry);
        }
    }
    finally {
        await reader.close();
        await listed.return(undefined);
    }
}
async function removeRestored(destination, entry) {
    const local = await reachableFile(destination, entry.path);
    if (local === undefined || !stillAsRecorded(entry, local) || !sameInode(entry, local))
        return;
    const target = pathInside(destination, entry.path);
    if (target !== undefined)
        await (0,promises_.rm)(target, { force: true });
}

// EXTERNAL MODULE: ./lib/config/endpoint.js
var endpoint = __webpack_require__(7049);
// EXTERNAL MODULE: ./lib/cos/dispatcher.js
var dispatcher = __webpack_require__(2026);
// EXTERNAL MODULE: ./lib/cos/presign.js
var presign = __webpack_require__(3435);
// EXTERNAL MODULE: ./lib/cos/redact.js
var redact = __webpack_require__(4826);
// EXTERNAL MODULE: ./lib/cos/retry.js
var retry = __webpack_require__(9929);
;// CONCATENATED MODULE: ./lib/cos/link.js







/** The link as it may be shown: scheme, host and path, never its query (the signature) or credentials. */
function linkName(url) {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
/** The link stopped being accepted: its window closed, or the temporary credentials it was signed with expired. */
class LinkExpiredError extends cos_errors/* CosError */.Y6 {
    /** The end of the link's window, when it is a COS link. */
    expiredAt;
    constructor(details, name, window, tokenExpired) {
        super(details, `GET ${name}`);
        this.expiredAt = tokenExpired ? undefined : window?.end;
        const span = window === undefined
            ? ''
            : ` (valid from ${window.start.toISOString()}${tokenExpired ? ` to ${window.end.toISOString()}` : ''})`;
        this.message = tokenExpired
            ? `The link to ${name} stopped working: the temporary credentials it was signed with expired${span}; make a new one`
            : window === undefined
                ? `The link to ${name} has expired (the server says: ${details.message}); make a new one`
                : `The link to ${name} expired at ${window.end.toISOString()}${span}; make a new one`;
    }
}
/** What to do about a refused link; appended to the message. */
function linkHint(details, window) {
    switch (details.code) {
        case 'SignatureDoesNotMatch':
            return ("The link's signature does not match: the link was changed or cut short on the way (copy it whole, " +
                'every parameter included), or the key that signed it was disabled');
        case 'RequestTimeTooSkewed':
            return window === undefined
                ? "The server finds the link's time window far from its clock: check this machine's clock, or make a new link"
                : `The link is valid from ${window.start.toISOString()} to ${window.end.toISOString()}, far from the server's clock: make a new link`;
        case 'InvalidAccessKeyId':
            return 'The key that signed the link is unknown to the server (deleted, or another account): make a new link';
        case 'AccessDenied':
            return 'The link does not grant reading this object (or it was made for another one): make a new link';
        case 'InvalidToken':
            return 'The session token in the link is missing or wrong: copy the link whole, or make a new one';
        default:
            return undefined;
    }
}
/** A fixed URL to GET an object's bytes from, with the retries of the COS client. */
class LinkClient {
    /** Requests add headers only: no query parameter, no HEAD, no signature (see transfer/source.ts). */
    fixedUrl = true;
    /** Names the object's store in a checkpoint: the link's origin, so a fresh link to the same object resumes. */
    connection;
    /** The link as messages, progress, checkpoints and manifests show it: origin and path. */
    name;
    /** The link's time window, when it is a COS link. */
    window;
    #origin;
    #path;
    #secrets;
    #agent;
    #proxy;
    #retries;
    #timeoutMs;
    #clock;
    #logger;
    #random;
    #retryBaseMs;
    #retryCapMs;
    constructor(link, deps = {}) {
        const url = new URL(link.url);
        if (url.username !== '' || url.password !== '') {
            throw new TypeError('LinkClient: a link must not carry user:password@ (the input parser refuses it)');
        }
        this.name = linkName(url);
        this.connection = { bucket: url.origin };
        this.window = (0,presign/* linkWindow */.FY)(link.url);
        this.#origin = url.origin;
        this.#path = `${url.pathname}${url.search}`;
        // A server may echo the request line: the query goes whole, besides each secret in it.
        this.#secrets = [...(0,redact/* linkSecrets */.a9)(link.url), url.search, url.search.slice(1)];
        this.#retries = link.retries;
        this.#timeoutMs = link.timeoutMs;
        this.#clock = deps.clock ?? runtime/* systemClock */.ml;
        this.#logger = deps.logger ?? runtime/* silentLogger */.qq;
        this.#random = deps.random ?? Math.random;
        this.#retryBaseMs = deps.retryBaseMs ?? 250;
        this.#retryCapMs = deps.retryCapMs ?? 20_000;
        const route = (0,dispatcher/* createDispatcher */.SM)(this.#origin, {
            connections: deps.connections ?? 16,
            timeoutMs: link.timeoutMs,
            ...deps.transport,
        });
        this.#agent = route.dispatcher;
        this.#proxy = route.proxy;
    }
    get logger() {
        return this.#logger;
    }
    /** One GET of the link whose 2xx answer goes to `sink` (cos/client.ts `getBody`). */
    async getBody(request, sink) {
        await (0,cos_client/* toSink */.tp)(await this.send(request), sink);
    }
    /**
     * One GET of the link with `request.headers` added. `request.key` must be `name` (the engine
     * addresses the object by it); a query or any method but GET is a programming error.
     */
    async send(request) {
        if (request.method !== 'GET') {
            throw new TypeError(`LinkClient: a link signs its method, GET; it cannot be sent as ${request.method}`);
        }
        if (request.query !== undefined && Object.keys(request.query).length > 0) {
            throw new TypeError('LinkClient: a link is sent as it is; its query is signed, so none can be added');
        }
        if (request.key !== this.name)
            throw new TypeError(`LinkClient: this client fetches ${this.name} only`);
        const context = `GET ${this.name}`;
        const response = await this.#agent
            .request({
            origin: this.#origin,
            path: this.#path,
            method: 'GET',
            headers: { ...request.headers },
            signal: request.signal ?? null,
            ...(request.highWaterMark === undefined ? {} : { highWaterMark: request.highWaterMark }),
        })
            .catch((error) => {
            throw (cos_errors/* TlsError */.WM.from(error, this.#origin, context) ?? dispatcher/* ProxyError */.T6.from(error, this.#proxy, context) ?? error);
        });
        const status = response.statusCode;
        if ((status >= 200 && status < 300) || request.accept?.includes(status)) {
            return { status, headers: response.headers, body: response.body };
        }
        const text = await (0,cos_client/* readCapped */.EF)(response.body, 64 * 1024);
        const refused = dispatcher/* ProxyError */.T6.refused(status, this.#proxy, context);
        if (refused !== undefined)
            throw refused;
        // The error text is the server's: it may echo the link, so its signature and token are cut out.
        const details = (0,cos_client/* redactDetails */.Gx)((0,cos_errors/* parseErrorBody */.kW)(status, text, response.headers), [
            ...this.#secrets,
            request.headers?.['x-cos-server-side-encryption-customer-key'],
            request.headers?.['x-cos-server-side-encryption-customer-key-MD5'],
        ]);
        if (status >= 300 && status < 400) {
            let location;
            try {
                location = details.location === undefined ? undefined : new URL(details.location, this.#origin).href;
            }
            catch {
                location = undefined;
            }
            // The target may be another signed URL: only its origin and path are kept, even in the error's fields.
            const shown = (0,cos_errors/* safeLocation */.p9)(location);
            throw new cos_errors/* CosError */.Y6({
                ...details,
                location: location === undefined ? undefined : shown,
                code: 'Redirect',
                message: `the server redirected to ${shown}`,
            }, context, 'Redirects are not followed: a link is fetched only from where it points, so no redirect can lead it, ' +
                'or its signature, elsewhere. Fix: download from that server directly if you trust it');
        }
        if (status === 403 && /request has expired/i.test(details.message)) {
            throw new LinkExpiredError(details, this.name, this.window, false);
        }
        if (details.code === 'ExpiredToken')
            throw new LinkExpiredError(details, this.name, this.window, true);
        throw new cos_errors/* CosError */.Y6(details, context, linkHint(details, this.window));
    }
    /** The COS client's retries (ADR 0003), without its clock correction: a link's window is fixed. */
    async retrying(what, signal, attempt) {
        return (0,retry/* retryTransient */.j)({
            attempts: this.#retries + 1,
            clock: this.#clock,
            logger: this.#logger,
            random: this.#random,
            baseMs: this.#retryBaseMs,
            capMs: this.#retryCapMs,
            timeoutMs: this.#timeoutMs,
        }, what, signal, attempt);
    }
    async close() {
        await this.#agent.close();
    }
}

;// CONCATENATED MODULE: ./lib/transfer/fetch-stream.js







/** What a later GET of the whole object sends: pinned to the ETag, else to Last-Modified, else unpinned. */
function wholeHeaders(context, info) {
    const { settings } = context;
    const pin = info.etag !== ''
        ? { ifMatch: info.etag }
        : info.lastModified !== '' && !Number.isNaN(Date.parse(info.lastModified))
            ? { ifUnmodifiedSince: new Date(info.lastModified) }
            : {};
    return { ...(0,cos_object/* conditionHeaders */.CO)(pin), ...(0,cos_object/* accessHeaders */.Hi)(settings) };
}
/** A whole-object answer: 200, or a 206 that covers every byte; the known length; the same ETag and CRC. */
function checkWhole(response, info) {
    const what = `GET '${info.key}'`;
    const range = (0,cos_client/* header */.wx)(response, 'content-range');
    const whole = response.status === 200 ||
        (response.status === 206 && range === `bytes 0-${info.size - 1}/${info.size}`) ||
        (response.status === 206 && info.size === 0);
    if (!whole) {
        throw new cos_errors/* ProtocolError */.bd(`${what} answered ${response.status}${range === undefined ? '' : ` (Content-Range '${range.slice(0, 80)}')`}, not the whole object`, { transient: false });
    }
    const length = (0,cos_client/* header */.wx)(response, 'content-length');
    if (length !== undefined && length !== String(info.size)) {
        throw new cos_errors/* ProtocolError */.bd(`${what} answered Content-Length ${length.slice(0, 20)}, expected ${info.size}`, {
            transient: false,
        });
    }
    const etag = (0,cos_client/* header */.wx)(response, 'etag') ?? '';
    const crc64 = (0,cos_client/* header */.wx)(response, 'x-cos-hash-crc64ecma');
    if (etag !== info.etag || (crc64 !== undefined && info.crc64 !== undefined && crc64 !== info.crc64)) {
        throw new ObjectChangedError(`'${info.key}' changed between two GETs (its ETag or CRC64 differs)`, undefined);
    }
}
/**
 * Downloads the whole object `info` as one stream into `request.destination`. `opened` is a
 * whole-object answer already received (it is consumed or destroyed); without it, or after it drops,
 * the object is asked for again.
 */
async function fetchStream(context, request, info, opened) {
    const { client, deps, limit, settings } = context;
    let first = opened;
    let temp;
    try {
        deps.progress.onStart?.(info, info.size, 0);
        temp = await TempFile.create(request.state.temp, info.size, request.destination);
        const file = temp;
        const headers = wholeHeaders(context, info);
        let reported = 0;
        const what = `GET '${info.key}'`;
        const crc = await limit(() => client.retrying(what, deps.signal, async () => {
            deps.signal.throwIfAborted();
            const digest = settings.crc ? new Crc64() : undefined;
            let written = 0;
            const sink = {
                onHead: (answer) => checkWhole(answer, info),
                onBody: (chunk) => {
                    if (written + chunk.length > info.size) {
                        throw new cos_errors/* ProtocolError */.bd(`${what} sent more than the object's ${info.size} bytes`, {
                            transient: false,
                        });
                    }
                    file.writeAtSync(chunk, written);
                    digest?.update(chunk);
                    written += chunk.length;
                    // A retry starts over: only bytes past the furthest point reached count as progress.
                    if (written > reported) {
                        deps.progress.onBytes?.(written - reported);
                        reported = written;
                    }
                },
            };
            const answer = first;
            first = undefined;
            const received = answer === undefined
                ? client.getBody({ method: 'GET', key: info.key, headers, signal: deps.signal }, sink)
                : (0,cos_client/* toSink */.tp)(answer, sink);
            await received.catch(async (error) => {
                throw (0,cos_object/* namingRequest */.oE)(await LocalWriteFailure.explained(error), what);
            });
            if (written < info.size) {
                throw new cos_errors/* ProtocolError */.bd(`${what} body ended at byte ${written} of ${info.size}: the connection dropped`, { transient: true });
            }
            return digest?.digest();
        }));
        const crcCheck = fetch_stream_checkCrc(settings.crc, info, crc);
        await file.commit(request.destination, new Date(info.lastModified), {
            durable: settings.fsync,
            syncFolder: !context.folderReady,
        });
        temp = undefined;
        return {
            status: 'downloaded',
            path: request.destination,
            info,
            length: info.size,
            bytesDownloaded: info.size,
            crcCheck,
        };
    }
    finally {
        if (first !== undefined)
            letGo(first);
        await temp?.discard();
    }
}
function fetch_stream_checkCrc(enabled, info, actual) {
    if (!enabled || actual === undefined)
        return 'disabled';
    const expected = info.crc64 === undefined ? undefined : parseCrc64(info.crc64);
    if (expected === undefined)
        return 'no-crc-header';
    if (actual !== expected) {
        throw new IntegrityError(`CRC64 mismatch for '${info.key}': the server says ${info.crc64}, the downloaded bytes give ${formatCrc64(actual)}; ` +
            'nothing was written to the destination. Run again; if it persists, the object or a proxy is corrupting data.');
    }
    return 'verified';
}

;// CONCATENATED MODULE: ./lib/transfer/download-link.js
// One object from a link (a presigned URL, or any ranged-HTTPS URL) to one file, with the engine a
// key uses. A link cannot HEAD (it signs its method), so the first request is the first part's
// ranged GET: its headers teach the object's identity (size from Content-Range, ETag, Last-Modified,
// CRC-64, version, storage class) and its body becomes part 0, so a small object costs one request.
// Later parts are pinned with If-Match; a server that ignores ranges, or sends no (strong) ETag, is
// read as one stream, without parts or a checkpoint. See docs/adr/0011-links.md.










/** A strong ETag: what If-Match compares byte ranges with (a weak one, `W/"…"`, never matches a range). */
function isStrongEtag(etag) {
    return etag !== '' && !etag.startsWith('W/');
}
const download_link_CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;
const EMPTY_RANGE = /^bytes \*\/0$/;
function infoFrom(name, response, size) {
    const crc64 = (0,cos_client/* header */.wx)(response, 'x-cos-hash-crc64ecma');
    if (crc64 !== undefined && !(0,cos_object/* isCrc64Header */.WL)(crc64)) {
        throw new cos_errors/* ProtocolError */.bd(`GET ${name} answered x-cos-hash-crc64ecma '${crc64.slice(0, 40)}', not a CRC-64 (decimal, at most 2^64-1), so the bytes could not be checked`, { transient: false });
    }
    const versionId = (0,cos_client/* header */.wx)(response, 'x-cos-version-id');
    return {
        key: name,
        etag: (0,cos_client/* header */.wx)(response, 'etag')?.trim() ?? '',
        size,
        lastModified: (0,cos_client/* header */.wx)(response, 'last-modified') ?? '',
        crc64,
        versionId: versionId === 'null' ? undefined : versionId,
        storageClass: (0,cos_client/* header */.wx)(response, 'x-cos-storage-class') ?? 'STANDARD',
    };
}
/** The first GET: the first part's range, with the user's conditions. Reads headers only. */
async function probe(source, request, settings, signal) {
    const name = source.name;
    const last = settings.partSize - 1;
    const fixed = (0,cos_object/* accessHeaders */.Hi)(settings);
    const get = (headers, what) => source.retrying(what, signal, () => source
        .send({ method: 'GET', key: name, headers, accept: [304, 416], signal, highWaterMark: 1024 * 1024 })
        .catch((error) => {
        throw (0,cos_object/* namingRequest */.oE)(error, what);
    }));
    const conditions = (0,cos_object/* conditionHeaders */.CO)(request.conditions);
    const response = await get({ ...conditions, ...fixed, range: `bytes=0-${last}` }, `GET ${name} bytes=0-${last}`);
    // Its body waits while a resume re-reads the temp file: if its socket times out meanwhile, the
    // error must wait for the reader (who retries), not escape as an unhandled event.
    response.body.on('error', () => { });
    const status = response.status;
    if (status === 304) {
        letGo(response);
        return { kind: 'not-modified' };
    }
    const contentRange = (0,cos_client/* header */.wx)(response, 'content-range') ?? '';
    if (status === 416) {
        letGo(response);
        if (!EMPTY_RANGE.test(contentRange)) {
            throw new cos_errors/* ProtocolError */.bd(`GET ${name} bytes=0-${last} answered 416 (Content-Range '${contentRange.slice(0, 80)}'), though byte 0 of a non-empty object is always there`, { transient: false });
        }
        // An empty object has no byte 0 to range over: ask for it whole (its headers and its 0 bytes).
        const whole = await get({ ...conditions, ...fixed }, `GET ${name}`);
        whole.body.on('error', () => { });
        if (whole.status !== 200) {
            letGo(whole);
            throw new cos_errors/* ProtocolError */.bd(`GET ${name} of an empty object answered ${whole.status}, not 200`, {
                transient: false,
            });
        }
        return { kind: 'found', info: infoFrom(name, whole, 0), response: whole, ranged: false };
    }
    if (status === 200) {
        const size = (0,cos_object/* contentLength */.Y)(response);
        if (size === undefined) {
            letGo(response);
            throw new cos_errors/* ProtocolError */.bd(`GET ${name} answered 200 without a usable Content-Length, so the download's length could not be verified`, { transient: false });
        }
        return { kind: 'found', info: infoFrom(name, response, size), response, ranged: false };
    }
    const match = download_link_CONTENT_RANGE.exec(contentRange);
    if (status !== 206 || match === null || Number(match[1]) !== 0) {
        letGo(response);
        throw new cos_errors/* ProtocolError */.bd(`GET ${name} bytes=0-${last} answered ${status} with Content-Range '${contentRange.slice(0, 80)}': ` +
            "expected 'bytes 0-…/<size>', so the object's size is unknown", { transient: false });
    }
    const info = infoFrom(name, response, Number(match[3]));
    return { kind: 'found', info, response, ranged: isStrongEtag(info.etag) };
}
/** Downloads the object `source` links to into `request.destination`. */
async function downloadLink(source, request, settings, deps) {
    const { destination } = request;
    if (settings.dryRun) {
        const found = await probe(source, request, settings, deps.signal);
        if (found.kind === 'not-modified')
            return { status: 'not-modified', path: destination };
        letGo(found.response);
        const skip = await skipReason(destination, settings, found.info, true);
        if (skip !== undefined)
            return skipped(destination, found.info, skip);
        return {
            status: 'would-download',
            path: destination,
            info: found.info,
            length: found.info.size,
            bytesDownloaded: 0,
            crcCheck: !settings.crc ? 'disabled' : found.info.crc64 === undefined ? 'no-crc-header' : 'verified',
        };
    }
    // The destination locked before the first GET: its body is read as soon as the object is known,
    // never held open while another run writes this file.
    return withDestinationLock(destination, deps, async (state, locked) => {
        const found = await probe(source, request, settings, locked.signal);
        if (found.kind === 'not-modified')
            return { status: 'not-modified', path: destination };
        const context = {
            client: source,
            settings,
            deps: locked,
            limit: (0,p_limit/* default */.A)(settings.partConcurrency),
            folderReady: false,
        };
        return fetchFound(context, request, state, found);
    });
}
async function fetchFound(context, request, state, found) {
    const { info, response } = found;
    const { settings, deps } = context;
    const skip = await skipReason(request.destination, settings, info, true).catch((error) => {
        letGo(response);
        throw error;
    });
    if (skip !== undefined) {
        letGo(response);
        // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
        await removeCheckpoint(state.checkpoint);
        return skipped(request.destination, info, skip);
    }
    if (found.ranged && info.size > 0) {
        // A link's object is the one its first GET described: if it changes, the run fails (If-Match)
        // and the next one starts over from a fresh first GET.
        const fetchRequest = {
            key: info.key,
            responseOverrides: {},
            pinned: true,
            destination: request.destination,
            state,
        };
        return fetchObject(context, fetchRequest, info, { first: 0, length: info.size }, response);
    }
    // Here the first answer is the whole object (200, or a 206 that covered it all), or must be asked again.
    const whole = response.status === 200 || info.size <= settings.partSize;
    if (info.size > settings.partSize) {
        const why = response.status === 200
            ? 'the server ignored the range (200 to a ranged GET)'
            : `the server sent ${info.etag === '' ? 'no ETag' : `only a weak ETag (${info.etag})`} to pin its parts to one version`;
        deps.logger.info(`${info.key}: ${why}, so it comes down as one stream, without parallel parts or a checkpoint (a re-run starts over)`);
    }
    if (!whole)
        letGo(response);
    return fetchStream(context, { destination: request.destination, state }, info, whole ? response : undefined);
}

;// CONCATENATED MODULE: ./lib/transfer/download-object.js
// One object (or a byte range of it) to one file: HEAD for its identity and the user's conditions,
// the window the range selects, the skip decision, then — the destination locked — the fetch.








async function downloadObject(client, request, settings, deps) {
    const access = {
        versionId: request.versionId,
        sseCustomerKey: settings.sseCustomerKey,
        trafficLimit: settings.trafficLimit,
    };
    const head = await headWithReason(client, request, access, deps.signal);
    if (head.kind === 'not-modified')
        return { status: 'not-modified', path: request.destination };
    const info = head.info;
    const window = rangeWindow(request.range, info.size);
    if (window === undefined) {
        throw new cos_errors/* CosError */.Y6({
            status: 416,
            code: 'InvalidRange',
            message: `range ${formatRange(request.range)} is beyond the object's ${info.size} bytes`,
        }, `GET '${request.key}'`);
    }
    const whole = window.first === 0 && window.length === info.size;
    if (settings.dryRun) {
        const skip = await skipReason(request.destination, settings, info, whole);
        if (skip !== undefined)
            return skipped(request.destination, info, skip);
        return {
            status: 'would-download',
            path: request.destination,
            info,
            length: window.length,
            bytesDownloaded: 0,
            crcCheck: settings.crc ? (whole ? 'verified' : 'partial-range') : 'disabled',
        };
    }
    // The destination locked: other runs keep off this file; a run that loses the lock to another
    // (which took it over) stops at once.
    return withDestinationLock(request.destination, deps, async (state, locked) => {
        const skip = await skipReason(request.destination, settings, info, whole);
        if (skip !== undefined) {
            // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
            await removeCheckpoint(state.checkpoint);
            return skipped(request.destination, info, skip);
        }
        const context = {
            client,
            settings,
            deps: locked,
            // One object: its parts are all the requests there are.
            limit: (0,p_limit/* default */.A)(settings.partConcurrency),
            folderReady: false,
        };
        const pinned = request.range !== undefined || Object.values(request.conditions).some((c) => c !== undefined);
        return fetchObject(context, { ...request, pinned, state }, info, window);
    });
}
/** HEAD with the user's conditions; a 412 is explained by naming the condition that failed. */
async function headWithReason(client, request, access, signal) {
    try {
        return await (0,cos_object/* headObject */.C6)(client, request.key, access, request.conditions, signal);
    }
    catch (error) {
        if (error instanceof cos_errors/* CosError */.Y6 && error.status === 404 && request.versionId !== undefined) {
            throw error.rephrase(`version '${request.versionId}' of '${request.key}' does not exist (or is a delete marker). ` +
                "Check the version-id input against the object's versions.", `GET '${request.key}'`);
        }
        if (!(error instanceof cos_errors/* CosError */.Y6) || error.status !== 412)
            throw error;
        const actual = await (0,cos_object/* headObject */.C6)(client, request.key, access, {}, signal).catch(() => undefined);
        const { ifMatch, ifUnmodifiedSince } = request.conditions;
        const now = actual?.kind === 'found' ? actual.info : undefined;
        const reasons = [];
        if (ifMatch !== undefined)
            reasons.push(`if-match ${ifMatch} (the object's ETag is ${now?.etag ?? 'unknown'})`);
        if (ifUnmodifiedSince !== undefined) {
            reasons.push(`if-unmodified-since ${ifUnmodifiedSince.toUTCString()} (the object was modified ${now?.lastModified ?? 'later'})`);
        }
        throw error.rephrase(`precondition failed: ${reasons.join('; ') || 'a condition'} does not hold`, `GET '${request.key}'`);
    }
}

// EXTERNAL MODULE: ./lib/core/network.js + 1 modules
var core_network = __webpack_require__(7913);
;// CONCATENATED MODULE: ./lib/core/download.js
// The library's entry point: options in, a result out. No argv, no env, no @actions/core.












async function download(options, deps = {}) {
    const target = options.target;
    if (options.cache && deps.cache === undefined) {
        throw new errors/* InputError */.dz({
            input: 'cache',
            value: 'true',
            rule: 'needs the GitHub Actions cache, which only the action can reach',
            fix: "remove 'cache' (the mirror still skips unchanged files through its manifest), or run the action",
        });
    }
    // Keys, file names and lock fields come from others: every line is kept to one line of text.
    const logger = deps.logger === undefined ? undefined : (0,runtime/* printable */.g$)(deps.logger);
    if (target.kind === 'link')
        return {
            kind: 'object',
            object: await downloadFromLink(options, target, deps, logger),
            dryRun: options.dryRun,
        };
    const network = (0,core_network/* openNetwork */.XV)(options, { ...deps, logger });
    let client;
    try {
        client = new cos_client/* CosClient */.v6(options.connection, {
            // The caller's tuning (tests' transport and backoff) wins over the run's network.
            ...deps.client,
            transport: deps.client?.transport ?? network.client.transport,
            credentials: deps.client?.credentials ?? network.client.credentials,
            logger,
            clock: deps.clock,
            connections: concurrencyFor(options.concurrency).objects,
        });
    }
    catch (error) {
        await network.close();
        throw error;
    }
    // Said once per run, before the first request: plain http to another machine is readable on the way.
    const warning = (0,endpoint/* plainHttpWarning */.BS)(options.connection.endpoint);
    if (warning !== undefined)
        logger?.warning(warning);
    const settings = transferSettings(options);
    const engine = engineDeps(deps, logger);
    try {
        if (target.kind === 'prefix') {
            const request = mirrorRequestFor(options, target);
            if (options.cache && deps.cache !== undefined) {
                const cached = await cachedMirror(client, { ...request, cacheKey: options.cacheKey }, settings, deps.cache, engine);
                return { kind: 'prefix', mirror: cached.mirror, dryRun: options.dryRun, cache: cached.cache };
            }
            const mirror = await mirrorPrefix(client, request, settings, engine);
            return { kind: 'prefix', mirror, dryRun: options.dryRun };
        }
        const object = await downloadObject(client, {
            key: target.key,
            versionId: target.versionId,
            range: target.range,
            conditions: target.conditions,
            responseOverrides: target.responseOverrides,
            destination: options.destination,
        }, settings, engine);
        return { kind: 'object', object, dryRun: options.dryRun };
    }
    finally {
        await client.close();
        await network.close();
    }
}
/** A link: no bucket, no credentials, its own client; the same engine as a key. */
async function downloadFromLink(options, target, deps, logger) {
    const { credentials: _unused, ...tuning } = deps.client ?? {};
    const client = new LinkClient({ url: target.url, retries: options.connection.retries, timeoutMs: options.connection.timeoutMs }, {
        // As for a key: the caller's tuning (tests' transport and backoff) wins.
        ...tuning,
        transport: tuning.transport ?? { proxy: deps.proxy, extraCa: options.caCert },
        logger,
        clock: deps.clock,
        connections: concurrencyFor(options.concurrency).objects,
    });
    const warning = (0,endpoint/* plainHttpWarning */.BS)(options.connection.endpoint);
    if (warning !== undefined)
        logger?.warning(warning);
    try {
        return await downloadLink(client, { conditions: target.conditions, destination: options.destination }, transferSettings(options), engineDeps(deps, logger));
    }
    finally {
        await client.close();
    }
}
/** The mirror a prefix target asks for. */
function mirrorRequestFor(options, target) {
    return {
        prefix: target.prefix,
        include: target.include,
        exclude: target.exclude,
        shard: target.shard,
        delete: target.delete,
        allowEmpty: target.allowEmpty,
        destination: options.destination,
    };
}
/**
 * Requests in flight: for small objects (one GET each, bound by round trips and per-file work) and
 * for a large object's parts (bound by bandwidth and CPU). `auto` sizes both from the CPU count —
 * 16 a core for objects (32..64) and 4 a core for parts (8..32); a number is both.
 */
function concurrencyFor(concurrency, cores = (0,external_node_os_.availableParallelism)()) {
    if (concurrency !== 'auto')
        return { objects: concurrency, parts: concurrency };
    const clamp = (n, min, max) => Math.min(max, Math.max(min, n));
    return { objects: clamp(16 * cores, 32, 64), parts: clamp(4 * cores, 8, 32) };
}
/** What every transfer of the run shares, built once. */
function transferSettings(options) {
    const budget = concurrencyFor(options.concurrency);
    return Object.freeze({
        partSize: options.partSize,
        concurrency: budget.objects,
        partConcurrency: budget.parts,
        crc: options.crc,
        fsync: options.fsync,
        overwrite: options.overwrite,
        dryRun: options.dryRun,
        trafficLimit: options.trafficLimit,
        sseCustomerKey: options.sseCustomerKey,
    });
}
function engineDeps(deps, logger) {
    return transferDeps({
        logger,
        clock: deps.clock,
        signal: deps.signal,
        progress: { onStart: deps.onStart, onBytes: deps.onBytes },
        lockWaitMs: deps.lockWaitMs,
    });
}

;// CONCATENATED MODULE: ./lib/core/progress.js
// Transfer progress: counts bytes against a total and tells percent, rate and ETA. Pure but for
// the injected clock reading passed in. Bytes an earlier run left on disk count toward the percent,
// never toward the rate: the rate is this run's.
/** Objects at least this large get a line of their own when they start; smaller ones only count. */
const ANNOUNCE_BYTES = 16 * 1024 * 1024;
class Progress {
    #fetched = 0;
    #resumed = 0;
    #total = 0;
    #startedAt;
    constructor(startedAt) {
        this.#startedAt = startedAt;
    }
    /** An object starts: `length` bytes in all, of which `alreadyOnDisk` an earlier run left. */
    addTotal(length, alreadyOnDisk = 0) {
        this.#total += length;
        this.#resumed += alreadyOnDisk;
    }
    /** Bytes this run fetched. */
    add(bytes) {
        this.#fetched += bytes;
    }
    snapshot(now) {
        const elapsedMs = Math.max(1, now - this.#startedAt);
        const rate = (this.#fetched * 1000) / elapsedMs;
        const done = this.#fetched + this.#resumed;
        const left = Math.max(0, this.#total - done);
        return {
            done,
            total: this.#total,
            fetched: this.#fetched,
            elapsedMs,
            rate,
            etaMs: rate > 0 ? (left / rate) * 1000 : undefined,
        };
    }
}
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
function formatBytes(bytes) {
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}
function formatDuration(ms) {
    const seconds = Math.round(ms / 1000);
    if (seconds < 60)
        return `${seconds}s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60)
        return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
    return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
/** The parts a progress line is made of, each already formatted. */
function progressParts(s) {
    const percent = s.total > 0 ? Math.floor((s.done * 100) / s.total) : 100;
    return {
        percent: `${percent}%`,
        bytes: `${formatBytes(s.done)} / ${formatBytes(s.total)}`,
        rate: `${formatBytes(Math.round(s.rate))}/s`,
        eta: s.etaMs === undefined || s.done >= s.total ? undefined : `ETA ${formatDuration(s.etaMs)}`,
    };
}
/** `42% 420.0 MiB / 1.00 GiB, 95.2 MiB/s, ETA 6s` */
function formatProgress(s) {
    const p = progressParts(s);
    return `${p.percent} ${p.bytes}, ${p.rate}${p.eta === undefined ? '' : `, ${p.eta}`}`;
}

;// CONCATENATED MODULE: ./lib/core/outputs.js

function outputValuesFor(result) {
    if (result.kind === 'object')
        return objectOutputs(result.object, result.dryRun);
    const outputs = mirrorOutputs(result.mirror, result.dryRun);
    return result.cache === undefined ? outputs : { ...outputs, 'cache-hit': result.cache.hit };
}
/**
 * The outputs as the action sets them: text, with `version-id`, `crc64` and `manifest` set empty
 * when there is none (so a later step reads '' rather than a stale value).
 */
function outputsFor(result) {
    const values = outputValuesFor(result);
    const text = {};
    for (const [name, value] of Object.entries(values)) {
        if (value !== undefined)
            text[name] = String(value);
    }
    if (result.kind === 'object' && result.object.status !== 'not-modified') {
        text['version-id'] ??= '';
        text.crc64 ??= '';
    }
    if (result.kind === 'prefix')
        text.manifest ??= '';
    return text;
}
function objectOutputs(object, dryRun) {
    if (object.status === 'not-modified') {
        return { path: object.path, 'not-modified': true, 'bytes-downloaded': 0 };
    }
    const info = object.info;
    const lastModified = new Date(info.lastModified);
    const would = object.status === 'would-download';
    return {
        etag: info.etag,
        'version-id': info.versionId,
        crc64: info.crc64,
        'content-length': object.length,
        'last-modified': Number.isNaN(lastModified.getTime()) ? info.lastModified : lastModified.toISOString(),
        'storage-class': info.storageClass,
        path: object.path,
        'not-modified': false,
        'bytes-downloaded': object.bytesDownloaded,
        ...(dryRun ? { 'would-download': would ? 1 : 0, 'would-download-bytes': would ? object.length : 0 } : {}),
    };
}
function mirrorOutputs(mirror, dryRun) {
    return {
        path: mirror.destination,
        'files-downloaded': dryRun ? 0 : mirror.downloaded,
        'files-skipped': mirror.skipped,
        'files-deleted': dryRun ? 0 : mirror.deleted,
        'bytes-downloaded': dryRun ? 0 : mirror.bytesDownloaded,
        manifest: mirror.manifest,
        ...(dryRun
            ? {
                'would-download': mirror.downloaded,
                'would-download-bytes': mirror.bytesPlanned,
                'would-delete': mirror.deleted,
            }
            : {}),
    };
}
function outputs_summaryFor(result) {
    if (result.kind === 'object')
        return [objectSummary(result.object)];
    const tables = mirrorSummary(result.mirror, result.dryRun);
    if (result.cache !== undefined)
        tables.push(cacheSummary(result.cache));
    return tables;
}
const CACHE_HIT_TEXT = {
    true: 'hit: nothing downloaded from COS',
    partial: 'partial hit: only what changed downloaded from COS',
    false: 'miss',
};
function cacheSummary(cache) {
    return {
        heading: 'Actions cache',
        header: ['Result', 'Restored key', 'Saved under'],
        rows: [[CACHE_HIT_TEXT[cache.hit], cache.restoredKey ?? '', cache.saved ? cache.key : 'not saved']],
    };
}
function objectSummary(object) {
    const header = ['Key', 'Result', 'Size', 'ETag', 'CRC64', 'Path'];
    if (object.status === 'not-modified') {
        return { heading: 'COS download', header, rows: [['', 'not modified (304)', '', '', '', object.path]] };
    }
    const outcome = object.status === 'downloaded'
        ? `downloaded (CRC64 ${object.crcCheck})`
        : object.status === 'would-download'
            ? 'would download (dry run)'
            : `skipped: ${object.reason ?? ''}`;
    return {
        heading: 'COS download',
        header,
        rows: [
            [
                object.info.key,
                outcome,
                formatBytes(object.length),
                object.info.etag,
                object.info.crc64 ?? '',
                object.path,
            ],
        ],
    };
}
function mirrorSummary(mirror, dryRun) {
    const seconds = Math.max(mirror.elapsedMs, 1) / 1000;
    const verb = dryRun ? 'would be ' : '';
    const totals = {
        heading: dryRun ? 'COS mirror (dry run: nothing written)' : 'COS mirror',
        header: [
            'Downloaded',
            'Skipped (unchanged)',
            'Deleted',
            'Kept, not ours',
            'Bytes',
            'Throughput',
            'Refused keys',
            'Archived',
        ],
        rows: [
            [
                `${mirror.downloaded} ${verb}`.trim(),
                String(mirror.skipped),
                `${mirror.deleted} ${verb}`.trim(),
                keptText(mirror),
                formatBytes(mirror.bytesDownloaded),
                `${formatBytes(Math.round(mirror.bytesDownloaded / seconds))}/s over ${seconds.toFixed(1)} s`,
                String(mirror.refusedCount),
                String(mirror.archivedCount),
            ],
        ],
    };
    const largest = mirror.largest;
    const tables = [totals];
    if (largest.length > 0) {
        tables.push({
            heading: dryRun ? 'Largest files to download' : 'Largest files downloaded',
            header: ['Key', 'Size', 'Path'],
            rows: largest.map((f) => [f.key, formatBytes(f.size), f.path]),
        });
    }
    if (mirror.refusedCount > 0) {
        tables.push({
            heading: 'Keys not written (unsafe as local paths)',
            header: ['Key', 'Reason'],
            rows: mirror.refused.slice(0, 50).map((r) => [JSON.stringify(r.key), r.reason]),
        });
    }
    return tables;
}
/**
 * Files `delete` kept: those this tool did not write (it only ever deletes its own), and those it
 * wrote that were changed since.
 */
function keptText(mirror) {
    const { notOurs, changed } = mirror.kept;
    return changed === 0 ? String(notOurs) : `${notOurs} (+${changed} changed since written)`;
}
/** Human lines telling what a run did (or, in a dry run, would do): the action logs them, the CLI prints them. */
function describeResult(result) {
    if (result.kind === 'prefix') {
        const lines = describeMirror(result.mirror, result.dryRun);
        if (result.cache !== undefined)
            lines.push(`Actions cache: ${CACHE_HIT_TEXT[result.cache.hit]}`);
        return lines;
    }
    const object = result.object;
    switch (object.status) {
        case 'not-modified':
            return [`Not modified (304): nothing written to ${object.path}`];
        case 'skipped':
            return [`Skipped ${object.path}: ${object.reason ?? 'unchanged'}`];
        case 'would-download':
            return [
                `Dry run: would download '${object.info.key}' (${formatBytes(object.length)}) to ${object.path}`,
            ];
        case 'downloaded': {
            const check = object.crcCheck === 'verified'
                ? `CRC64 ${object.info.crc64} verified`
                : object.crcCheck === 'no-crc-header'
                    ? 'no CRC header (an old COS object, or a server that is not COS): length verified only'
                    : object.crcCheck === 'partial-range'
                        ? "a byte range: COS's CRC64 covers the whole object, length verified"
                        : 'CRC64 check disabled (crc: false): length verified only';
            return [`Downloaded '${object.info.key}' (${formatBytes(object.length)}) to ${object.path}; ${check}`];
        }
    }
}
function describeMirror(mirror, dryRun) {
    const lines = [];
    if (dryRun) {
        for (const file of mirror.files) {
            const what = file.action === 'download' ? 'download' : file.action === 'delete' ? 'delete  ' : 'skip    ';
            lines.push(`${what} ${file.path} (${formatBytes(file.size)})${file.reason ? `: ${file.reason}` : ''}`);
        }
        if (mirror.filesOmitted > 0)
            lines.push(`… and ${mirror.filesOmitted} more file(s)`);
    }
    const seconds = Math.max(mirror.elapsedMs, 1) / 1000;
    const would = dryRun ? 'Dry run, nothing written: would download' : 'Downloaded';
    lines.push(`${would} ${mirror.downloaded} file(s), ${formatBytes(dryRun ? mirror.bytesPlanned : mirror.bytesDownloaded)}; ` +
        `skipped ${mirror.skipped} unchanged; ${dryRun ? 'would delete' : 'deleted'} ${mirror.deleted}` +
        (dryRun || mirror.bytesDownloaded === 0
            ? ''
            : `; ${formatBytes(Math.round(mirror.bytesDownloaded / seconds))}/s over ${seconds.toFixed(1)} s`) +
        ` (${mirror.listRequests} listing request(s))`);
    if (mirror.kept.notOurs + mirror.kept.changed > 0) {
        lines.push(`Kept, not ours: ${keptText(mirror)} local file(s) the prefix does not hold (delete removes only files it wrote)`);
    }
    if (mirror.refusedCount > 0)
        lines.push(`${mirror.refusedCount} key(s) refused as unsafe local paths`);
    if (mirror.archivedCount > 0)
        lines.push(`${mirror.archivedCount} ARCHIVE object(s) not downloaded`);
    return lines;
}

;// CONCATENATED MODULE: ./lib/core/failure.js
// What the edges say about a run that failed: its one line, the codes behind it, and for a mirror
// that stopped part-way what it did before. The CLI prints these in --json; the action writes them
// into the job summary.






function codeOf(error) {
    if (error instanceof cos_errors/* CosError */.Y6)
        return error.code;
    if (error instanceof local_errors/* LocalFileError */.QD || error instanceof cos_errors/* NetworkError */.Dr || error instanceof cos_errors/* TlsError */.WM) {
        return error.code;
    }
    const code = error instanceof Error ? error.code : undefined;
    return typeof code === 'string' ? code : undefined;
}
function failureFacts(error, options) {
    // A mirror's failure is told by its first cause: that is where the code is.
    const cause = error instanceof MirrorError && error.cause !== undefined ? error.cause : error;
    return {
        message: (0,error_message/* errorMessage */.g)(error),
        code: codeOf(cause),
        status: cause instanceof cos_errors/* CosError */.Y6 ? cause.status : undefined,
        requestId: cause instanceof cos_errors/* CosError */.Y6 ? cause.requestId : undefined,
        input: error instanceof errors/* InputError */.dz ? error.input : undefined,
        partial: error instanceof MirrorError
            ? { kind: 'prefix', mirror: error.result, dryRun: options?.dryRun ?? false }
            : undefined,
    };
}
/** The job summary of a failed run: what was asked, what failed, and what a mirror did before. */
function failureSummary(facts, asked) {
    const detail = [
        facts.code === undefined ? undefined : `code ${facts.code}`,
        facts.status === undefined ? undefined : `HTTP ${facts.status}`,
        facts.requestId === undefined ? undefined : `request id ${facts.requestId}`,
    ]
        .filter((part) => part !== undefined)
        .join(', ');
    const tables = [
        {
            heading: 'COS download failed',
            header: ['Asked', 'What failed', 'Details'],
            rows: [[asked ?? '(the inputs could not be read)', facts.message, detail]],
        },
    ];
    if (facts.partial !== undefined) {
        for (const table of summaryFor(facts.partial)) {
            tables.push({ ...table, heading: `${table.heading}: done before the failure` });
        }
    }
    return tables;
}

// EXTERNAL MODULE: ./lib/cli/args.js
var cli_args = __webpack_require__(2453);
// EXTERNAL MODULE: ./lib/cli/exit-codes.js
var exit_codes = __webpack_require__(535);
// EXTERNAL MODULE: ./lib/base/wrap.js
var wrap = __webpack_require__(9205);
// EXTERNAL MODULE: ./lib/config/inputs.js
var inputs = __webpack_require__(6097);
;// CONCATENATED MODULE: ./lib/cli/help.js
// `cos-download --help`: the flags grouped by task, with examples and the exit codes, wrapped to
// the terminal's width.




/** Where each input stands in the help; `undefined` = not a flag the help offers, for the reason given. */
const GROUP_OF = {
    bucket: 'what',
    region: 'what',
    endpoint: 'what',
    accelerate: 'what',
    key: 'what',
    prefix: 'what',
    'version-id': 'what',
    range: 'what',
    url: 'what',
    'if-match': 'what',
    'if-none-match': 'what',
    'if-modified-since': 'what',
    'if-unmodified-since': 'what',
    include: 'what',
    exclude: 'what',
    shard: 'what',
    destination: 'where',
    overwrite: 'where',
    delete: 'where',
    'allow-empty': 'where',
    'dry-run': 'where',
    'part-size': 'how',
    concurrency: 'how',
    'traffic-limit': 'how',
    crc: 'how',
    fsync: 'how',
    retries: 'how',
    timeout: 'how',
    'response-cache-control': 'how',
    'response-content-disposition': 'how',
    'response-content-encoding': 'how',
    'response-content-language': 'how',
    'response-content-type': 'how',
    'response-expires': 'how',
    'secret-id': 'credentials',
    'secret-key': 'credentials',
    'session-token': 'credentials',
    'role-arn': 'credentials',
    'provider-id': 'credentials',
    'role-session-name': 'credentials',
    'role-duration': 'credentials',
    audience: 'credentials',
    'sts-endpoint': 'credentials',
    'web-identity-token-file': 'credentials',
    'ca-cert': 'credentials',
    'sse-customer-key': 'credentials',
    // The Actions cache is reachable only from an action step: the CLI refuses these (exit 2).
    cache: undefined,
    'cache-key': undefined,
    // `presign` is a command of its own here (`cos-download presign --help`), and its --expires with it.
    presign: undefined,
    expires: undefined,
};
const HEADINGS = {
    what: 'What to download (and from where)',
    where: 'Where to',
    how: 'How',
    credentials: 'Credentials (else from the environment)',
};
/** The value a flag takes, as the help shows it. */
const VALUE_OF = {
    bucket: 'NAME-APPID',
    region: 'REGION',
    endpoint: 'URL',
    key: 'KEY',
    prefix: 'PREFIX',
    'version-id': 'ID',
    range: 'bytes=A-B',
    url: 'LINK',
    'if-match': 'ETAG',
    'if-none-match': 'ETAG',
    'if-modified-since': 'DATE',
    'if-unmodified-since': 'DATE',
    include: 'GLOB',
    exclude: 'GLOB',
    shard: 'I/N',
    destination: 'PATH',
    overwrite: 'WHEN',
    'part-size': 'SIZE',
    concurrency: 'N',
    'traffic-limit': 'BIT/S',
    retries: 'N',
    timeout: 'TIME',
    'secret-id': 'ID',
    'secret-key': 'KEY',
    'session-token': 'TOKEN',
    'role-arn': 'QCS',
    'provider-id': 'ID',
    'role-session-name': 'NAME',
    'role-duration': 'SECONDS',
    audience: 'AUD',
    'sts-endpoint': 'URL',
    'web-identity-token-file': 'FILE',
    'ca-cert': 'PEM-FILE',
    'sse-customer-key': 'BASE64',
    'response-cache-control': 'VALUE',
    'response-content-disposition': 'VALUE',
    'response-content-encoding': 'VALUE',
    'response-content-language': 'VALUE',
    'response-content-type': 'VALUE',
    'response-expires': 'VALUE',
};
/** Where the action's wording does not fit a command line. */
const CLI_DESCRIPTIONS = {
    accelerate: 'Use the global acceleration domain {bucket}.cos.accelerate.myqcloud.com.',
    crc: 'Verify every byte against the object’s CRC64 (on; --no-crc turns it off).',
    fsync: 'fsync files and folders before each rename and the manifest, for power loss (off).',
    include: 'Only keys matching this glob (relative to --prefix); repeat it for more.',
    exclude: 'Leave out keys matching this glob (relative to --prefix); repeat it for more.',
    destination: 'File (for --key; an existing folder or a path ending in / takes the key’s base name) or folder ' +
        '(for --prefix). Default: the key’s base name / the current folder.',
    'secret-id': 'SecretId; else env TENCENTCLOUD_SECRET_ID, then COS_SECRET_ID; none: anonymous.',
    'secret-key': 'SecretKey; else env TENCENTCLOUD_SECRET_KEY, then COS_SECRET_KEY.',
    'session-token': 'Token of temporary credentials; else env TENCENTCLOUD_SESSION_TOKEN.',
};
/** The flags the help lists, by group; a test holds them against the README. */
function helpFlags() {
    const groups = { what: [], where: [], how: [], credentials: [] };
    for (const [name, group] of Object.entries(GROUP_OF)) {
        if (group !== undefined)
            groups[group].push(name);
    }
    return groups;
}
/** An input's description in flags: `key` → --key, other code spans plain. */
function describe(name) {
    const spec = inputs/* INPUTS */.mc[name];
    const text = CLI_DESCRIPTIONS[name] ??
        spec.description.replace(/`([^`]+)`/g, (_, code) => Object.hasOwn(inputs/* INPUTS */.mc, code) ? `--${code}` : code);
    const fallback = spec.default;
    if (fallback === undefined || fallback === 'false' || cli_args/* BOOLEAN_INPUTS */.$p.has(name))
        return text;
    return /Default/.test(text) ? text : `${text} Default: ${fallback}.`;
}
function flagColumn(name) {
    const value = VALUE_OF[name];
    return `--${name}${value === undefined ? '' : ` ${value}`}`;
}
const EXAMPLES = [
    [
        'One object into a folder (it keeps its name); a re-run skips it if unchanged:',
        'cos-download --bucket examplebucket-1250000000 --region ap-guangzhou --key releases/app-1.4.2.tar.gz --destination downloads/',
    ],
    [
        'Mirror a prefix; a re-run downloads only what changed and, with --delete, removes what is gone:',
        'cos-download --bucket examplebucket-1250000000 --region ap-guangzhou --prefix build-cache/linux-x64 --destination .cache/build --delete',
    ],
    [
        'Say what a mirror would do, as JSON, writing nothing:',
        'cos-download --bucket examplebucket-1250000000 --region ap-guangzhou --prefix models/ --dry-run --json',
    ],
    [
        'No account? Start the local COS in one terminal, download from it in another:',
        'cos-download emulator --demo --port 9000',
    ],
    [
        '',
        'cos-download --endpoint http://127.0.0.1:9000 --bucket examplebucket-1250000000 --prefix / --destination out',
    ],
];
function usageLines(width) {
    return [
        'Usage:',
        ...[
            'cos-download --bucket NAME-APPID --region REGION --key KEY [--destination PATH] [options]',
            'cos-download --bucket NAME-APPID --region REGION --prefix PREFIX [--destination DIR] [options]',
            'cos-download --url LINK [--destination PATH] [options]',
            'cos-download presign --bucket NAME-APPID --region REGION --key KEY [--expires 1h]',
            'cos-download emulator [--demo] [--port 9000] [--root DIR] [options]',
        ].flatMap((line) => (0,wrap/* wrapCommand */.MG)(line, width, '  ', false)),
    ];
}
/** The whole help, for a terminal `columns` wide (default 80). */
function helpText(columns = 80) {
    const width = Math.max(40, Math.min(columns, 100));
    const column = 30;
    const out = [
        ...(0,wrap/* wrapText */.C1)('cos-download: download from Tencent Cloud COS — one object, a byte range of it, a version, or a ' +
            'whole prefix mirrored into a folder. Resumable, parallel, every byte checked against CRC64.', width),
        '',
        ...usageLines(width),
    ];
    const groups = helpFlags();
    for (const group of Object.keys(HEADINGS)) {
        out.push('', `${HEADINGS[group]}:`);
        for (const name of groups[group])
            out.push(...(0,wrap/* helpEntry */.qb)(flagColumn(name), describe(name), width, column));
    }
    out.push('', 'Output:');
    for (const [name, spec] of Object.entries(cli_args/* SWITCHES */.Xj)) {
        const left = spec.short === undefined ? `--${name}` : `-${spec.short}, --${name}`;
        out.push(...(0,wrap/* helpEntry */.qb)(left, spec.description, width, column));
    }
    out.push(...(0,wrap/* wrapText */.C1)('A progress bar is drawn on a terminal (stderr), a line every 10 s otherwise. Boolean flags work bare ' +
        '(--dry-run) or negated (--no-crc); --include/--exclude may repeat; --name=value works too.', width, '  '));
    out.push('', 'Examples:');
    for (const [what, command] of EXAMPLES) {
        if (what !== '')
            out.push(...(0,wrap/* wrapText */.C1)(what, width, '  '));
        out.push(...(0,wrap/* wrapCommand */.MG)(command, width, '    '));
    }
    out.push('', 'Exit status:');
    for (const { code, meaning } of exit_codes/* EXIT_CODES */.ai)
        out.push(...(0,wrap/* helpEntry */.qb)(String(code), meaning, width, 8));
    return `${out.join('\n')}\n`;
}
/** The few lines a bare `cos-download` prints: what to type next. */
function usageText(columns = 80) {
    const width = Math.max(40, Math.min(columns, 100));
    return `${[
        ...usageLines(width),
        ...(0,wrap/* wrapText */.C1)("Run 'cos-download --help' for every option, examples and the exit codes.", width),
    ].join('\n')}\n`;
}

;// CONCATENATED MODULE: ./lib/cli/json.js

function mirrorExtras(mirror) {
    return {
        files: mirror.files.map((f) => ({
            key: f.key,
            path: f.path,
            size: f.size,
            action: f.action,
            reason: f.reason,
        })),
        refused: mirror.refused.map((r) => ({ key: r.key, reason: r.reason })),
        archived: [...mirror.archived],
        kept: { 'not-ours': mirror.kept.notOurs, changed: mirror.kept.changed },
    };
}
function jsonResult(result) {
    const outputs = outputValuesFor(result);
    if (result.kind === 'object') {
        const object = result.object;
        return {
            kind: 'object',
            status: object.status,
            'dry-run': result.dryRun,
            ...outputs,
            'crc-check': object.status === 'downloaded' ? object.crcCheck : undefined,
            reason: object.status === 'skipped' ? object.reason : undefined,
        };
    }
    return {
        kind: 'prefix',
        status: result.dryRun ? 'dry-run' : 'mirrored',
        'dry-run': result.dryRun,
        ...outputs,
        ...mirrorExtras(result.mirror),
    };
}
function jsonSuccess(result) {
    return { ok: true, 'exit-code': 0, ...jsonResult(result) };
}
function jsonFailure(code, error, facts) {
    // JSON leaves out what is undefined: a failure without a code has no "code".
    return {
        ok: false,
        'exit-code': code,
        error: { ...error, code: facts?.code, status: facts?.status, 'request-id': facts?.requestId },
        partial: facts?.partial === undefined ? undefined : jsonResult(facts.partial),
    };
}
/** A report as printed: indented, one object, then a line break. */
function formatJson(report) {
    return `${JSON.stringify(report, null, 2)}\n`;
}

// EXTERNAL MODULE: ./lib/cli/network.js
var cli_network = __webpack_require__(2404);
;// CONCATENATED MODULE: ./lib/cli/output.js
// What the CLI prints on stdout when it is done: the human lines (what was done, the largest files,
// refused keys, then the outputs), or the --json report.


/** A table as aligned text columns under its heading. */
function formatTable(table) {
    const widths = table.header.map((title, column) => Math.max(title.length, ...table.rows.map((row) => (row[column] ?? '').length)));
    const line = (cells) => `  ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd();
    return [`${table.heading}:`, line(table.header), ...table.rows.map(line)];
}
/** The human report: what was done, the tables a mirror adds, then `  name: value` per output. */
function humanLines(result) {
    const lines = describeResult(result);
    if (result.kind === 'prefix') {
        // The first table is the totals describeResult already told; the cache has a line of its own.
        for (const table of outputs_summaryFor(result).slice(1)) {
            if (table.heading === 'Actions cache')
                continue;
            lines.push('', ...formatTable(table));
        }
        lines.push('');
    }
    const outputs = outputsFor(result);
    for (const name of Object.keys(inputs/* OUTPUTS */.py)) {
        const value = outputs[name];
        if (value !== undefined && value !== '')
            lines.push(`  ${name}: ${value}`);
    }
    return lines;
}

;// CONCATENATED MODULE: ./lib/cli/progress-printer.js
// What the CLI writes to stderr while it runs: log lines, and on a terminal one live progress bar
// under them. The bar owns the last line: it is cleared before any other line is written and drawn
// again after it, and it is cut to the terminal's width so it never wraps.

const CLEAR_LINE = '\r\x1b[K';
const BAR_MIN = 10;
const BAR_MAX = 30;
/**
 * Columns the bar leaves free at the right edge: the cursor must not reach the last column, where
 * terminals wrap, and the `^C` a terminal echoes on Ctrl-C must fit beside it.
 */
const MARGIN = 3;
/**
 * The progress line that fits `columns`: the bar and every figure when there is room, then without
 * the byte counts, then without the rate, then without the bar.
 */
function fitBar(snapshot, columns) {
    const room = Math.max(1, columns - MARGIN);
    const p = progressParts(snapshot);
    const eta = p.eta === undefined ? '' : `, ${p.eta}`;
    const texts = [
        `${p.percent} ${p.bytes}, ${p.rate}${eta}`,
        `${p.percent} ${p.rate}${eta}`,
        `${p.percent}${eta}`,
    ];
    const fraction = snapshot.total > 0 ? Math.min(1, snapshot.done / snapshot.total) : 1;
    for (const text of texts) {
        const width = Math.min(BAR_MAX, room - text.length - 3);
        if (width >= BAR_MIN) {
            const filled = Math.round(fraction * width);
            return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
        }
    }
    for (const text of texts)
        if (text.length <= room)
            return text;
    return texts.at(-1).slice(0, room);
}
/** A live bar on a terminal, a plain line every 10 s otherwise; log lines never share its line. */
class ProgressPrinter {
    #out;
    #options;
    #now;
    #progress;
    #timer;
    /** The bar is on screen (the cursor is at the end of its line). */
    #drawn = false;
    #stopped = false;
    constructor(out, options) {
        this.#out = out;
        this.#options = options;
        this.#now = options.now ?? Date.now;
    }
    get #tty() {
        return this.#out.isTTY === true;
    }
    /** An object starts: `length` bytes to have, `alreadyOnDisk` of them kept from an earlier run. */
    start(key, length, alreadyOnDisk = 0) {
        // Counted even when not shown: an interrupted run says how far it got.
        this.#progress ??= new Progress(this.#now());
        this.#progress.addTotal(length, alreadyOnDisk);
        if (!this.#options.progress || this.#stopped)
            return;
        if (!this.#tty && length >= ANNOUNCE_BYTES) {
            const kept = alreadyOnDisk > 0 ? `, ${formatBytes(alreadyOnDisk)} already on disk` : '';
            this.#out.write(`downloading ${key} (${formatBytes(length)}${kept})\n`);
        }
        if (this.#timer === undefined) {
            const every = this.#tty
                ? (this.#options.ttyIntervalMs ?? 200)
                : (this.#options.plainIntervalMs ?? 10_000);
            this.#timer = setInterval(() => this.#draw(), every);
            this.#timer.unref();
        }
    }
    add(count) {
        this.#progress?.add(count);
    }
    /** How far the run got: bytes in place (kept and fetched) of the total, e.g. `800.0 KiB of 3.00 MiB`. */
    reached() {
        if (this.#progress === undefined)
            return undefined;
        const { done, total } = this.#progress.snapshot(this.#now());
        return `${formatBytes(done)} of ${formatBytes(total)}`;
    }
    /** A line of its own: the bar is cleared first and drawn again after it. */
    line(text) {
        if (this.#drawn)
            this.#out.write(CLEAR_LINE);
        this.#drawn = false;
        this.#out.write(`${text}\n`);
        if (this.#timer !== undefined && !this.#stopped && this.#tty)
            this.#draw();
    }
    /**
     * No more progress: on a terminal the bar is drawn one last time and left as a line of its own
     * (`keep`), or erased. Later lines go under it. Idempotent.
     */
    stop(keep = true) {
        if (this.#stopped)
            return;
        this.#stopped = true;
        if (this.#timer)
            clearInterval(this.#timer);
        if (!this.#drawn)
            return;
        if (keep) {
            this.#draw(true);
            this.#out.write('\n');
        }
        else {
            this.#out.write(CLEAR_LINE);
        }
        this.#drawn = false;
    }
    #draw(last = false) {
        if (this.#progress === undefined || !this.#options.progress || (this.#stopped && !last))
            return;
        const snapshot = this.#progress.snapshot(this.#now());
        if (this.#tty) {
            this.#out.write(`${CLEAR_LINE}${fitBar(snapshot, this.#out.columns ?? 80)}`);
            this.#drawn = true;
        }
        else {
            this.#out.write(`${formatProgress(snapshot)}\n`);
        }
    }
}

;// CONCATENATED MODULE: ./lib/cli/main.js
// The CLI's edge: argv → raw inputs → the core; prints a result (or --json) and returns the exit code.

















/** The version package.json states: one place to bump, read from source and bundled into dist/ alike. */
const VERSION = package_namespaceObject.rE;
async function main(argv, io) {
    const columns = io.stdout.columns ?? io.stderr.columns ?? 80;
    if (argv[0] === 'emulator') {
        const emulator = await __webpack_require__.e(/* import() */ 755).then(__webpack_require__.bind(__webpack_require__, 4755));
        return (await emulator.main(argv.slice(1), {
            stdout: (line) => io.stdout.write(`${line}\n`),
            stderr: (line) => io.stderr.write(`${line}\n`),
            columns,
            signal: io.signal,
        }));
    }
    if (argv[0] === 'presign') {
        const { presignMain } = await __webpack_require__.e(/* import() */ 815).then(__webpack_require__.bind(__webpack_require__, 9815));
        return presignMain(argv.slice(1), io);
    }
    if (argv.length === 0) {
        io.stderr.write(usageText(columns));
        return exit_codes/* EXIT_USAGE */.Ri;
    }
    // Known before the arguments are read, so that even a bad one is answered in JSON.
    const json = argv.includes('--json');
    let args;
    try {
        args = (0,cli_args/* parseArgs */.Zy)(argv);
        if (args.quiet && args.verbose)
            throw new cli_args/* UsageError */.eb('--quiet and --verbose ask for opposite things: give one');
    }
    catch (error) {
        const flag = error instanceof cli_args/* UsageError */.eb ? error.flag : undefined;
        return usageFailure(io, json, (0,error_message/* errorMessage */.g)(error), flag);
    }
    if (args.help) {
        io.stdout.write(helpText(columns));
        return exit_codes/* EXIT_OK */.Ij;
    }
    if (args.version) {
        io.stdout.write(`${VERSION}\n`);
        return exit_codes/* EXIT_OK */.Ij;
    }
    let options;
    let network;
    try {
        options = (0,parse/* parseOptions */.Ac)(args.inputs, {
            cwd: io.cwd,
            env: io.env,
            isDirectory: file_system/* isDirectory */.wd,
            realpath: file_system/* realpathOf */.zg,
            readFile: file_system/* readRegularFile */.XF,
        });
        // Proxies from the environment, and a keyless run's token file (read once now: a usage error).
        network = await (0,cli_network/* networkDeps */.N)(options, io.env);
    }
    catch (error) {
        if (!(error instanceof errors/* InputError */.dz))
            throw error;
        return usageFailure(io, json, (0,errors/* flagMessage */.cO)(error), `--${error.input}`);
    }
    return run(options, args, io, network);
}
function usageFailure(io, json, message, flag) {
    io.stderr.write(`cos-download: ${message}\n`);
    if (json) {
        io.stdout.write(formatJson(jsonFailure(exit_codes/* EXIT_USAGE */.Ri, { kind: 'usage', message, flag })));
    }
    return exit_codes/* EXIT_USAGE */.Ri;
}
/** Where log lines go: through the printer, so they never share the progress bar's line. */
function loggerFor(printer, args, interrupted) {
    const showInfo = !args.quiet && (!args.json || args.verbose);
    return {
        debug: (m) => {
            if (args.verbose)
                printer.line(`debug: ${m}`);
        },
        // After Ctrl-C the engine says what it keeps: that is told even with --quiet.
        info: (m) => {
            if (showInfo || interrupted())
                printer.line(m);
        },
        warning: (m) => printer.line(`warning: ${m}`),
    };
}
async function run(options, args, io, network) {
    const printer = new ProgressPrinter(io.stderr, { progress: !args.quiet && !args.json });
    const interrupted = () => io.signal?.aborted === true;
    const logger = loggerFor(printer, args, interrupted);
    // On Ctrl-C the bar stops where it is, so that what follows has lines of its own.
    const freeze = () => printer.stop(true);
    io.signal?.addEventListener('abort', freeze, { once: true });
    let result;
    try {
        result = await download(options, {
            logger,
            ...network,
            signal: io.signal,
            onStart: (info, length, alreadyOnDisk) => printer.start(info.key, length, alreadyOnDisk),
            onBytes: (count) => printer.add(count),
        });
    }
    catch (error) {
        printer.stop(true);
        for (const line of (0,error_message/* errorDetails */.n)(error))
            logger.debug(line);
        return failure(io, args, options, error, printer);
    }
    finally {
        io.signal?.removeEventListener('abort', freeze);
    }
    printer.stop(true);
    if (args.json)
        io.stdout.write(formatJson(jsonSuccess(result)));
    else
        for (const line of humanLines(result))
            io.stdout.write(`${line}\n`);
    return exit_codes/* EXIT_OK */.Ij;
}
function failure(io, args, options, error, printer) {
    const reason = io.signal?.aborted === true ? io.signal.reason : undefined;
    if (reason instanceof exit_codes/* Interrupted */.j$) {
        const code = exit_codes/* SIGNAL_EXIT */.Kx[reason.signal];
        const reached = printer.reached();
        const message = `${reason.message}${reached === undefined ? '' : ` at ${reached}`}; run the same command again to resume`;
        io.stderr.write(`cos-download: ${message}\n`);
        if (args.json) {
            const facts = failureFacts(error, options);
            io.stdout.write(formatJson(jsonFailure(code, { kind: 'interrupted', message, signal: reason.signal }, { ...facts, message })));
        }
        return code;
    }
    if (error instanceof errors/* InputError */.dz) {
        // Found by the core (e.g. --cache): a usage error like the parser's.
        return usageFailure(io, args.json, (0,errors/* flagMessage */.cO)(error), `--${error.input}`);
    }
    const facts = failureFacts(error, options);
    io.stderr.write(`cos-download: ${facts.message}\n`);
    if (args.json)
        io.stdout.write(formatJson(jsonFailure(exit_codes/* EXIT_FAILURE */.w5, { kind: 'failure', message: facts.message }, facts)));
    return exit_codes/* EXIT_FAILURE */.w5;
}


/***/ }),

/***/ 2404:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   N: () => (/* binding */ networkDeps)
/* harmony export */ });
/* unused harmony export tokenFileReader */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var _config_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8159);
/* harmony import */ var _core_network_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7913);
// The CLI's network settings: proxies from its environment, and for keyless credentials the OIDC
// token of `--web-identity-token-file` (GitLab's `id_tokens`, other CI systems' token files), read
// again at every renewal because such files are rotated.



const TOKEN_FIX = "give the path of the file your CI system writes the OIDC token to (GitLab: an 'id_tokens' variable " +
    'written to a file, e.g. echo "$COS_ID_TOKEN" > token.jwt)';
function readRule(error) {
    const code = error?.code;
    switch (code) {
        case 'ENOENT':
            return 'the file does not exist';
        case 'EACCES':
        case 'EPERM':
            return 'the file cannot be read (permission denied)';
        case 'EISDIR':
            return 'this is a folder, not a file';
        default:
            return `the file cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
    }
}
/** Reads the token file (trimmed) on every call; each failure is one InputError naming the flag. */
function tokenFileReader(file) {
    return async () => {
        let text;
        try {
            text = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(file, 'utf8');
        }
        catch (error) {
            throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
                input: 'web-identity-token-file',
                value: file,
                rule: readRule(error),
                fix: TOKEN_FIX,
                cause: error,
            });
        }
        const token = text.trim();
        if (token === '') {
            throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
                input: 'web-identity-token-file',
                value: file,
                rule: 'the file is empty',
                fix: TOKEN_FIX,
            });
        }
        return token;
    };
}
/**
 * What the core takes from the CLI's environment: the proxy settings, and the token source of
 * keyless credentials. The token file is read once here, so a missing or empty one is a usage
 * error before any request.
 */
async function networkDeps(options, env) {
    const proxy = (0,_core_network_js__WEBPACK_IMPORTED_MODULE_2__/* .proxySettingsFrom */ .Yw)(env);
    const keyless = options.keyless;
    if (keyless === undefined)
        return { proxy };
    const file = keyless.webIdentityTokenFile;
    if (file === undefined) {
        throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'web-identity-token-file',
            rule: "required with 'role-arn': outside GitHub Actions the CLI reads the OIDC token from a file",
            fix: `${TOKEN_FIX}, or leave 'role-arn' out and pass keys`,
        });
    }
    const webIdentityToken = tokenFileReader(file);
    await webIdentityToken();
    return { proxy, webIdentityToken };
}


/***/ }),

/***/ 7049:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   BS: () => (/* binding */ plainHttpWarning),
/* harmony export */   cW: () => (/* binding */ isLoopbackHost),
/* harmony export */   sO: () => (/* binding */ resolveEndpoint)
/* harmony export */ });
/* unused harmony exports DEFAULT_ENDPOINT, ACCELERATE_ENDPOINT */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8159);
// The base URL requests go to: the COS domain of the bucket's region, the acceleration domain, or a
// user-given URL (template or plain). Pure: no DNS, no I/O.

const DEFAULT_ENDPOINT = 'https://{bucket}.cos.{region}.myqcloud.com';
const ACCELERATE_ENDPOINT = 'https://{bucket}.cos.accelerate.myqcloud.com';
const ENDPOINT_FIX = "e.g. 'https://{bucket}.cos.{region}.myqcloud.com' or 'http://127.0.0.1:9000'";
/** The endpoint as it may be shown: credentials in the authority replaced by `***`. */
function shown(endpoint) {
    return endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}
function endpointError(endpoint, rule, fix = ENDPOINT_FIX) {
    return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({ input: 'endpoint', value: shown(endpoint), rule, fix });
}
/** Resolves the base URL (no trailing slash) for the bucket. Throws InputError. */
function resolveEndpoint(spec) {
    const { bucket, region, endpoint, accelerate } = spec;
    if (accelerate && endpoint !== undefined) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: 'accelerate',
            value: 'true',
            rule: `the acceleration domain cannot be combined with a custom 'endpoint' (${shown(endpoint)})`,
            fix: "remove 'endpoint', or set 'accelerate: false'",
        });
    }
    const template = accelerate ? ACCELERATE_ENDPOINT : (endpoint ?? DEFAULT_ENDPOINT);
    if (/\s/.test(template))
        throw endpointError(template, 'a URL must not contain spaces or line breaks');
    if (template.includes('{region}') && region === undefined) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: 'region',
            rule: endpoint === undefined
                ? `required for the default endpoint ${DEFAULT_ENDPOINT}`
                : `required because 'endpoint' contains {region}`,
            fix: "set the bucket's region, e.g. 'ap-guangzhou'",
        });
    }
    const text = template.replaceAll('{bucket}', bucket).replaceAll('{region}', region ?? '');
    if (/[{}]/.test(text)) {
        throw endpointError(template, 'the only placeholders are {bucket} and {region}');
    }
    let url;
    try {
        url = new URL(text);
    }
    catch (error) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: 'endpoint',
            value: shown(template),
            rule: 'must be an absolute http:// or https:// URL',
            fix: ENDPOINT_FIX,
            cause: error,
        });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw endpointError(template, `the scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
    }
    if (url.username !== '' || url.password !== '' || /^[^/]*\/\/[^/?#]*@/.test(text)) {
        throw endpointError(template, 'must not hold credentials', "remove 'user:password@' and pass 'secret-id' / 'secret-key' instead");
    }
    if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) {
        throw endpointError(template, 'must not hold a query (?…) or fragment (#…)');
    }
    if (url.hostname === '')
        throw endpointError(template, 'must name a host');
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
/** True when the URL's host is this machine (localhost, 127.0.0.0/8, ::1), e.g. the emulator. */
function isLoopbackHost(url) {
    let host;
    try {
        host = (typeof url === 'string' ? new URL(url) : url).hostname.toLowerCase();
    }
    catch {
        return false;
    }
    if (host === 'localhost' || host.endsWith('.localhost'))
        return true;
    if (/^127(?:\.\d{1,3}){3}$/.test(host))
        return true;
    return host === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}
/**
 * The warning for a resolved endpoint that talks plain http to another machine: signatures, object
 * bytes and any SSE-C key would cross the network unencrypted. Undefined for https and for this
 * machine (the emulator).
 */
function plainHttpWarning(endpoint) {
    let url;
    try {
        url = new URL(endpoint);
    }
    catch {
        return undefined;
    }
    if (url.protocol !== 'http:' || isLoopbackHost(url))
        return undefined;
    const secure = `https://${url.host}${url.pathname.replace(/\/+$/, '')}`;
    return (`The endpoint ${url.origin} uses plain http: requests, signatures and downloaded bytes cross the network ` +
        `unencrypted and can be read or altered on the way. Use https (e.g. '${secure}') unless this network is trusted`);
}


/***/ }),

/***/ 8159:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   cO: () => (/* binding */ flagMessage),
/* harmony export */   dz: () => (/* binding */ InputError)
/* harmony export */ });
/* unused harmony exports isSecretInput, describeInput, inFlags */
/* harmony import */ var _base_text_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8566);
/* harmony import */ var _inputs_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6097);
// Errors of the input layer: one line naming the input, its value (never a secret's), the rule and the fix.
// The action tells them in its inputs (`Input 'part-size' = '10MB': …`), the CLI in its flags
// (`--part-size '10MB': …`, see flagMessage): the same fields, two renderings.


function isSecretInput(name) {
    return Object.hasOwn(_inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .INPUTS */ .mc, name) && _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .INPUTS */ .mc[name].secret === true;
}
/** How a value is shown in a message: quoted, `(hidden)` for a secret, undefined when not set. */
function shownValue(input, value) {
    if (value === undefined)
        return undefined;
    return isSecretInput(input) ? '(hidden)' : (0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .quoteValue */ .cl)(value);
}
/** `Input 'name' = 'value'`, `Input 'name' = (hidden)` or `Input 'name' (not set)`. */
function describeInput(input, value) {
    const shown = shownValue(input, value);
    return shown === undefined ? `Input '${input}' (not set)` : `Input '${input}' = ${shown}`;
}
/** A bad input value, found before any request is made. */
class InputError extends Error {
    name = 'InputError';
    /** The input at fault. */
    input;
    rule;
    fix;
    /** The value as shown in the message (quoted, or `(hidden)`); undefined when the input is not set. */
    shownValue;
    /** The head that replaces `Input 'name' = 'value'`, when the problem gave one. */
    subject;
    /** The fix as a CLI user needs it, when the problem gave one of its own. */
    flagFix;
    constructor(problem) {
        const shown = shownValue(problem.input, problem.value);
        const subject = problem.subject === undefined ? undefined : (0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .escapeControls */ .UN)(problem.subject);
        const head = subject ?? describeInput(problem.input, problem.value);
        // A rule or fix may repeat what the user typed (`write 'a.txt'`): keep even that on one line.
        const rule = (0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .escapeControls */ .UN)(problem.rule);
        const fix = (0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .escapeControls */ .UN)(problem.fix);
        super(`${head}: ${rule}. Fix: ${fix}.`, problem.cause === undefined ? undefined : { cause: problem.cause });
        this.input = problem.input;
        this.rule = rule;
        this.fix = fix;
        this.shownValue = shown;
        this.subject = subject;
        this.flagFix = problem.flagFix === undefined ? undefined : (0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .escapeControls */ .UN)(problem.flagFix);
    }
}
const KNOWN = new Set(Object.keys(_inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .INPUTS */ .mc));
function isBooleanInput(name) {
    const fallback = Object.hasOwn(_inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .INPUTS */ .mc, name) ? _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .INPUTS */ .mc[name].default : undefined;
    return fallback === 'true' || fallback === 'false';
}
/** A value as a shell word: bare when it is plain, else in single quotes. */
function shellWord(value) {
    return /^[\w./:@%+=,{}-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
/** `name: value` of a YAML-ish fix as the flag that says it: `--name value`, `--name`, `--no-name`. */
function flagSetting(name, value) {
    if (isBooleanInput(name) && value === 'true')
        return `--${name}`;
    if (isBooleanInput(name) && value === 'false')
        return `--no-${name}`;
    return `--${name} ${shellWord(value)}`;
}
/**
 * A rule, fix or subject of the input layer told in CLI flags: `'name: value'` becomes
 * `--name value`, a quoted input name `'name'` becomes `--name`, `'name' = 'value'` becomes
 * `--name 'value'`, and the workspace is the current folder. Other quoted text (values) stays.
 */
function inFlags(text) {
    return text
        .replace(/'([a-z][a-z0-9-]*): ([^']*)'/g, (whole, name, value) => KNOWN.has(name) ? flagSetting(name, value) : whole)
        .replace(/'([a-z][a-z0-9-]*)' = /g, (whole, name) => (KNOWN.has(name) ? `--${name} ` : whole))
        .replace(/'([a-z][a-z0-9-]*)'/g, (whole, name) => (KNOWN.has(name) ? `--${name}` : whole))
        .replace(/^Inputs? (?=--)/, '')
        .replaceAll('the workspace', 'the current folder');
}
/**
 * The one line of an InputError for a CLI user, in flags:
 * `--part-size '10MB': 'MB' is ambiguous …. Fix: write it with a binary unit, e.g. '10MiB'.`
 */
function flagMessage(error) {
    let head = error.subject === undefined ? undefined : inFlags(error.subject);
    if (head === undefined && isBooleanInput(error.input) && /^'(true|false)'$/.test(error.shownValue ?? '')) {
        // A switch given bare (`--delete`) is named as typed, not as `--delete 'true'`.
        head = error.shownValue === "'true'" ? `--${error.input}` : `--no-${error.input}`;
    }
    head ??= `--${error.input}${error.shownValue === undefined ? ' (not set)' : ` ${error.shownValue}`}`;
    return `${head}: ${inFlags(error.rule)}. Fix: ${error.flagFix ?? inFlags(error.fix)}.`;
}


/***/ }),

/***/ 6097:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $_: () => (/* binding */ differsFromDefault),
/* harmony export */   Qh: () => (/* binding */ INPUT_NAMES),
/* harmony export */   c$: () => (/* binding */ CREDENTIAL_ENV),
/* harmony export */   mc: () => (/* binding */ INPUTS),
/* harmony export */   py: () => (/* binding */ OUTPUTS)
/* harmony export */ });
/* unused harmony export ACTION_INPUT_NAMES */
// The names users type: action inputs (kebab-case) and CLI flags (`--name`). One table, so the
// action, the CLI, action.yml and the README cannot drift apart (a test holds them together).
const INPUTS = {
    bucket: {
        description: 'Bucket name with APPID, e.g. `examplebucket-1250000000`. Required, unless `url` is given.',
    },
    region: {
        description: 'Region, e.g. `ap-guangzhou`. Required unless `endpoint` is a URL without `{region}`.',
    },
    endpoint: {
        description: 'Base URL; may hold `{bucket}` and `{region}`. Default `https://{bucket}.cos.{region}.myqcloud.com`. ' +
            'A plain URL (e.g. `http://127.0.0.1:9000`) is used as is.',
    },
    accelerate: {
        description: '`true` uses the global acceleration domain `{bucket}.cos.accelerate.myqcloud.com`.',
        default: 'false',
    },
    'secret-id': {
        description: 'SecretId. Falls back to env `TENCENTCLOUD_SECRET_ID`, then `COS_SECRET_ID`; none → anonymous.',
        secret: true,
    },
    'secret-key': {
        description: 'SecretKey. Falls back to env `TENCENTCLOUD_SECRET_KEY`, then `COS_SECRET_KEY`.',
        secret: true,
    },
    'session-token': {
        description: 'Session token of temporary credentials. Falls back to env `TENCENTCLOUD_SESSION_TOKEN`.',
        secret: true,
    },
    'role-arn': {
        description: 'Keyless credentials: the CAM role to assume with the job’s OIDC token through STS ' +
            '(`qcs::cam::uin/<account>:roleName/<name>`). Excludes `secret-id` / `secret-key` and their env variables.',
    },
    'provider-id': {
        description: 'The CAM OIDC identity provider the role trusts (required with `role-arn`).',
    },
    'role-session-name': {
        description: 'Session name of the assumed role (2..128 of letters, digits, `+=,.@_-`). Default: from the repository and run id.',
    },
    'role-duration': {
        description: 'Lifetime of the temporary credentials in seconds (900..43200); renewed before they expire.',
        default: '3600',
    },
    audience: {
        description: 'The `aud` of the GitHub OIDC token; the client ID the CAM identity provider expects.',
        default: 'sts.tencentcloudapi.com',
    },
    'sts-endpoint': {
        description: 'The STS endpoint that takes the OIDC token (https).',
        default: 'https://sts.tencentcloudapi.com',
    },
    'web-identity-token-file': {
        description: 'A file holding the OIDC token (GitLab `id_tokens`, other CI systems), read again at each renewal (with `role-arn`).',
        cliOnly: true,
    },
    key: { description: 'One object to download. Exactly one of `key` / `prefix` / `url`.' },
    prefix: { description: 'Mirror every object under this prefix (`/` = the whole bucket).' },
    url: {
        description: 'Download this link instead: a presigned COS URL, or any HTTPS URL of a server that honours ranges. ' +
            'No bucket or credentials needed. A link is a credential: masked, never shown.',
        secret: true,
    },
    destination: {
        description: 'File (for `key` or `url`; an existing folder or a path ending in `/` takes the key’s base name, or the ' +
            'link’s file name) or folder (for `prefix`), relative to the workspace. Default: that name / the workspace.',
    },
    'version-id': { description: 'Download this version of `key`.' },
    range: { description: '`bytes=first-last`, `bytes=first-` or `bytes=-suffix` (with `key`).' },
    'if-match': { description: 'Download only if the ETag matches (else fail: 412).' },
    'if-none-match': { description: 'Download only if the ETag differs (else `not-modified=true`).' },
    'if-modified-since': {
        description: 'Download only if modified after this date (HTTP date or ISO 8601; else `not-modified=true`).',
    },
    'if-unmodified-since': {
        description: 'Download only if not modified after this date (else fail: 412).',
    },
    include: { description: 'Newline-separated globs on the key relative to `prefix`; only matching keys.' },
    exclude: {
        description: 'Newline-separated globs on the key relative to `prefix`; matching keys are left out.',
    },
    'part-size': {
        description: 'Multipart threshold and part size: `512KiB`, `8MiB`, `1GiB`, or a plain number of MiB (min 512KiB, max 5GiB).',
        default: '20MiB',
    },
    concurrency: {
        description: 'Requests in flight at once, across objects and parts (1..64); `auto`: from the CPU count, 16 a core for small objects (32..64) and 4 a core for a large object’s parts (8..32).',
        default: 'auto',
    },
    'traffic-limit': {
        description: '`x-cos-traffic-limit` in bit/s per request (819200..838860800).',
    },
    crc: { description: 'Verify every byte against the object’s CRC64.', default: 'true' },
    fsync: {
        description: 'Make files and folders durable (fsync) before each rename and before the manifest, for power loss; off, like curl, rclone and the SDKs.',
        default: 'false',
    },
    overwrite: {
        description: '`changed` (skip files that match the remote), `always`, or `never`.',
        default: 'changed',
    },
    delete: {
        description: 'Remove files this tool wrote into `destination` (its manifest says so) that the prefix no longer ' +
            'holds, and folders that leaves empty; files it did not write are kept (with `prefix`).',
        default: 'false',
    },
    'allow-empty': {
        description: 'A prefix that lists no object succeeds with 0 files; by default it fails, naming the prefix (with `prefix`).',
        default: 'false',
    },
    'dry-run': {
        description: 'List what would be downloaded, skipped and deleted; write nothing.',
        default: 'false',
    },
    shard: { description: '`i/n` (1 ≤ i ≤ n): take only this job’s share of the keys (matrix fan-out).' },
    'sse-customer-key': { description: 'Base64 AES-256 key for SSE-C objects.', secret: true },
    retries: { description: 'Retries per request for transient failures (0..20).', default: '5' },
    timeout: {
        description: 'Idle timeout per request: seconds, or with a unit (`500ms`, `30s`, `2m`).',
        default: '60s',
    },
    'ca-cert': {
        description: 'A PEM file of extra CAs to trust besides the system ones (a TLS-inspecting proxy, a private endpoint), relative to the workspace.',
    },
    cache: { description: 'Keep the mirror in the GitHub Actions cache (with `prefix`).', default: 'false' },
    'cache-key': { description: 'Extra text mixed into the cache key.' },
    presign: {
        description: '`true` with `key`: make a temporary link to the object (outputs `url`, `url-expires-at`) and download nothing.',
        default: 'false',
    },
    expires: {
        description: 'How long a link made by `presign` stays valid: `1h` (default), `30m`, `600` (seconds), `2h30m`; 1s..7d.',
    },
    'response-cache-control': { description: 'Override `Cache-Control` of the response.', cliOnly: true },
    'response-content-disposition': { description: 'Override `Content-Disposition`.', cliOnly: true },
    'response-content-encoding': { description: 'Override `Content-Encoding`.', cliOnly: true },
    'response-content-language': { description: 'Override `Content-Language`.', cliOnly: true },
    'response-content-type': { description: 'Override `Content-Type`.', cliOnly: true },
    'response-expires': { description: 'Override `Expires`.', cliOnly: true },
};
const INPUT_NAMES = Object.keys(INPUTS);
/** Whether an input's value (as an InputReader gives it) is set to something other than its default. */
function differsFromDefault(name, value) {
    const fallback = INPUTS[name].default ?? '';
    return value !== undefined && value.trim().toLowerCase() !== fallback.toLowerCase();
}
const ACTION_INPUT_NAMES = INPUT_NAMES.filter((name) => !INPUTS[name].cliOnly);
const OUTPUTS = {
    etag: 'ETag of the object (single object).',
    'version-id': 'Version ID of the object, when versioned.',
    crc64: 'CRC64 (decimal) of the whole object, as COS reports it.',
    'content-length': 'Bytes written for the object (the range length for a ranged download).',
    'last-modified': 'Last-Modified of the object (ISO 8601).',
    'storage-class': 'Storage class of the object (`STANDARD` when COS omits it).',
    path: 'Absolute path of the downloaded file (or folder, for a prefix).',
    'not-modified': '`true` when a conditional GET answered 304 and nothing was written.',
    'files-downloaded': 'Files downloaded (prefix; 0 in a dry run).',
    'files-skipped': 'Files skipped because unchanged (prefix).',
    'files-deleted': 'Local files deleted by `delete` (prefix; 0 in a dry run).',
    'bytes-downloaded': 'Bytes this run fetched from COS, for an object or a prefix (0 in a dry run; bytes a resume kept are not counted).',
    manifest: 'Path of the JSON manifest: key, etag, version-id, crc64, size, local path (prefix).',
    'cache-hit': '`true`, `partial` or `false` (with `cache`).',
    'would-download': 'Dry run only: files (or the one object) that would be downloaded.',
    'would-download-bytes': 'Dry run only: bytes that would be downloaded.',
    'would-delete': 'Dry run only: local files `delete` would remove (prefix).',
    url: 'The temporary link `presign` made: a credential, masked in logs (use it in this job’s later steps).',
    'url-expires-at': 'When the link `presign` made expires (ISO 8601).',
};
/** Environment variables read for credentials, in order of preference. */
const CREDENTIAL_ENV = {
    secretId: ['TENCENTCLOUD_SECRET_ID', 'COS_SECRET_ID'],
    secretKey: ['TENCENTCLOUD_SECRET_KEY', 'COS_SECRET_KEY'],
    sessionToken: ['TENCENTCLOUD_SESSION_TOKEN'],
};


/***/ }),

/***/ 678:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   g: () => (/* binding */ parseCredentials)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8159);
/* harmony import */ var _inputs_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6097);


/** Credentials go into headers: printable ASCII, no spaces. */
function parseCredential(name, text, source) {
    const value = text.trim();
    if (!/^[\x21-\x7e]+$/.test(value)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: name,
            value,
            rule: `${source} must be printable ASCII without spaces`,
            fix: 'copy the value again from the Tencent Cloud console (CAM → API keys)',
        });
    }
    return value;
}
/** The credentials the inputs or the environment give, or undefined for anonymous access. */
function parseCredentials(get, env) {
    const fromEnv = (name) => {
        const value = name === undefined ? undefined : env[name];
        return value === undefined || value.trim() === '' ? undefined : value;
    };
    /** `sources` name where each value came from, for messages: `'secret-id'` or `env COS_SECRET_ID`. */
    const build = (id, key, token, sources) => ({
        secretId: parseCredential('secret-id', id, sources[0]),
        secretKey: parseCredential('secret-key', key, sources[1]),
        sessionToken: token === undefined ? undefined : parseCredential('session-token', token, sources[2]),
    });
    const token = get('session-token');
    const id = get('secret-id');
    const key = get('secret-key');
    if (id !== undefined || key !== undefined) {
        if (id === undefined || key === undefined) {
            const [given, missing] = id === undefined ? ['secret-key', 'secret-id'] : ['secret-id', 'secret-key'];
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
                input: missing,
                rule: `required because '${given}' is set (keys come in pairs)`,
                fix: `set '${missing}' too, or remove '${given}' to use the environment or anonymous access`,
            });
        }
        return build(id, key, token, ["'secret-id'", "'secret-key'", "'session-token'"]);
    }
    const families = _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .CREDENTIAL_ENV */ .c$.secretId.length;
    for (let i = 0; i < families; i++) {
        const idVar = _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .CREDENTIAL_ENV */ .c$.secretId[i];
        const keyVar = _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .CREDENTIAL_ENV */ .c$.secretKey[i];
        const tokenVar = _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .CREDENTIAL_ENV */ .c$.sessionToken[i];
        const envId = fromEnv(idVar);
        const envKey = fromEnv(keyVar);
        if (envId === undefined && envKey === undefined)
            continue;
        if (envId === undefined || envKey === undefined) {
            const [setVar, missingVar] = envId === undefined ? [keyVar, idVar] : [idVar, keyVar];
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
                input: envId === undefined ? 'secret-id' : 'secret-key',
                subject: `Environment variable ${setVar} is set but ${missingVar} is not`,
                rule: 'keys come in pairs',
                fix: `set ${missingVar} too, or pass 'secret-id' and 'secret-key'`,
            });
        }
        const envToken = token ?? fromEnv(tokenVar);
        const tokenSource = token === undefined ? `env ${tokenVar}` : "'session-token'";
        return build(envId, envKey, envToken, [`env ${idVar}`, `env ${keyVar}`, tokenSource]);
    }
    const strayToken = token !== undefined ? "'session-token'" : _inputs_js__WEBPACK_IMPORTED_MODULE_1__/* .CREDENTIAL_ENV */ .c$.sessionToken.find((v) => fromEnv(v));
    if (strayToken !== undefined) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: 'session-token',
            subject: `${token !== undefined ? "Input 'session-token'" : `Environment variable ${strayToken}`} is set without keys`,
            rule: "a session token works only with its 'secret-id' and 'secret-key' (temporary credentials come as three)",
            fix: "set 'secret-id' and 'secret-key' too, or remove the token for anonymous access",
        });
    }
    return undefined;
}


/***/ }),

/***/ 923:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  G: () => (/* binding */ parseCaCertInput),
  L: () => (/* binding */ parseKeylessInputs)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./lib/base/text.js
var base_text = __webpack_require__(8566);
// EXTERNAL MODULE: ./lib/config/errors.js
var errors = __webpack_require__(8159);
;// CONCATENATED MODULE: ./lib/config/ca-cert.js
// The `ca-cert` input: a PEM file of extra CA certificates (a TLS-inspecting proxy's, a private
// endpoint's), trusted in addition to Node's default roots, never instead of them. The file is read
// through an injected reader; everything else here is pure.




/** Larger than any CA bundle (the Mozilla roots take about 220 KiB). */
const CA_FILE_MAX_BYTES = 4 * 1024 * 1024;
const FIX = "give the path of a PEM file of CA certificates ('-----BEGIN CERTIFICATE-----' blocks), e.g. 'certs/corp-root.pem'";
const BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;
function caError(value, rule, fix = FIX, cause) {
    return new errors/* InputError */.dz({ input: 'ca-cert', value, rule, fix, cause });
}
function readRule(error) {
    const code = error?.code;
    switch (code) {
        case 'ENOENT':
            return 'the file does not exist';
        case 'EACCES':
        case 'EPERM':
            return 'the file cannot be read (permission denied)';
        case 'EISDIR':
            return 'this is a folder, not a file';
        case 'ENOTDIR':
            return 'a part of the path is a file, not a folder';
        case 'ENOTREG':
            return 'this is not a regular file (a device, a pipe or a socket)';
        case 'EFBIG':
            return `the file is larger than any CA bundle (at most ${CA_FILE_MAX_BYTES} bytes)`;
        default:
            return `the file cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
    }
}
/** The extra CAs the input names, or undefined when it is not set. Throws InputError. */
function parseCaCert(value, deps) {
    const given = value?.trim();
    if (given === undefined || given === '')
        return undefined;
    if ((0,base_text/* hasControlCharacter */.Fd)(given))
        throw caError(given, 'a path must not hold line breaks or control characters');
    let content;
    try {
        content = deps.readFile(external_node_path_.resolve(deps.cwd, given));
    }
    catch (error) {
        throw caError(given, readRule(error), FIX, error);
    }
    return parseCaPem(content, given);
}
/** The certificates of a CA file's content. Pure. Throws InputError naming `ca-cert` and `source`. */
function parseCaPem(content, source) {
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    if (size > CA_FILE_MAX_BYTES) {
        throw caError(source, `the file holds ${size} bytes, more than any CA bundle (at most ${CA_FILE_MAX_BYTES})`);
    }
    if (size === 0)
        throw caError(source, 'the file is empty');
    const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
    // A DER certificate is an ASN.1 SEQUENCE: 0x30 then a long-form length.
    if (bytes[0] === 0x30 && (bytes[1] === 0x82 || bytes[1] === 0x81)) {
        throw caError(source, 'the file is a binary (DER) certificate, not PEM', `convert it: openssl x509 -inform der -in '${source}' -out ca.pem, and give ca.pem`);
    }
    const text = bytes.toString('utf8');
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
        throw caError(source, 'the file holds a private key; a CA file holds certificates only', 'give the CA certificate alone (never a key), and replace that key if the file was shared');
    }
    const pems = text.match(BLOCK) ?? [];
    const begins = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    if (begins === 0) {
        throw caError(source, "the file holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line)");
    }
    if (pems.length !== begins) {
        throw caError(source, `a certificate block has no '-----END CERTIFICATE-----' line`, FIX);
    }
    pems.forEach((pem, index) => {
        try {
            new external_node_crypto_.X509Certificate(pem);
        }
        catch (error) {
            throw caError(source, `certificate ${index + 1} of ${pems.length} is not a valid X.509 certificate (${error instanceof Error ? error.message : String(error)})`, FIX, error);
        }
    });
    return { path: source, pems: pems.map((pem) => `${pem.replace(/\r\n/g, '\n')}\n`) };
}

// EXTERNAL MODULE: ./lib/config/inputs.js
var inputs = __webpack_require__(6097);
// EXTERNAL MODULE: ./lib/config/parse-values.js
var parse_values = __webpack_require__(7052);
// EXTERNAL MODULE: ./lib/config/role.js
var role = __webpack_require__(2116);
;// CONCATENATED MODULE: ./lib/config/parse-network.js
// The inputs that say how a run reaches its servers and proves who it is, besides the bucket's keys:
// extra trusted CAs (`ca-cert`) and keyless credentials (`role-arn` and the rest, and the CLI's
// `--web-identity-token-file`). Pure: the CA file is read through the injected reader.






/** The extra CAs `ca-cert` names, read and checked; undefined when it is not set. */
function parseCaCertInput(get, context) {
    const value = get('ca-cert');
    if (value === undefined)
        return undefined;
    const readFile = context.readFile;
    if (readFile === undefined)
        throw new TypeError("ParseContext.readFile is needed to read 'ca-cert'");
    return parseCaCert(value, { cwd: context.cwd, readFile: (file) => readFile(file, CA_FILE_MAX_BYTES) });
}
/** Where the static keys come from, for the message that refuses them beside `role-arn`. */
function staticSource(get, env) {
    for (const name of ['secret-id', 'secret-key', 'session-token']) {
        if (get(name) !== undefined)
            return `input '${name}'`;
    }
    for (const names of Object.values(inputs/* CREDENTIAL_ENV */.c$)) {
        for (const name of names)
            if (env[name]?.trim())
                return `env ${name}`;
    }
    return undefined;
}
/**
 * Keyless credentials, when `role-arn` (or another of their inputs) is set. Static keys beside them
 * are refused, whether inputs or environment variables: which of the two would sign the requests
 * is not a guess to make silently. An input equal to its action.yml default counts as not set (the
 * runner passes every default).
 */
function parseKeylessInputs(get, context, credentials) {
    const raw = {};
    for (const name of role/* ROLE_INPUTS */.xz) {
        const value = get(name);
        if (value !== undefined && value.trim() !== inputs/* INPUTS */.mc[name].default)
            raw[name] = value;
    }
    const source = credentials === undefined ? undefined : staticSource(get, context.env);
    const keyless = (0,role/* parseKeyless */.ez)(raw, {
        repository: context.env.GITHUB_REPOSITORY,
        runId: context.env.GITHUB_RUN_ID,
        runAttempt: context.env.GITHUB_RUN_ATTEMPT,
        hasStaticCredentials: credentials !== undefined,
        staticCredentialsSource: source,
    });
    const tokenFile = get('web-identity-token-file')?.trim();
    if (tokenFile === undefined)
        return keyless;
    (0,parse_values/* parseText */.r4)('web-identity-token-file', tokenFile, 'a path must not hold line breaks or control characters');
    if (keyless === undefined) {
        throw new errors/* InputError */.dz({
            input: 'web-identity-token-file',
            value: tokenFile,
            rule: "is used only with 'role-arn' (keyless credentials)",
            fix: "set 'role-arn' and 'provider-id' too, or remove 'web-identity-token-file'",
        });
    }
    if (raw.audience !== undefined) {
        throw new errors/* InputError */.dz({
            input: 'audience',
            value: raw.audience,
            rule: "applies only to the token the action asks GitHub for; a token file's audience is set where the token is made",
            fix: "remove 'audience', and ask your CI system for a token with that audience (GitLab: 'id_tokens: … aud:')",
        });
    }
    return { ...keyless, webIdentityTokenFile: external_node_path_.resolve(context.cwd, tokenFile) };
}


/***/ }),

/***/ 1036:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  cG: () => (/* binding */ parseInteger),
  A9: () => (/* binding */ parsePartSize),
  RC: () => (/* binding */ parseRange),
  uK: () => (/* binding */ parseShard),
  ZZ: () => (/* binding */ parseTimeout),
  Sq: () => (/* binding */ parseTrafficLimit)
});

// UNUSED EXPORTS: PART_SIZE_MAX, PART_SIZE_MIN, SHARD_COUNT_MAX, TIMEOUT_MAX_MS, parseSize

// EXTERNAL MODULE: ./lib/config/errors.js
var errors = __webpack_require__(8159);
;// CONCATENATED MODULE: ./lib/config/options.js
const TRAFFIC_LIMIT_MIN = 819_200;
const TRAFFIC_LIMIT_MAX = 838_860_800;
const MiB = 1024 * 1024;

;// CONCATENATED MODULE: ./lib/config/parse-numbers.js


const KiB = 1024;
const GiB = 1024 * MiB;
const PART_SIZE_MIN = 512 * KiB;
const PART_SIZE_MAX = 5 * GiB;
const SHARD_COUNT_MAX = 1024;
const TIMEOUT_MAX_MS = 3_600_000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** `int.frac` × factor, exactly; undefined when the product is not a whole number. */
function exactProduct(int, frac, factor) {
    const scale = 10n ** BigInt(frac.length);
    const scaled = BigInt(`${int}${frac}`) * BigInt(factor);
    return scaled % scale === 0n ? scaled / scale : undefined;
}
/** A whole number given as digits, if it is a safe integer. */
function safeDigits(digits) {
    const value = BigInt(digits);
    return value <= MAX_SAFE ? Number(value) : undefined;
}
// ---------------------------------------------------------------------------------------------------------
// Sizes
const SIZE_UNITS = {
    '': MiB,
    b: 1,
    kib: KiB,
    mib: MiB,
    gib: GiB,
    tib: 1024 * GiB,
};
const SI_UNITS = {
    k: 'KiB',
    kb: 'KiB',
    m: 'MiB',
    mb: 'MiB',
    g: 'GiB',
    gb: 'GiB',
    t: 'TiB',
    tb: 'TiB',
};
const SIZE_RULE = 'a size is a number with a binary unit (512KiB, 8MiB, 1.5GiB) or a plain number of MiB, more than 0 bytes';
/** `512KiB`, `8MiB`, `1.5GiB`, `1048576B`, or a plain number of MiB (`20` = 20MiB) → bytes. */
function parseSize(name, text) {
    const value = text.trim();
    const match = /^(\d+)(?:\.(\d+))? ?([a-z]*)$/i.exec(value);
    const fail = (rule, fix = "e.g. '20MiB'") => new errors/* InputError */.dz({ input: name, value, rule, fix });
    if (match === null)
        throw fail(SIZE_RULE);
    const [, int = '', frac = '', unitText = ''] = match;
    const unit = unitText.toLowerCase();
    const factor = SIZE_UNITS[unit];
    if (factor === undefined) {
        const binary = SI_UNITS[unit];
        if (binary !== undefined) {
            throw fail(`'${unitText}' is ambiguous (powers of 1000 or of 1024); sizes use the binary units KiB, MiB, GiB`, `write '${int}${frac === '' ? '' : `.${frac}`}${binary}'`);
        }
        throw fail(`unknown unit '${unitText}': ${SIZE_RULE}`);
    }
    const bytes = exactProduct(int, frac, factor);
    if (bytes === undefined) {
        const whole = (BigInt(`${int}${frac}`) * BigInt(factor)) / 10n ** BigInt(frac.length);
        throw fail('must be a whole number of bytes', `round it, e.g. '${whole}B'`);
    }
    if (bytes === 0n)
        throw fail(`must be more than 0 bytes`);
    if (bytes > MAX_SAFE)
        throw fail(`too large: at most ${Number.MAX_SAFE_INTEGER} bytes`);
    return Number(bytes);
}
function formatSize(bytes) {
    for (const [unit, factor] of [
        ['GiB', GiB],
        ['MiB', MiB],
        ['KiB', KiB],
    ]) {
        if (bytes % factor === 0)
            return `${bytes / factor}${unit}`;
    }
    return `${bytes}B`;
}
/** `part-size`: a size in PART_SIZE_MIN..PART_SIZE_MAX. */
function parsePartSize(text) {
    const bytes = parseSize('part-size', text);
    if (bytes < PART_SIZE_MIN || bytes > PART_SIZE_MAX) {
        throw new errors/* InputError */.dz({
            input: 'part-size',
            value: text.trim(),
            rule: `must be between ${formatSize(PART_SIZE_MIN)} and ${formatSize(PART_SIZE_MAX)} (got ${formatSize(bytes)})`,
            fix: `e.g. '${bytes < PART_SIZE_MIN ? formatSize(PART_SIZE_MIN) : formatSize(PART_SIZE_MAX)}' or '20MiB'`,
        });
    }
    return bytes;
}
// ---------------------------------------------------------------------------------------------------------
// Range, shard, traffic limit
const RANGE_FORMS = '(bytes=first-last, bytes=first- or bytes=-suffix)';
/** One HTTP byte range: `bytes=a-b` (a ≤ b), `bytes=a-`, `bytes=-n` (n > 0). */
function parseRange(text) {
    const value = text.trim();
    const fail = (rule, fix = "e.g. 'bytes=0-1023'") => new errors/* InputError */.dz({ input: 'range', value, rule: `${rule} ${RANGE_FORMS}`, fix });
    if (value.includes(','))
        throw fail('only one range is allowed', "download one range per step, e.g. 'bytes=0-1023'");
    if (/\s/.test(value)) {
        const squeezed = value.replace(/\s+/g, '');
        throw fail('must not contain spaces', /^bytes=\d*-\d*$/i.test(squeezed) ? `write '${squeezed}'` : undefined);
    }
    if (!/^bytes=/i.test(value)) {
        throw fail("must start with 'bytes='", /^\d*-\d*$/.test(value) ? `write 'bytes=${value}'` : undefined);
    }
    const match = /^bytes=(\d*)-(\d*)$/i.exec(value);
    if (match === null)
        throw fail('must be one range of whole byte positions');
    const [, firstText = '', lastText = ''] = match;
    if (firstText === '' && lastText === '')
        throw fail('needs a first byte, a last byte, or both');
    const first = firstText === '' ? undefined : safeDigits(firstText);
    const last = lastText === '' ? undefined : safeDigits(lastText);
    if ((firstText !== '' && first === undefined) || (lastText !== '' && last === undefined)) {
        throw fail(`byte positions must be at most ${Number.MAX_SAFE_INTEGER}`);
    }
    if (first === undefined) {
        if (last === undefined || last === 0)
            throw fail('the suffix length must be more than 0', "e.g. 'bytes=-1024'");
        return { kind: 'suffix', length: last };
    }
    if (last === undefined)
        return { kind: 'from', first };
    if (last < first)
        throw fail('the last byte must not be before the first', `e.g. 'bytes=${last}-${first}'`);
    return { kind: 'closed', first, last };
}
/** `i/n` with 1 ≤ i ≤ n ≤ SHARD_COUNT_MAX (1-based, like a matrix index + 1). */
function parseShard(text) {
    const value = text.trim();
    const rule = `must be 'i/n' with 1 ≤ i ≤ n ≤ ${SHARD_COUNT_MAX} (shard i of n, counted from 1)`;
    const fail = (detail, fix) => new errors/* InputError */.dz({ input: 'shard', value, rule: detail === '' ? rule : `${rule}; ${detail}`, fix });
    const match = /^(\d+)\/(\d+)$/.exec(value);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown to the user
    const matrixFix = "e.g. '1/2', or '${{ matrix.shard }}/2' with 'matrix: { shard: [1, 2] }'";
    if (match === null)
        throw fail('', matrixFix);
    const [, indexText = '', countText = ''] = match;
    const index = safeDigits(indexText) ?? Number.POSITIVE_INFINITY;
    const count = safeDigits(countText) ?? Number.POSITIVE_INFINITY;
    if (count < 1 || count > SHARD_COUNT_MAX)
        throw fail(`n = ${countText} is out of range`, "e.g. '1/2'");
    if (index < 1)
        throw fail('shards are counted from 1', `e.g. '1/${count}' for the first shard`);
    if (index > count)
        throw fail(`i = ${indexText} is more than n = ${countText}`, `e.g. '${count}/${count}' for the last shard`);
    return { index, count };
}
const TRAFFIC_RULE = `must be a whole number of bit/s in ${TRAFFIC_LIMIT_MIN}..${TRAFFIC_LIMIT_MAX} ` +
    `(${TRAFFIC_LIMIT_MIN} bit/s = 100 KiB/s, ${TRAFFIC_LIMIT_MAX} bit/s = 100 MiB/s)`;
/** `x-cos-traffic-limit` in bit/s, TRAFFIC_LIMIT_MIN..TRAFFIC_LIMIT_MAX. */
function parseTrafficLimit(text) {
    const value = text.trim();
    const fail = (fix) => new errors/* InputError */.dz({ input: 'traffic-limit', value, rule: TRAFFIC_RULE, fix });
    if (!/^\d+$/.test(value))
        throw fail("e.g. '8388608' (1 MiB/s = 1048576 bytes/s × 8)");
    const bits = safeDigits(value) ?? Number.POSITIVE_INFINITY;
    if (bits < TRAFFIC_LIMIT_MIN)
        throw fail(`e.g. '${TRAFFIC_LIMIT_MIN}' (the lowest limit)`);
    if (bits > TRAFFIC_LIMIT_MAX)
        throw fail(`e.g. '${TRAFFIC_LIMIT_MAX}' (the highest limit), or leave it unset`);
    return bits;
}
// ---------------------------------------------------------------------------------------------------------
// Integers, timeouts
/** A whole number in min..max, digits only (no sign, no exponent, no fraction). */
function parseInteger(name, text, min, max) {
    const value = text.trim();
    const number = /^\d+$/.test(value) ? safeDigits(value) : undefined;
    if (number === undefined || number < min || number > max) {
        throw new errors/* InputError */.dz({
            input: name,
            value,
            rule: `must be a whole number in ${min}..${max}`,
            fix: `e.g. '${Math.min(Math.max(number ?? min, min), max)}'`,
        });
    }
    return number;
}
const TIME_UNITS = { '': 1000, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** Seconds (`60`), or with a unit: `500ms`, `30s`, `2m`, `1h`; more than 0, at most 1h → milliseconds. */
function parseTimeout(text) {
    const value = text.trim();
    const fail = (rule) => new errors/* InputError */.dz({ input: 'timeout', value, rule, fix: "e.g. '60s', '500ms' or '2m'" });
    const match = /^(\d+)(?:\.(\d+))?(ms|s|m|h|)$/.exec(value);
    if (match === null)
        throw fail("must be seconds, or a number with a unit 'ms', 's', 'm' or 'h'");
    const [, int = '', frac = '', unit = ''] = match;
    const ms = exactProduct(int, frac, TIME_UNITS[unit] ?? 1000);
    if (ms === undefined)
        throw fail('must be a whole number of milliseconds');
    if (ms === 0n)
        throw fail('must be more than 0');
    if (ms > BigInt(TIMEOUT_MAX_MS))
        throw fail('must be at most 1h');
    return Number(ms);
}


/***/ }),

/***/ 7203:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   MM: () => (/* binding */ parseObjectTarget),
/* harmony export */   WN: () => (/* binding */ parseConditions),
/* harmony export */   vn: () => (/* binding */ parsePrefixTarget)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8159);
/* harmony import */ var _parse_numbers_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1036);
/* harmony import */ var _parse_values_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7052);



const OBJECT_ONLY = [
    'version-id',
    'range',
    'if-match',
    'if-none-match',
    'if-modified-since',
    'if-unmodified-since',
    'response-cache-control',
    'response-content-disposition',
    'response-content-encoding',
    'response-content-language',
    'response-content-type',
    'response-expires',
];
const PREFIX_ONLY = ['include', 'exclude', 'shard'];
/** The conditional GET inputs (`if-match`, `if-none-match`, `if-modified-since`, `if-unmodified-since`). */
function parseConditions(get) {
    const optional = (name, parse) => {
        const value = get(name);
        return value === undefined ? undefined : parse(value);
    };
    const etag = (name) => (t) => (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseText */ .r4)(name, t.trim(), 'an ETag must not contain control characters');
    return {
        ifMatch: optional('if-match', etag('if-match')),
        ifNoneMatch: optional('if-none-match', etag('if-none-match')),
        ifModifiedSince: optional('if-modified-since', (t) => (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseDate */ ._U)('if-modified-since', t)),
        ifUnmodifiedSince: optional('if-unmodified-since', (t) => (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseDate */ ._U)('if-unmodified-since', t)),
    };
}
function parseObjectTarget(get, key) {
    if (key.endsWith('/')) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: 'key',
            value: key,
            rule: "a key ending in '/' is a folder marker, not a file",
            fix: `use 'prefix: ${key}' to download the folder`,
        });
    }
    if (key.startsWith('/')) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: 'key',
            value: key,
            rule: "object keys do not start with '/'",
            fix: `write '${key.replace(/^\/+/, '')}'`,
        });
    }
    (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseText */ .r4)('key', key);
    for (const name of PREFIX_ONLY) {
        const value = get(name);
        if (value !== undefined) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
                input: name,
                value,
                rule: "applies only to a folder mirror ('prefix'), not to one object ('key')",
                fix: `remove '${name}', or use 'prefix' instead of 'key'`,
            });
        }
    }
    const optional = (name, parse) => {
        const value = get(name);
        return value === undefined ? undefined : parse(value);
    };
    const versionId = optional('version-id', (t) => (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseText */ .r4)('version-id', t.trim()));
    const range = optional('range', _parse_numbers_js__WEBPACK_IMPORTED_MODULE_1__/* .parseRange */ .RC);
    const conditions = parseConditions(get);
    const overrideFields = [
        ['response-cache-control', 'cacheControl'],
        ['response-content-disposition', 'contentDisposition'],
        ['response-content-encoding', 'contentEncoding'],
        ['response-content-language', 'contentLanguage'],
        ['response-content-type', 'contentType'],
        ['response-expires', 'expires'],
    ];
    const responseOverrides = {};
    for (const [name, field] of overrideFields) {
        const value = optional(name, (t) => (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseText */ .r4)(name, t.trim()));
        if (value !== undefined)
            responseOverrides[field] = value;
    }
    return {
        kind: 'object',
        key,
        versionId,
        range,
        conditions,
        responseOverrides,
    };
}
function parsePrefixTarget(get, prefixText, flags) {
    for (const name of OBJECT_ONLY) {
        const value = get(name);
        if (value !== undefined) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
                input: name,
                value,
                rule: "applies only to one object ('key'), not to a folder mirror ('prefix')",
                fix: `remove '${name}', or download one object with 'key'`,
            });
        }
    }
    (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseText */ .r4)('prefix', prefixText);
    if (prefixText !== '/' && prefixText.startsWith('/')) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz({
            input: 'prefix',
            value: prefixText,
            rule: "a prefix does not start with '/' (only '/' alone means the whole bucket)",
            fix: `write '${prefixText.replace(/^\/+/, '')}'`,
        });
    }
    const include = get('include');
    const exclude = get('exclude');
    const shard = get('shard');
    return {
        kind: 'prefix',
        prefix: prefixText === '/' ? '' : prefixText,
        include: include === undefined ? [] : (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseGlobs */ .nS)('include', include),
        exclude: exclude === undefined ? [] : (0,_parse_values_js__WEBPACK_IMPORTED_MODULE_2__/* .parseGlobs */ .nS)('exclude', exclude),
        ...flags,
        shard: shard === undefined ? undefined : (0,_parse_numbers_js__WEBPACK_IMPORTED_MODULE_1__/* .parseShard */ .uK)(shard),
    };
}


/***/ }),

/***/ 7052:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   E9: () => (/* binding */ parseSseKey),
/* harmony export */   P: () => (/* binding */ BUCKET_FIX),
/* harmony export */   W5: () => (/* binding */ parseBucket),
/* harmony export */   _U: () => (/* binding */ parseDate),
/* harmony export */   cf: () => (/* binding */ parseRegion),
/* harmony export */   nS: () => (/* binding */ parseGlobs),
/* harmony export */   r4: () => (/* binding */ parseText),
/* harmony export */   rV: () => (/* binding */ parseOverwrite),
/* harmony export */   yG: () => (/* binding */ parseBoolean)
/* harmony export */ });
/* harmony import */ var _base_text_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8566);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8159);


// ---------------------------------------------------------------------------------------------------------
// Booleans, dates, enums
/** `true` / `false` as YAML 1.2 core schema spells them: `true|True|TRUE|false|False|FALSE`. */
function parseBoolean(name, text) {
    const value = text.trim();
    if (/^(?:true|True|TRUE)$/.test(value))
        return true;
    if (/^(?:false|False|FALSE)$/.test(value))
        return false;
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({ input: name, value, rule: 'must be true or false', fix: "write 'true' or 'false'" });
}
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HTTP_DATE = new RegExp(`^(${WEEKDAYS.join('|')}), (\\d{2}) (${MONTHS.join('|')}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;
/** Milliseconds since the epoch for calendar fields, or undefined when a field is out of range. */
function utcTime(year, month, day, hour, minute, second) {
    if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || day < 1)
        return undefined;
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, 0);
    return date.getUTCDate() === day ? date.getTime() : undefined;
}
/** An RFC 9110 (7231) HTTP date `Wed, 21 Oct 2015 07:28:00 GMT`, or ISO 8601 (`2015-10-21`, `…T07:28:00Z`). */
function parseDate(name, text) {
    const value = text.trim();
    const fail = (rule, fix = "e.g. 'Wed, 21 Oct 2015 07:28:00 GMT' or '2015-10-21T07:28:00Z'") => new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({ input: name, value, rule, fix });
    const RULE = 'must be an HTTP date or an ISO 8601 date (time with a zone)';
    const http = HTTP_DATE.exec(value);
    if (http !== null) {
        const [, weekday = '', day = '', month = '', year = '', hour = '', minute = '', second = ''] = http;
        const time = utcTime(Number(year), MONTHS.indexOf(month) + 1, Number(day), Number(hour), Number(minute), Number(second));
        if (time === undefined)
            throw fail(`${RULE}; no such day or time`);
        const date = new Date(time);
        if (WEEKDAYS[date.getUTCDay()] !== weekday) {
            throw fail(`${RULE}; ${day} ${month} ${year} is not a ${weekday}`, `write '${date.toUTCString()}'`);
        }
        return date;
    }
    const iso = ISO_DATE.exec(value);
    if (iso === null)
        throw fail(RULE);
    const [, year = '', month = '', day = '', hour, minute = '0', second = '0', fraction = '', zone] = iso;
    if (hour !== undefined && zone === undefined) {
        throw fail(`${RULE}; a time without a zone is ambiguous`, `write '${value}Z' for UTC, or add an offset like +08:00`);
    }
    const local = utcTime(Number(year), Number(month), Number(day), Number(hour ?? 0), Number(minute), Number(second));
    if (local === undefined)
        throw fail(`${RULE}; no such day or time`);
    let offsetMinutes = 0;
    if (zone !== undefined && zone.toUpperCase() !== 'Z') {
        const digits = zone.slice(1).replace(':', '');
        const offsetHours = Number(digits.slice(0, 2));
        const offsetMins = Number(digits.slice(2));
        if (offsetHours > 23 || offsetMins > 59)
            throw fail(`${RULE}; no such time zone offset ${zone}`);
        offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
    }
    const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
    return new Date(local - offsetMinutes * 60_000 + millis);
}
/** `changed`, `always` or `never`. */
function parseOverwrite(text) {
    const value = text.trim();
    if (value === 'changed' || value === 'always' || value === 'never')
        return value;
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
        input: 'overwrite',
        value,
        rule: "must be 'changed' (skip files that match the remote), 'always' or 'never'",
        fix: "e.g. 'changed'",
    });
}
// ---------------------------------------------------------------------------------------------------------
// Bucket, region
const BUCKET_RULE = "must be BucketName-APPID: lowercase letters, digits and '-' (not first or last), then '-' and the " +
    'numeric APPID, at most 60 characters';
const BUCKET_FIX = "e.g. 'examplebucket-1250000000'";
const BUCKET_MAX = 60;
/** COS bucket `BucketName-APPID`, e.g. `examplebucket-1250000000`. */
function parseBucket(text) {
    const value = text.trim();
    const fail = (detail, fix = BUCKET_FIX) => new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
        input: 'bucket',
        value,
        rule: detail === '' ? BUCKET_RULE : `${BUCKET_RULE}; ${detail}`,
        fix,
    });
    if (value.length > BUCKET_MAX)
        throw fail(`this one has ${value.length}`);
    if (/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-\d+$/.test(value))
        return value;
    if (/[A-Z]/.test(value) && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-\d+$/.test(value.toLowerCase())) {
        throw fail('no capital letters', `write '${value.toLowerCase()}'`);
    }
    if (/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(value) && !/-\d+$/.test(value)) {
        throw fail('the APPID is missing', `append your APPID, e.g. '${value}-1250000000'`);
    }
    throw fail('');
}
/** Region codes of the old (v4) API, mapped to today's names for the fix. */
const LEGACY_REGIONS = {
    gz: 'ap-guangzhou',
    sh: 'ap-shanghai',
    tj: 'ap-beijing-1',
    bj: 'ap-beijing',
    cd: 'ap-chengdu',
    sgp: 'ap-singapore',
    hk: 'ap-hongkong',
    ca: 'na-toronto',
    ger: 'eu-frankfurt',
};
const REGION_RULE = "must be a COS region like 'ap-guangzhou', 'na-siliconvalley' or 'ap-shanghai-fsi'";
/** COS region, e.g. `ap-guangzhou`, `na-siliconvalley`, `ap-shanghai-fsi`, `ap-beijing-1`. */
function parseRegion(text) {
    const value = text.trim();
    const fail = (detail, fix = "e.g. 'ap-guangzhou'") => new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
        input: 'region',
        value,
        rule: detail === '' ? REGION_RULE : `${REGION_RULE}; ${detail}`,
        fix,
    });
    const valid = (candidate) => candidate.length <= 32 && /^[a-z]{2}-[a-z]+(?:-[a-z0-9]+)*$/.test(candidate);
    if (valid(value))
        return value;
    const lower = value.toLowerCase();
    if (lower === 'accelerate') {
        throw fail("'accelerate' is a domain, not a region", "set 'accelerate: true' and the bucket's region, e.g. 'ap-guangzhou'");
    }
    if (lower.startsWith('cos.') && valid(lower.slice(4))) {
        throw fail("without the 'cos.' prefix", `write '${lower.slice(4)}'`);
    }
    if (value !== lower && valid(lower))
        throw fail('lowercase only', `write '${lower}'`);
    const modern = LEGACY_REGIONS[lower];
    if (modern !== undefined)
        throw fail('old short codes are not accepted', `write '${modern}'`);
    throw fail('');
}
// ---------------------------------------------------------------------------------------------------------
// Globs, SSE-C key, free text
/** Newline-separated globs: each line trimmed; blank lines and lines starting with `#` dropped. */
function parseGlobs(name, text) {
    const globs = [];
    for (const line of text.split(/\r?\n|\r/)) {
        const glob = line.trim();
        if (glob === '' || glob.startsWith('#'))
            continue;
        const fail = (rule, fix) => new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({ input: name, value: glob, rule, fix });
        if ((0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .hasControlCharacter */ .Fd)(glob))
            throw fail('a glob must not contain control characters', 'remove them');
        if (glob.startsWith('/')) {
            throw fail("globs match the key relative to 'prefix', so they never start with '/'", `write '${glob.replace(/^\/+/, '')}'`);
        }
        globs.push(glob);
    }
    return globs;
}
/** SSE-C key: standard base64 of exactly 32 bytes (AES-256). The value never appears in a message. */
function parseSseKey(text) {
    const value = text.trim();
    const fail = (detail) => new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
        input: 'sse-customer-key',
        value,
        rule: `must be standard base64 of exactly 32 bytes (an AES-256 key); ${detail}`,
        fix: "generate one with 'openssl rand -base64 32' and keep it in a secret",
    });
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
        throw fail('it is not base64 (A-Z a-z 0-9 + / and = padding)');
    }
    const bytes = Buffer.from(value, 'base64');
    if (bytes.toString('base64') !== value)
        throw fail('its padding is wrong');
    if (bytes.length !== 32)
        throw fail(`it decodes to ${bytes.length} bytes`);
    return value;
}
/** Text sent in a header or a query: no control characters (no header injection). */
function parseText(name, text, rule = 'must not contain control characters') {
    if ((0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .hasControlCharacter */ .Fd)(text)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: name,
            value: text,
            rule,
            fix: 'remove line breaks and control characters',
        });
    }
    return text;
}


/***/ }),

/***/ 4365:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  Rr: () => (/* binding */ RETRIES_RANGE),
  ol: () => (/* binding */ deepFreeze),
  cN: () => (/* binding */ inputReader),
  Ac: () => (/* binding */ parseOptions)
});

// UNUSED EXPORTS: CONCURRENCY_RANGE

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./lib/base/state-name.js
var state_name = __webpack_require__(6098);
// EXTERNAL MODULE: ./lib/base/text.js
var base_text = __webpack_require__(8566);
// EXTERNAL MODULE: ./lib/config/endpoint.js
var config_endpoint = __webpack_require__(7049);
// EXTERNAL MODULE: ./lib/config/errors.js
var errors = __webpack_require__(8159);
// EXTERNAL MODULE: ./lib/config/inputs.js
var inputs = __webpack_require__(6097);
// EXTERNAL MODULE: ./lib/config/parse-credentials.js
var parse_credentials = __webpack_require__(678);
// EXTERNAL MODULE: ./lib/config/parse-target.js
var parse_target = __webpack_require__(7203);
// EXTERNAL MODULE: ./lib/config/role.js
var role = __webpack_require__(2116);
;// CONCATENATED MODULE: ./lib/config/parse-link.js
// The `url` input: a link to download (a presigned COS URL, or any ranged-HTTPS URL). A link is a
// credential, so no message shows it, only its origin and path; and it names its server, object,
// version and signature itself, so the inputs that would say those again are refused by name.





/** Inputs a link makes pointless, each with why; refused when set to anything but their default. */
const NOT_WITH_URL = [
    [
        ['bucket', 'region', 'endpoint', 'accelerate'],
        'a link names its server and object itself',
        "remove it, or download by 'key' instead of 'url'",
    ],
    [
        ['secret-id', 'secret-key', 'session-token', ...role/* ROLE_INPUTS */.xz, 'web-identity-token-file'],
        'a link carries its own signature: no credentials sign its requests',
        'remove it',
    ],
    [
        [
            'version-id',
            'response-cache-control',
            'response-content-disposition',
            'response-content-encoding',
            'response-content-language',
            'response-content-type',
            'response-expires',
        ],
        "belongs in a link's signed query, so it cannot be added to one",
        "make the link with it (e.g. 'cos-download presign --version-id …'), or remove it",
    ],
    [['range'], 'a link downloads the whole object', "remove 'range', or download by 'key'"],
    [
        ['include', 'exclude', 'shard', 'delete', 'allow-empty', 'cache', 'cache-key'],
        "applies only to a folder mirror ('prefix'), not to a link ('url')",
        'remove it',
    ],
    [['expires'], "is for making a link ('presign'), not for downloading one", "remove 'expires'"],
];
/** The link as a message may name it: origin and path, never the query (its signature). */
function shownLink(url) {
    return `${url.protocol}//${url.host}${url.pathname}`;
}
/** Why `name` (a decoded path segment) cannot be a file's name; undefined when it can. */
function fileNameProblem(name) {
    if (name === '')
        return 'its path ends in "/", so it names no file';
    if (name === '.' || name === '..')
        return `its file name '${name}' cannot name a file`;
    if (/[/\\]/.test(name))
        return "its file name holds a '/' or '\\' (encoded in the link)";
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters refused
    if (/[\x00-\x1f\x7f]/.test(name))
        return 'its file name holds NUL or a control character';
    if (Buffer.byteLength(name) > 255)
        return 'its file name is longer than 255 bytes';
    return undefined;
}
/** Parses `url` and refuses the inputs that do not go with a link. Throws InputError naming the input. */
function parseLinkTarget(get, text) {
    const value = text.trim();
    const fail = (rule, fix, subject) => new errors/* InputError */.dz({ input: 'url', value, rule, fix, subject });
    // The URL parser drops tabs and line breaks silently: a link broken across lines is refused instead.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters refused
    if (/[\s\x00-\x1f\x7f]/.test(value)) {
        throw fail('holds a space, line break or control character', 'copy the link again, whole and on one line (spaces in a link are written %20)');
    }
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw fail('is not an absolute URL', "copy the whole link, from 'https://' on");
    }
    const subject = `Input 'url' (the link to ${shownLink(url)})`;
    if (url.protocol === 'http:' && !(0,config_endpoint/* isLoopbackHost */.cW)(url)) {
        throw fail('uses plain http, which would send the link (a credential) and the bytes unencrypted', 'use the https:// form of the link (plain http only to this machine)', subject);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw fail(`must be an https:// URL, not ${url.protocol}`, "copy the link from 'https://' on", subject);
    }
    if (url.username !== '' || url.password !== '') {
        throw fail('holds user:password@ credentials, which would end up in logs and process lists', "remove 'user:password@': a link carries its own signature", `Input 'url' (a link to ${url.protocol}//${url.host}${url.pathname})`);
    }
    if (value.includes('#')) {
        throw fail("has a fragment ('#…'), which is never sent to the server", "copy the link again; a '#' in an object key is written %23", subject);
    }
    for (const [names, rule, fix] of NOT_WITH_URL) {
        for (const name of names) {
            const given = get(name);
            if (!(0,inputs/* differsFromDefault */.$_)(name, given))
                continue;
            throw new errors/* InputError */.dz({ input: name, value: given, rule: `${rule} ('url' is set)`, fix });
        }
    }
    const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    let fileName;
    let problem;
    try {
        fileName = decodeURIComponent(segment);
        problem = fileNameProblem(fileName);
    }
    catch {
        problem = 'its file name is not valid percent-encoding';
    }
    return {
        kind: 'link',
        url: value,
        name: shownLink(url),
        ...(problem === undefined && fileName !== undefined ? { fileName } : { fileNameProblem: problem ?? '' }),
        conditions: (0,parse_target/* parseConditions */.WN)(get),
    };
}

// EXTERNAL MODULE: ./lib/config/parse-network.js + 1 modules
var parse_network = __webpack_require__(923);
// EXTERNAL MODULE: ./lib/config/parse-numbers.js + 1 modules
var parse_numbers = __webpack_require__(1036);
// EXTERNAL MODULE: ./lib/config/parse-values.js
var parse_values = __webpack_require__(7052);
;// CONCATENATED MODULE: ./lib/config/parse.js
// Raw inputs (strings, as the action or the CLI reads them) → the typed, deep-frozen Options the core runs
// on. Every check happens here, before any request. Pure: no I/O besides the injected `isDirectory`,
// `realpath` and `readFile`.












const CONCURRENCY_RANGE = { min: 1, max: 64 };
const RETRIES_RANGE = { min: 0, max: 20 };
function defaultOf(name) {
    const fallback = inputs/* INPUTS */.mc[name].default;
    if (fallback === undefined)
        throw new TypeError(`input '${name}' has no default in INPUTS`);
    return fallback;
}
function endsWithSeparator(text) {
    return text.endsWith('/') || (external_node_path_.sep === '\\' && text.endsWith('\\'));
}
function resolveDestination(target, text, context) {
    if (text !== undefined) {
        (0,parse_values/* parseText */.r4)('destination', text);
        if (text === '~' || text.startsWith('~/') || text.startsWith('~\\')) {
            throw new errors/* InputError */.dz({
                input: 'destination',
                value: text,
                rule: "'~' is not expanded: the destination is relative to the workspace",
                // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown to the user
                fix: "use an absolute path (e.g. under '${{ runner.temp }}') or a path inside the workspace",
                flagFix: 'let the shell expand it (write ~/… unquoted), or give an absolute path',
            });
        }
    }
    const resolved = text === undefined ? context.cwd : external_node_path_.resolve(context.cwd, text);
    if (target.kind === 'prefix')
        return resolved;
    const needsBaseName = text === undefined || endsWithSeparator(text) || context.isDirectory(resolved);
    if (!needsBaseName)
        return resolved;
    if (target.kind === 'link') {
        if (target.fileName === undefined) {
            throw new errors/* InputError */.dz({
                input: 'url',
                subject: `Input 'url' (the link to ${target.name})`,
                rule: `the destination is a folder, which takes the link's file name, but ${target.fileNameProblem ?? 'it has none'}`,
                fix: "set 'destination' to a file path, e.g. 'download.bin'",
            });
        }
        return external_node_path_.join(resolved, target.fileName);
    }
    const baseName = target.key.slice(target.key.lastIndexOf('/') + 1);
    if (baseName === '.' || baseName === '..') {
        throw new errors/* InputError */.dz({
            input: 'key',
            value: target.key,
            rule: `its base name '${baseName}' cannot name a file`,
            fix: "set 'destination' to a file path, e.g. 'download.bin'",
        });
    }
    return external_node_path_.join(resolved, baseName);
}
/** `inner` is `outer` or lies under it. */
function within(outer, inner) {
    const relative = external_node_path_.relative(outer, inner);
    return (relative === '' ||
        (relative !== '..' && !relative.startsWith(`..${external_node_path_.sep}`) && !external_node_path_.isAbsolute(relative)));
}
/**
 * A destination never runs through cos-download's state folder, and a relative one stays in the
 * workspace: a symlink committed into the workspace must not lead the download outside it.
 */
function checkDestination(destination, text, context) {
    const shown = text ?? '.';
    if (destination.split(/[\\/]/).some(state_name/* isStateSegment */.d)) {
        throw new errors/* InputError */.dz({
            input: 'destination',
            value: shown,
            rule: "it runs through '.cos-download', the folder where cos-download keeps its own files",
            fix: "choose another destination, e.g. 'downloads/'",
        });
    }
    const realpath = context.realpath;
    if (realpath === undefined || (text !== undefined && external_node_path_.isAbsolute(text)))
        return;
    const workspace = realpath(context.cwd) ?? context.cwd;
    let existing = destination;
    while (realpath(existing) === undefined && external_node_path_.dirname(existing) !== existing)
        existing = external_node_path_.dirname(existing);
    const real = external_node_path_.join(realpath(existing) ?? existing, external_node_path_.relative(existing, destination));
    if (!within(workspace, real)) {
        throw new errors/* InputError */.dz({
            input: 'destination',
            value: shown,
            rule: `a link in the workspace leads it outside the workspace, to '${real}'`,
            fix: 'remove the link, or give that place as an absolute path if it is meant',
        });
    }
}
/** `value` and everything in it, frozen. */
function deepFreeze(value) {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const inner of Object.values(value))
            deepFreeze(inner);
    }
    return value;
}
/** Reads `raw` by name: blank and unset are both undefined. */
function inputReader(raw) {
    return (name) => {
        const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
        return value === undefined || value.trim() === '' ? undefined : value;
    };
}
/** Parses and checks every input; returns deep-frozen Options or throws the first InputError. */
function parseOptions(raw, context) {
    if (!external_node_path_.isAbsolute(context.cwd))
        throw new TypeError(`ParseContext.cwd must be absolute: ${context.cwd}`);
    const get = inputReader(raw);
    const orDefault = (name) => get(name) ?? defaultOf(name);
    if ((0,parse_values/* parseBoolean */.yG)('presign', orDefault('presign'))) {
        throw new errors/* InputError */.dz({
            input: 'presign',
            value: orDefault('presign'),
            rule: 'makes a link instead of downloading, so it is not a download option',
            fix: "run 'cos-download presign …' (the CLI) or call presignUrl (the library); the action takes 'presign: true'",
        });
    }
    const key = get('key');
    const prefix = get('prefix');
    const link = get('url');
    if (link !== undefined && (key !== undefined || prefix !== undefined)) {
        const other = key !== undefined ? 'key' : 'prefix';
        throw new errors/* InputError */.dz({
            input: 'url',
            subject: `Inputs 'url' and '${other}' = ${(0,base_text/* quoteValue */.cl)(get(other) ?? '')} are both set`,
            rule: "exactly one may be set: 'url' downloads a link, 'key' one object, 'prefix' every object under it",
            fix: `remove 'url' or '${other}'`,
        });
    }
    if (link !== undefined)
        return parseLinkOptions(get, orDefault, link, context);
    const bucketText = get('bucket');
    if (bucketText === undefined) {
        throw new errors/* InputError */.dz({ input: 'bucket', rule: 'required: the bucket to download from', fix: parse_values/* BUCKET_FIX */.P });
    }
    const bucket = (0,parse_values/* parseBucket */.W5)(bucketText);
    if (key !== undefined && prefix !== undefined) {
        throw new errors/* InputError */.dz({
            input: 'key',
            subject: `Inputs 'key' = ${(0,base_text/* quoteValue */.cl)(key)} and 'prefix' = ${(0,base_text/* quoteValue */.cl)(prefix)} are both set`,
            rule: "exactly one may be set: 'key' downloads one object, 'prefix' mirrors every object under it",
            fix: "remove 'key' or 'prefix'",
        });
    }
    if (key === undefined && prefix === undefined) {
        throw new errors/* InputError */.dz({
            input: 'key',
            subject: "None of 'key', 'prefix' or 'url' is set",
            rule: 'exactly one says what to download',
            fix: "set 'key: path/to/file.bin' for one object, 'prefix: path/to/folder/' for a folder ('/' = the whole bucket), or 'url: LINK' for a link",
        });
    }
    const deleteExtra = (0,parse_values/* parseBoolean */.yG)('delete', orDefault('delete'));
    const allowEmpty = (0,parse_values/* parseBoolean */.yG)('allow-empty', orDefault('allow-empty'));
    const cache = (0,parse_values/* parseBoolean */.yG)('cache', orDefault('cache'));
    if (key !== undefined) {
        for (const [name, on] of [
            ['delete', deleteExtra],
            ['allow-empty', allowEmpty],
            ['cache', cache],
        ]) {
            if (on) {
                throw new errors/* InputError */.dz({
                    input: name,
                    value: orDefault(name),
                    rule: "applies only to a folder mirror ('prefix'), not to one object ('key')",
                    fix: `remove '${name}', or use 'prefix' instead of 'key'`,
                });
            }
        }
    }
    const target = key !== undefined
        ? (0,parse_target/* parseObjectTarget */.MM)(get, key)
        : (0,parse_target/* parsePrefixTarget */.vn)(get, prefix ?? '', { delete: deleteExtra, allowEmpty });
    const cacheKeyText = get('cache-key');
    if (cacheKeyText !== undefined && !cache) {
        throw new errors/* InputError */.dz({
            input: 'cache-key',
            value: cacheKeyText,
            rule: "is used only with 'cache: true' (and 'prefix')",
            fix: "set 'cache: true', or remove 'cache-key'",
        });
    }
    const cacheKey = cacheKeyText === undefined
        ? undefined
        : (0,parse_values/* parseText */.r4)('cache-key', cacheKeyText.trim(), 'must not contain control characters');
    if (cacheKey?.includes(',')) {
        throw new errors/* InputError */.dz({
            input: 'cache-key',
            value: cacheKey,
            rule: 'must not contain commas (the Actions cache refuses them)',
            fix: `write '${cacheKey.replaceAll(',', '-')}'`,
        });
    }
    const regionText = get('region');
    const region = regionText === undefined ? undefined : (0,parse_values/* parseRegion */.cf)(regionText);
    const accelerate = (0,parse_values/* parseBoolean */.yG)('accelerate', orDefault('accelerate'));
    const endpoint = (0,config_endpoint/* resolveEndpoint */.sO)({ bucket, region, endpoint: get('endpoint')?.trim(), accelerate });
    const credentials = (0,parse_credentials/* parseCredentials */.g)(get, context.env);
    const keyless = (0,parse_network/* parseKeylessInputs */.L)(get, context, credentials);
    const caCert = (0,parse_network/* parseCaCertInput */.G)(get, context);
    const { retries, timeoutMs, ...transfer } = parseTransferInputs(get, orDefault);
    const destination = resolveDestination(target, get('destination'), context);
    checkDestination(destination, get('destination'), context);
    if (cache && encloses(destination, context.cwd)) {
        throw new errors/* InputError */.dz({
            input: 'destination',
            value: get('destination') ?? '.',
            rule: "with 'cache: true' the destination folder is saved whole, and this one holds the workspace",
            fix: "give the mirror a folder of its own, e.g. 'destination: downloads'",
        });
    }
    const options = {
        connection: { bucket, region, endpoint, credentials, retries, timeoutMs },
        caCert,
        keyless,
        target,
        destination,
        ...transfer,
        cache,
        cacheKey,
    };
    return deepFreeze(options);
}
/** How every download goes, whatever it downloads: requests, parts, checks, the local file. */
/** `auto` (sized from the machine by the core), or a number of requests, 1..64. */
function parseConcurrency(text) {
    const value = text.trim();
    if (value.toLowerCase() === 'auto')
        return 'auto';
    const { min, max } = CONCURRENCY_RANGE;
    const number = /^\d{1,3}$/.test(value) ? Number(value) : undefined;
    if (number === undefined || number < min || number > max) {
        throw new errors/* InputError */.dz({
            input: 'concurrency',
            value,
            rule: `must be 'auto' or a whole number in ${min}..${max}`,
            fix: `e.g. '${Math.min(Math.max(number ?? 8, min), max)}', or 'auto' (the default: sized from the CPU count)`,
        });
    }
    return number;
}
function parseTransferInputs(get, orDefault) {
    const trafficText = get('traffic-limit');
    const sseText = get('sse-customer-key');
    const trafficLimit = trafficText === undefined ? undefined : (0,parse_numbers/* parseTrafficLimit */.Sq)(trafficText);
    const sseCustomerKey = sseText === undefined ? undefined : (0,parse_values/* parseSseKey */.E9)(sseText);
    return {
        retries: (0,parse_numbers/* parseInteger */.cG)('retries', orDefault('retries'), RETRIES_RANGE.min, RETRIES_RANGE.max),
        timeoutMs: (0,parse_numbers/* parseTimeout */.ZZ)(orDefault('timeout')),
        partSize: (0,parse_numbers/* parsePartSize */.A9)(orDefault('part-size')),
        concurrency: parseConcurrency(orDefault('concurrency')),
        trafficLimit,
        crc: (0,parse_values/* parseBoolean */.yG)('crc', orDefault('crc')),
        fsync: (0,parse_values/* parseBoolean */.yG)('fsync', orDefault('fsync')),
        overwrite: (0,parse_values/* parseOverwrite */.rV)(orDefault('overwrite')),
        dryRun: (0,parse_values/* parseBoolean */.yG)('dry-run', orDefault('dry-run')),
        sseCustomerKey,
    };
}
/** `url`: no bucket, no credentials; the connection is the link's origin, with the retries and timeout. */
function parseLinkOptions(get, orDefault, text, context) {
    const target = parseLinkTarget(get, text);
    const caCert = (0,parse_network/* parseCaCertInput */.G)(get, context);
    const { retries, timeoutMs, ...transfer } = parseTransferInputs(get, orDefault);
    const destination = resolveDestination(target, get('destination'), context);
    checkDestination(destination, get('destination'), context);
    return deepFreeze({
        connection: { bucket: '', endpoint: new URL(target.url).origin, retries, timeoutMs },
        caCert,
        target,
        destination,
        ...transfer,
        cache: false,
    });
}
/** True when `folder` is `inner` or one of its ancestors. */
function encloses(folder, inner) {
    const relative = external_node_path_.relative(folder, inner);
    return (relative === '' ||
        (!relative.startsWith(`..${external_node_path_.sep}`) && relative !== '..' && !external_node_path_.isAbsolute(relative)));
}


/***/ }),

/***/ 2116:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ez: () => (/* binding */ parseKeyless),
/* harmony export */   xz: () => (/* binding */ ROLE_INPUTS)
/* harmony export */ });
/* unused harmony exports DEFAULT_AUDIENCE, DEFAULT_STS_ENDPOINT, ROLE_DURATION, ROLE_SESSION_NAME, parseRoleArn, parseProviderId, parseRoleDuration, defaultRoleSessionName, parseRoleSessionName, parseAudience, parseStsEndpoint */
/* harmony import */ var _base_text_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8566);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8159);
// Keyless credentials: the inputs that name a CAM role to assume with an OIDC token through STS
// AssumeRoleWithWebIdentity (role-arn, provider-id, role-session-name, role-duration, audience,
// sts-endpoint). Pure: every rule is checked here, before any request.


const DEFAULT_AUDIENCE = 'sts.tencentcloudapi.com';
const DEFAULT_STS_ENDPOINT = 'https://sts.tencentcloudapi.com';
const ROLE_DURATION = { default: 3600, min: 900, max: 43_200 };
/**
 * STS takes 2 to 128 characters of `[\w+=,.@-]` (AssumeRole's documented rule; AssumeRoleWithWebIdentity
 * states none). The default stays within 64, which every STS dialect takes.
 */
const ROLE_SESSION_NAME = { min: 2, max: 128, defaultMax: 64 };
const SESSION_NAME_CHARS = /^[\w+=,.@-]+$/;
/** The inputs of keyless credentials. */
const ROLE_INPUTS = [
    'role-arn',
    'provider-id',
    'role-session-name',
    'role-duration',
    'audience',
    'sts-endpoint',
];
function given(value) {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
function noControls(input, value) {
    if ((0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .hasControlCharacter */ .Fd)(value) || /\s/.test(value)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input,
            value,
            rule: 'must not hold spaces, line breaks or control characters',
            fix: 'give the value alone, on one line',
        });
    }
}
/** `qcs::cam::uin/<account>:roleName/<name>` or `qcs::cam::uin/<account>:role/<id>`. */
function parseRoleArn(value) {
    noControls('role-arn', value);
    if (!/^qcs::cam::uin\/\d+:(roleName|role)\/[^/\s][^\s]*$/.test(value)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'role-arn',
            value,
            rule: 'a role ARN is qcs::cam::uin/<account id>:roleName/<role name> (or :role/<role id>)',
            fix: "copy it from the role's page in the CAM console, e.g. 'qcs::cam::uin/100000000001:roleName/ci-download'",
        });
    }
    return value;
}
/** The name of the CAM OIDC identity provider. */
function parseProviderId(value) {
    noControls('provider-id', value);
    if (value.length > 128 || !SESSION_NAME_CHARS.test(value)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'provider-id',
            value,
            rule: 'an identity provider name is 1 to 128 letters, digits and + = , . @ _ -',
            fix: "give the name of the OIDC identity provider in CAM, e.g. 'github-actions'",
        });
    }
    return value;
}
/** Whole seconds, 900..43200; default 3600. */
function parseRoleDuration(value) {
    const text = given(value);
    if (text === undefined)
        return ROLE_DURATION.default;
    const seconds = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
    if (!(seconds >= ROLE_DURATION.min && seconds <= ROLE_DURATION.max)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'role-duration',
            value: text,
            rule: `a duration is whole seconds from ${ROLE_DURATION.min} (15 minutes) to ${ROLE_DURATION.max} (12 hours)`,
            fix: `e.g. '3600' for one hour${/[a-z]/i.test(text) ? ', written in seconds' : ''}`,
        });
    }
    return seconds;
}
/**
 * `gh-<owner>.<repo>-<run id>-<attempt>` within STS's characters and 64 characters: the repository
 * part is cut, never the run id. Outside GitHub (no repository or run id): `cos-download`.
 */
function defaultRoleSessionName(context) {
    const safe = (text) => text.replace(/[^\w+=,.@-]+/g, '-');
    const repository = given(context.repository);
    const runId = given(context.runId);
    if (repository === undefined || runId === undefined)
        return 'cos-download';
    const suffix = safe(`-${runId}-${given(context.runAttempt) ?? '1'}`).slice(0, 40);
    const head = safe(`gh-${repository.replace('/', '.')}`).slice(0, ROLE_SESSION_NAME.defaultMax - suffix.length);
    return `${head}${suffix}`;
}
/** The given name, checked; else the default built from the repository and run. */
function parseRoleSessionName(value, context) {
    const text = given(value);
    if (text === undefined)
        return defaultRoleSessionName(context);
    noControls('role-session-name', text);
    if (text.length < ROLE_SESSION_NAME.min ||
        text.length > ROLE_SESSION_NAME.max ||
        !SESSION_NAME_CHARS.test(text)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'role-session-name',
            value: text,
            rule: `a session name is ${ROLE_SESSION_NAME.min} to ${ROLE_SESSION_NAME.max} letters, digits and + = , . @ _ -`,
            fix: "e.g. 'release-build', or leave it out for one built from the repository and run id",
        });
    }
    return text;
}
/** The `aud` of the OIDC token; default `sts.tencentcloudapi.com`. */
function parseAudience(value) {
    const text = given(value);
    if (text === undefined)
        return DEFAULT_AUDIENCE;
    noControls('audience', text);
    if (text.length > 256) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'audience',
            value: text,
            rule: 'at most 256 characters',
            fix: `give the client ID the CAM identity provider expects, e.g. '${DEFAULT_AUDIENCE}'`,
        });
    }
    return text;
}
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;
/**
 * The STS base URL; default `https://sts.tencentcloudapi.com`. https, except a loopback host (the
 * emulator's stand-in): the request carries the OIDC token, a bearer credential.
 */
function parseStsEndpoint(value) {
    const text = given(value);
    if (text === undefined)
        return DEFAULT_STS_ENDPOINT;
    const shown = text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1***@');
    const refuse = (rule) => new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
        input: 'sts-endpoint',
        value: shown,
        rule,
        fix: `e.g. '${DEFAULT_STS_ENDPOINT}', or leave it out`,
    });
    noControls('sts-endpoint', shown);
    let url;
    try {
        url = new URL(text);
    }
    catch {
        throw refuse('not a URL');
    }
    if (url.username !== '' || url.password !== '')
        throw refuse('must not hold credentials');
    if (url.search !== '' || url.hash !== '')
        throw refuse('must not hold a query or a fragment');
    if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
        throw refuse('must be https: the request carries the OIDC token (plain http only to this machine)');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw refuse('must be an https:// URL');
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
/** Keyless credentials, when role-arn (or any other input of this kind) is set; undefined otherwise. */
function parseKeyless(raw, context) {
    const set = Object.keys(raw).filter((name) => given(raw[name]) !== undefined);
    if (set.length === 0)
        return undefined;
    const roleArn = given(raw['role-arn']);
    if (roleArn === undefined) {
        const others = set.map((name) => `'${name}'`).join(', ');
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'role-arn',
            rule: `keyless credentials need the role to assume, and ${others} ${set.length === 1 ? 'is' : 'are'} set without it`,
            fix: `set 'role-arn' (e.g. 'qcs::cam::uin/100000000001:roleName/ci-download'), or remove ${others}`,
        });
    }
    if (context.hasStaticCredentials) {
        const source = context.staticCredentialsSource;
        const fromEnv = source?.startsWith('env ') === true;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'role-arn',
            value: roleArn,
            rule: "keyless credentials exclude 'secret-id' / 'secret-key' / 'session-token' and their environment variables" +
                (source === undefined ? '' : `, and ${source} is set`),
            fix: fromEnv
                ? `unset ${source.slice(4)} for this step (in a workflow: 'env: ${source.slice(4)}: ""') to assume the role, or remove 'role-arn' to use the keys`
                : "remove 'secret-id' and 'secret-key' to assume the role, or remove 'role-arn' to use the keys",
        });
    }
    const providerId = given(raw['provider-id']);
    if (providerId === undefined) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz({
            input: 'provider-id',
            rule: "required with 'role-arn'",
            fix: "give the name of the CAM OIDC identity provider the role trusts, e.g. 'github-actions'",
        });
    }
    return {
        roleArn: parseRoleArn(roleArn),
        providerId: parseProviderId(providerId),
        roleSessionName: parseRoleSessionName(raw['role-session-name'], context),
        durationSeconds: parseRoleDuration(raw['role-duration']),
        audience: parseAudience(raw.audience),
        stsEndpoint: parseStsEndpoint(raw['sts-endpoint']),
    };
}


/***/ }),

/***/ 7913:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  XV: () => (/* binding */ openNetwork),
  Yw: () => (/* reexport */ proxy/* proxySettingsFrom */.Yw)
});

// UNUSED EXPORTS: DEFAULT_STS_REGION, proxySecrets

// EXTERNAL MODULE: ./lib/base/error-message.js
var error_message = __webpack_require__(4329);
// EXTERNAL MODULE: ./lib/base/runtime.js
var runtime = __webpack_require__(3105);
// EXTERNAL MODULE: ./lib/cos/client.js + 2 modules
var client = __webpack_require__(9657);
// EXTERNAL MODULE: ./lib/cos/credentials.js
var credentials = __webpack_require__(1861);
// EXTERNAL MODULE: ./lib/cos/dispatcher.js
var dispatcher = __webpack_require__(2026);
// EXTERNAL MODULE: ./lib/cos/errors.js
var errors = __webpack_require__(4192);
// EXTERNAL MODULE: ./lib/cos/retry.js
var retry = __webpack_require__(9929);
;// CONCATENATED MODULE: ./lib/cos/sts.js







const STS_ACTION = 'AssumeRoleWithWebIdentity';
const STS_VERSION = '2018-08-13';
/** An answer of STS that is not credentials. The message is one line; no token is in it. */
class StsError extends Error {
    name = 'StsError';
    /** The API's error code (`InvalidParameter.WebIdentityTokenError`), or `HTTP<status>` / `BadResponse`. */
    code;
    requestId;
    transient;
    constructor(message, code, requestId, transient, cause) {
        super(message, cause === undefined ? undefined : { cause });
        this.code = code;
        this.requestId = requestId;
        this.transient = transient;
    }
}
/** What to do about an STS error code (and its message, for the expired-token case). */
function stsHint(code, message) {
    if (code === 'InvalidParameter.WebIdentityTokenError' || /web ?identity ?token/i.test(message)) {
        if (/expire/i.test(message)) {
            return 'the OIDC token had expired when STS checked it: use a fresh one (GitHub issues it right before the call; a --web-identity-token-file must be current)';
        }
        return "STS did not accept the OIDC token: check that 'provider-id' names the CAM OIDC identity provider whose issuer and client ID match the token's iss and aud (see 'audience')";
    }
    if (code === 'InvalidParameter.OverTimeError') {
        return "'role-duration' is above the role's maximum session duration: lower it, or raise the maximum in CAM";
    }
    if (code === 'InvalidParameter.OverLimit' ||
        code === 'RequestLimitExceeded' ||
        code.startsWith('LimitExceeded')) {
        return 'STS limits this API to 20 requests a second: try again later';
    }
    if (code === 'ResourceNotFound.RoleNotFound')
        return "no such role: check 'role-arn'";
    if (code.startsWith('InvalidParameter') || code === 'MissingParameter') {
        return "check 'role-arn' (qcs::cam::uin/<account>:roleName/<role>), 'provider-id', 'role-session-name' and 'role-duration'";
    }
    if (code.startsWith('AuthFailure') || code.startsWith('UnauthorizedOperation')) {
        return "the role does not trust this identity: in CAM, let the role named by 'role-arn' trust the OIDC provider 'provider-id', with conditions this token's claims meet (e.g. its sub names this repository)";
    }
    if (code.startsWith('InternalError'))
        return 'a failure inside STS: try again later';
    return 'see the error codes of AssumeRoleWithWebIdentity in the STS API documentation';
}
const TRANSIENT_CODES = /^(InternalError|RequestLimitExceeded|InvalidParameter\.OverLimit|LimitExceeded)/;
/** Text the server sent, made safe for a one-line message: no token, no line breaks, not too long. */
function clean(text, secrets) {
    let result = text;
    for (const secret of secrets)
        if (secret.length >= 8)
            result = result.replaceAll(secret, '***');
    // Anything shaped like a JWT (three base64url parts) goes too: an echo of some other token.
    result = result.replace(/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, '***');
    let line = '';
    for (const char of result.slice(0, 500)) {
        const code = char.charCodeAt(0);
        line += code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 ? ' ' : char;
    }
    return line;
}
const sts_text = (value) => typeof value === 'string' && value !== '' ? value : undefined;
class StsClient {
    #endpoint;
    #region;
    #dispatcher;
    #proxy;
    #clock;
    #retry;
    constructor(options, deps = {}) {
        this.#endpoint = new URL(options.endpoint);
        this.#region = options.region;
        const route = (0,dispatcher/* createDispatcher */.SM)(this.#endpoint.origin, {
            connections: 2,
            timeoutMs: options.timeoutMs,
            ...options.transport,
        });
        this.#dispatcher = route.dispatcher;
        this.#proxy = route.proxy;
        this.#clock = deps.clock ?? runtime/* systemClock */.ml;
        this.#retry = {
            attempts: (options.retries ?? 2) + 1,
            clock: this.#clock,
            logger: deps.logger ?? runtime/* silentLogger */.qq,
            random: deps.random ?? Math.random,
            baseMs: deps.retryBaseMs ?? 500,
            capMs: 10_000,
            timeoutMs: options.timeoutMs,
        };
    }
    /** Temporary credentials for `role`, proven by `webIdentityToken`. Throws StsError (one line). */
    async assumeRoleWithWebIdentity(role, webIdentityToken, signal) {
        const context = `STS ${STS_ACTION} (role '${role.roleArn}', provider '${role.providerId}')`;
        // An StsError says whether it is worth another attempt (its `transient`), which retryTransient reads.
        return (0,retry/* retryTransient */.j)(this.#retry, STS_ACTION, signal, () => this.#once(role, webIdentityToken, context, signal));
    }
    async #once(role, token, context, signal) {
        const body = JSON.stringify({
            ProviderId: role.providerId,
            WebIdentityToken: token,
            RoleArn: role.roleArn,
            RoleSessionName: role.roleSessionName,
            DurationSeconds: role.durationSeconds,
        });
        const origin = this.#endpoint.origin;
        const response = await this.#dispatcher
            .request({
            origin,
            path: this.#endpoint.pathname,
            method: 'POST',
            headers: {
                'content-type': 'application/json',
                'x-tc-action': STS_ACTION,
                'x-tc-version': STS_VERSION,
                'x-tc-region': this.#region,
                'x-tc-timestamp': String(Math.floor(this.#clock.now() / 1000)),
                authorization: 'SKIP',
            },
            body,
            signal: signal ?? null,
        })
            .catch((error) => {
            const wrapped = errors/* TlsError */.WM.from(error, origin, context) ?? dispatcher/* ProxyError */.T6.from(error, this.#proxy, context);
            if (wrapped !== undefined)
                throw wrapped;
            throw new StsError(`${context}: ${origin} could not be reached (${clean((0,error_message/* errorMessage */.g)(error), [token])})`, 'Network', undefined, (0,errors/* isTransient */.dg)(error), error);
        });
        const refused = dispatcher/* ProxyError */.T6.refused(response.statusCode, this.#proxy, context);
        if (refused !== undefined) {
            await response.body.dump();
            throw refused;
        }
        const raw = await (0,client/* readCapped */.EF)(response.body, 64 * 1024);
        const status = response.statusCode;
        let answer;
        try {
            answer = JSON.parse(raw);
        }
        catch {
            throw new StsError(`${context}: ${origin} answered ${status} with something other than the API's JSON. ` +
                "Fix: check 'sts-endpoint' (e.g. https://sts.tencentcloudapi.com) and any proxy in between", `HTTP${status}`, undefined, status >= 500 || status === 429);
        }
        const reply = answer?.Response;
        const requestId = sts_text(reply?.RequestId);
        const id = requestId === undefined ? '' : ` (request id ${clean(requestId, [token])})`;
        const apiError = reply?.Error;
        if (apiError !== undefined) {
            const code = clean(sts_text(apiError.Code) ?? 'UnknownError', [token]);
            const message = clean(sts_text(apiError.Message) ?? 'no message', [token]);
            throw new StsError(`${context}: ${code}: ${message}${id}. Fix: ${stsHint(code, message)}`, code, requestId, TRANSIENT_CODES.test(code));
        }
        const credentials = reply?.Credentials;
        const secretId = sts_text(credentials?.TmpSecretId);
        const secretKey = sts_text(credentials?.TmpSecretKey);
        const sessionToken = sts_text(credentials?.Token);
        const expiresAt = expiryOf(reply?.ExpiredTime, reply?.Expiration);
        if (status !== 200 ||
            secretId === undefined ||
            secretKey === undefined ||
            sessionToken === undefined ||
            expiresAt === undefined) {
            throw new StsError(`${context}: ${origin} answered ${status} without Credentials {TmpSecretId, TmpSecretKey, Token} and ExpiredTime${id}. ` +
                "Fix: check 'sts-endpoint' (e.g. https://sts.tencentcloudapi.com)", status === 200 ? 'BadResponse' : `HTTP${status}`, requestId, status >= 500 || status === 429);
        }
        return { secretId, secretKey, sessionToken, expiresAt };
    }
    async close() {
        await this.#dispatcher.close();
    }
}
/** `ExpiredTime` (Unix seconds) or else `Expiration` (ISO 8601), in milliseconds. */
function expiryOf(expiredTime, expiration) {
    const seconds = typeof expiredTime === 'number'
        ? expiredTime
        : typeof expiredTime === 'string'
            ? Number(expiredTime)
            : Number.NaN;
    if (Number.isSafeInteger(seconds) && seconds > 0)
        return seconds * 1000;
    const date = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
    return Number.isNaN(date) ? undefined : date;
}
/** Credentials from STS for `role`, renewed before `ExpiredTime`; each secret masked as it arrives. */
function stsCredentials(options, deps = {}) {
    return new credentials/* RefreshingCredentials */.On(async (signal) => {
        const token = await options.webIdentityToken(signal);
        deps.mask?.(token);
        return options.sts.assumeRoleWithWebIdentity(options.role, token, signal);
    }, { ...deps, source: deps.source ?? `STS role '${options.role.roleArn}'` });
}

// EXTERNAL MODULE: ./lib/cos/proxy.js
var proxy = __webpack_require__(9347);
;// CONCATENATED MODULE: ./lib/core/network.js


/** STS's `X-TC-Region` when the bucket's region is not known (an endpoint URL without one). */
const DEFAULT_STS_REGION = 'ap-guangzhou';
/** The transport and credentials of one run. Throws the ProxyConfigError of an unusable proxy variable STS needs. */
function openNetwork(options, deps) {
    const transport = { proxy: deps.proxy, extraCa: options.caCert };
    const keyless = options.keyless;
    if (keyless === undefined)
        return { client: { transport }, close: async () => { } };
    const token = deps.webIdentityToken;
    if (token === undefined) {
        throw new TypeError('download: options.keyless needs deps.webIdentityToken, the source of the OIDC token');
    }
    const { logger, clock } = deps;
    const sts = new StsClient({
        endpoint: keyless.stsEndpoint,
        region: options.connection.region ?? DEFAULT_STS_REGION,
        timeoutMs: options.connection.timeoutMs,
        transport,
    }, { logger, clock });
    const credentials = stsCredentials({ sts, role: keyless, webIdentityToken: token }, { logger, clock, mask: deps.mask, signal: deps.signal });
    return { client: { transport, credentials }, close: () => sts.close() };
}


/***/ }),

/***/ 9657:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  v6: () => (/* binding */ CosClient),
  wx: () => (/* binding */ header),
  EF: () => (/* binding */ readCapped),
  Gx: () => (/* binding */ redactDetails),
  tp: () => (/* binding */ toSink)
});

// EXTERNAL MODULE: ./lib/base/runtime.js
var runtime = __webpack_require__(3105);
// EXTERNAL MODULE: ./lib/cos/credentials.js
var credentials = __webpack_require__(1861);
// EXTERNAL MODULE: ./lib/cos/dispatcher.js
var dispatcher = __webpack_require__(2026);
// EXTERNAL MODULE: ./lib/cos/errors.js
var errors = __webpack_require__(4192);
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(7030);
// EXTERNAL MODULE: external "node:tls"
var external_node_tls_ = __webpack_require__(1692);
;// CONCATENATED MODULE: ./lib/cos/http-response.js
// An HTTP/1.1 response parser, fed the bytes of one connection as they arrive: the status line and
// headers, then a body framed by Content-Length, by chunked encoding, or by the end of the
// connection. Pure (no I/O): the range reader drives it. It is strict, because what it reads is
// untrusted: a malformed answer is an error, never a guess. See docs/adr/0012-receive-path.md.

/** Status line and headers: a COS answer's are far smaller. */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 1024;
/** 1xx answers before the final one: a server that sends more is not answering. */
const MAX_INTERIM = 8;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const bad = (why) => new errors/* MalformedResponse */.PJ(`the response breaks HTTP/1.1 (${why})`, { transient: false });
/** Parses one response (and skips 1xx ones before it); feed it, then `end()` when the connection ends. */
class ResponseParser {
    #handlers;
    /** Whether the request was HEAD (a response with no body, whatever its headers say). */
    #head;
    #state = { kind: 'head' };
    /** Bytes of a chunk line that arrived split across reads. */
    #pending = Buffer.alloc(0);
    /** Reads of a head that arrived split, kept until its blank line (copied once, then). */
    #headParts = [];
    #headLength = 0;
    #interim = 0;
    #trailerBytes = 0;
    #keepAlive = true;
    constructor(handlers, options = {}) {
        this.#handlers = handlers;
        this.#head = options.head === true;
    }
    get done() {
        return this.#state.kind === 'done';
    }
    /** Feeds `buffer[start..end)`. Throws a ProtocolError on a malformed response. */
    feed(buffer, start = 0, end = buffer.length) {
        let at = start;
        while (at < end) {
            const state = this.#state;
            switch (state.kind) {
                case 'head':
                    at = this.#readHead(buffer, at, end);
                    break;
                case 'length': {
                    const take = Math.min(state.remaining, end - at);
                    this.#handlers.onBody(buffer.subarray(at, at + take));
                    state.remaining -= take;
                    at += take;
                    if (state.remaining === 0)
                        this.#complete();
                    break;
                }
                case 'chunk-data': {
                    const take = Math.min(state.remaining, end - at);
                    this.#handlers.onBody(buffer.subarray(at, at + take));
                    state.remaining -= take;
                    at += take;
                    if (state.remaining === 0)
                        this.#state = { kind: 'chunk-end' };
                    break;
                }
                case 'chunk-size':
                case 'chunk-end':
                case 'trailers':
                    at = this.#readLine(buffer, at, end, (line) => this.#chunkLine(line));
                    break;
                case 'until-close':
                    this.#handlers.onBody(buffer.subarray(at, end));
                    at = end;
                    break;
                case 'done':
                    // Nothing is sent after a response that was not asked for (no pipelining).
                    throw bad('bytes after the end of the response');
            }
        }
    }
    /** The connection ended: completes a body read to the end of the connection, else it was cut short. */
    end() {
        if (this.#state.kind === 'until-close') {
            this.#keepAlive = false;
            this.#complete();
            return;
        }
        if (this.#state.kind !== 'done')
            throw new errors/* ClosedEarly */.SK();
    }
    #complete() {
        this.#state = { kind: 'done' };
        this.#handlers.onComplete(this.#keepAlive);
    }
    /**
     * Collects the head up to the blank line, then parses it; returns where the body starts. Each read
     * is searched once (with the 3 bytes before it, for a blank line split across reads), so a head
     * that trickles in costs no more than one that arrives whole; the limit is on the head before its
     * blank line, however it is split.
     */
    #readHead(buffer, at, end) {
        const before = this.#headLength;
        const tail = this.#headTail();
        const window = tail.length === 0 ? buffer.subarray(at, end) : Buffer.concat([tail, buffer.subarray(at, end)]);
        const found = window.indexOf('\r\n\r\n');
        if (found === -1) {
            // The head so far, less what may yet be its blank line's first 3 bytes.
            if (before + (end - at) - 3 > MAX_HEAD_BYTES)
                throw bad('headers larger than 64 KiB');
            this.#headParts.push(Buffer.from(buffer.subarray(at, end)));
            this.#headLength += end - at;
            return end;
        }
        const headLength = before - tail.length + found;
        if (headLength > MAX_HEAD_BYTES)
            throw bad('headers larger than 64 KiB');
        const consumed = found + 4 - tail.length;
        const head = this.#headParts.length === 0
            ? buffer.subarray(at, at + consumed)
            : Buffer.concat([...this.#headParts, buffer.subarray(at, at + consumed)]);
        this.#headParts = [];
        this.#headLength = 0;
        this.#parseHead(head.toString('latin1', 0, headLength));
        return at + consumed;
    }
    /** The last (up to) 3 bytes of the head collected so far. */
    #headTail() {
        const parts = this.#headParts;
        if (parts.length === 0)
            return Buffer.alloc(0);
        const last = parts[parts.length - 1];
        if (last.length >= 3 || parts.length === 1)
            return last.subarray(Math.max(0, last.length - 3));
        return Buffer.concat(parts.slice(-3)).subarray(-3);
    }
    #parseHead(text) {
        const lines = text.split('\r\n');
        const statusLine = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(lines[0] ?? '');
        if (statusLine === null)
            throw bad(`status line '${(lines[0] ?? '').slice(0, 40)}'`);
        const status = Number(statusLine[2]);
        const headers = {};
        for (const line of lines.slice(1)) {
            const colon = line.indexOf(':');
            const name = line.slice(0, colon).toLowerCase();
            // Only spaces and tabs are optional whitespace (RFC 9110 §5.5): any other control byte is refused.
            const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
            if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value))
                throw bad('a malformed header line');
            const existing = headers[name];
            headers[name] =
                existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
        }
        if (status < 200) {
            // 100 Continue and the like: the real answer follows.
            if (status === 101)
                throw bad('an unasked protocol switch');
            if (++this.#interim > MAX_INTERIM)
                throw bad(`more than ${MAX_INTERIM} interim (1xx) responses`);
            return;
        }
        const connection = String(headers.connection ?? '').toLowerCase();
        this.#keepAlive =
            statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
        // The framing is checked before anyone sees the head: a malformed length is refused as such.
        const body = this.#frame(status, headers);
        this.#handlers.onHead(status, headers);
        if (body === undefined)
            this.#complete();
        else
            this.#state = body;
    }
    /** How the body is framed (RFC 9112 §6.3): the state that reads it, or undefined for none. */
    #frame(status, headers) {
        if (this.#head || status === 204 || status === 304)
            return undefined;
        const encoding = headers['transfer-encoding'];
        const length = headers['content-length'];
        if (encoding !== undefined) {
            if (length !== undefined)
                throw bad('both Transfer-Encoding and Content-Length');
            const codings = (Array.isArray(encoding) ? encoding.join(',') : encoding)
                .toLowerCase()
                .split(',')
                .map((c) => c.trim());
            if (codings.length !== 1 || codings[0] !== 'chunked')
                throw bad(`Transfer-Encoding '${String(encoding).slice(0, 40)}'`);
            return { kind: 'chunk-size' };
        }
        if (length !== undefined) {
            const values = Array.isArray(length) ? length : [length];
            const first = values[0];
            if (!/^\d{1,16}$/.test(first) ||
                values.some((v) => v !== first) ||
                !Number.isSafeInteger(Number(first))) {
                throw bad(`Content-Length '${values.join(', ').slice(0, 40)}'`);
            }
            const remaining = Number(first);
            return remaining === 0 ? undefined : { kind: 'length', remaining };
        }
        this.#keepAlive = false;
        return { kind: 'until-close' };
    }
    /** Reads one CRLF-terminated line (of a chunked body) that may arrive split. */
    #readLine(buffer, at, end, take) {
        const newline = buffer.indexOf('\n', at);
        if (newline === -1 || newline >= end) {
            this.#pending = Buffer.concat([this.#pending, buffer.subarray(at, end)]);
            if (this.#pending.length > MAX_CHUNK_LINE)
                throw bad('a chunk line longer than 1 KiB');
            return end;
        }
        const line = Buffer.concat([this.#pending, buffer.subarray(at, newline + 1)]);
        this.#pending = Buffer.alloc(0);
        if (line.length > MAX_CHUNK_LINE)
            throw bad('a chunk line longer than 1 KiB');
        if (line.length < 2 || line[line.length - 2] !== 0x0d)
            throw bad('a chunk line not ended by CRLF');
        take(line.toString('latin1', 0, line.length - 2));
        return newline + 1;
    }
    #chunkLine(line) {
        const state = this.#state;
        if (state.kind === 'chunk-end') {
            if (line !== '')
                throw bad('chunk data longer than its size');
            this.#state = { kind: 'chunk-size' };
            return;
        }
        if (state.kind === 'trailers') {
            this.#trailerBytes += line.length + 2;
            if (this.#trailerBytes > MAX_HEAD_BYTES)
                throw bad('trailers larger than 64 KiB');
            if (line === '')
                this.#complete();
            return;
        }
        const size = /^([0-9a-fA-F]{1,12})(?:;[\t\x20-\x7e]*)?$/.exec(line);
        if (size === null)
            throw bad(`chunk size '${line.slice(0, 20)}'`);
        const remaining = Number.parseInt(size[1], 16);
        this.#state = remaining === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining };
    }
}

;// CONCATENATED MODULE: ./lib/cos/range-reader.js
// A narrow HTTP/1.1 client for the one request the bulk of a download is made of: a GET of object
// bytes. Each connection reads into one buffer of its own, reused for every read (Node's `onread`),
// and the body goes to the caller synchronously, slice by slice, while the buffer is valid — no
// Buffer per chunk, no stream, nothing for the garbage collector. Keep-alive connections are
// pooled per origin. Everything else (HEAD, listings, proxied origins) goes through undici.
// See docs/adr/0012-receive-path.md.




const ERROR_TEXT_MAX = 64 * 1024;
const BUFFER_SIZE = 256 * 1024;
/** The bytes of a GET of `request.path` from `host`; throws, before anything is sent, on a line break in any part. */
function requestText(request, host) {
    if (!/^\/[\x21-\x7e]*$/.test(request.path)) {
        throw new errors/* ProtocolError */.bd('a request path holds a space or a control character', { transient: false });
    }
    let text = `GET ${request.path} HTTP/1.1\r\n${headerLine('host', host)}`;
    for (const [name, value] of Object.entries(request.headers))
        if (name !== 'host')
            text += headerLine(name, value);
    return `${text}\r\n`;
}
/** One header line; a name or value with a line break is refused, so a value can never split the request. */
function headerLine(name, value) {
    if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value)) {
        throw new errors/* ProtocolError */.bd(`a request header '${name}' holds a line break`, { transient: false });
    }
    return `${name}: ${value}\r\n`;
}
/** The server ended or reset the connection (not a timeout, not a TLS or protocol failure). */
function closedByServer(error) {
    const code = error.code;
    return error instanceof errors/* ClosedEarly */.SK || code === 'ECONNRESET' || code === 'EPIPE';
}
/** One keep-alive connection, carrying one request at a time. */
class Connection {
    #socket;
    #onIdle;
    #onGone;
    #parser;
    #pending;
    #answered = false;
    #reusable = true;
    constructor(origin, options, onIdle, onGone) {
        this.#onIdle = onIdle;
        this.#onGone = onGone;
        const buffer = Buffer.allocUnsafe(options.bufferSize ?? BUFFER_SIZE);
        const host = origin.hostname.replace(/^\[|\]$/g, '');
        const port = Number(origin.port || (origin.protocol === 'https:' ? 443 : 80));
        const common = {
            host,
            port,
            onread: { buffer, callback: (bytes, into) => this.#read(bytes, into) },
            // node:net and node:tls take an undefined `lookup` or `ca` as their default (dns.lookup, Node's CAs).
            lookup: options.lookup,
        };
        this.#socket =
            origin.protocol === 'https:'
                ? external_node_tls_.connect({
                    ...common,
                    // Certificates are always verified, whatever NODE_TLS_REJECT_UNAUTHORIZED says.
                    rejectUnauthorized: true,
                    ...(external_node_net_.isIP(host) === 0 ? { servername: host } : {}),
                    ca: options.ca,
                })
                : external_node_net_.connect(common);
        this.#socket.setNoDelay(true);
        this.#socket.setTimeout(options.timeoutMs, () => {
            this.#socket.destroy(Object.assign(new Error(`no data for ${options.timeoutMs < 1000 ? `${options.timeoutMs} ms` : `${Math.round(options.timeoutMs / 1000)} s`}`), {
                code: 'ETIMEDOUT',
            }));
        });
        this.#socket.on('error', (error) => this.#close(error));
        this.#socket.on('close', () => this.#close(undefined));
        this.#socket.on('end', () => {
            try {
                this.#parser?.end();
            }
            catch (error) {
                this.#close(error);
            }
        });
    }
    /** Sends `text` (the request, built and checked before a connection was taken) for `pending`. */
    send(pending, text) {
        this.#pending = pending;
        this.#answered = false;
        const { request } = pending;
        // An error answer's bytes, decoded once at its end (a character may be split across reads).
        const errorBytes = [];
        let errorLength = 0;
        let head;
        this.#parser = new ResponseParser({
            onHead: (status, headers) => {
                head = { status, headers };
                if (status >= 200 && status < 300)
                    request.onHead?.(status, headers);
            },
            onBody: (chunk) => {
                if (head !== undefined && head.status >= 200 && head.status < 300)
                    request.onBody(chunk);
                else if (errorLength < ERROR_TEXT_MAX) {
                    const kept = chunk.subarray(0, ERROR_TEXT_MAX - errorLength);
                    errorBytes.push(Buffer.from(kept));
                    errorLength += kept.length;
                }
            },
            onComplete: (keepAlive) => {
                this.#reusable = keepAlive;
                const answer = head;
                this.#finish(() => {
                    if (answer.status >= 200 && answer.status < 300)
                        pending.done(answer);
                    else
                        pending.done({ ...answer, errorText: Buffer.concat(errorBytes).toString('utf8') });
                });
            },
        });
        this.#socket.write(text);
    }
    /** The end of a request: the connection goes back to the pool, or away. */
    #finish(report) {
        this.#pending = undefined;
        this.#parser = undefined;
        if (this.#reusable && !this.#socket.destroyed)
            this.#onIdle(this);
        else
            this.#socket.destroy();
        report();
    }
    #read(bytes, buffer) {
        const parser = this.#parser;
        if (parser === undefined) {
            // Bytes on an idle connection: the server is not speaking HTTP as it should; drop it.
            this.#socket.destroy();
            return false;
        }
        this.#answered = true;
        try {
            parser.feed(buffer, 0, bytes);
        }
        catch (error) {
            this.#socket.destroy(error instanceof Error ? error : new Error(String(error)));
            return false;
        }
        return true;
    }
    /** Aborts the request in flight: the connection cannot be reused. */
    abort(reason) {
        this.#socket.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    }
    #close(error) {
        const pending = this.#pending;
        this.#pending = undefined;
        this.#reusable = false;
        this.#onGone(this);
        pending?.fail(error ?? new errors/* ClosedEarly */.SK(), this.#answered);
    }
    destroy() {
        this.#socket.destroy();
    }
}
/** The pooled connections to one origin. */
class RangeReader {
    #origin;
    #options;
    #idle = [];
    #all = new Set();
    #closed = false;
    constructor(origin, options) {
        this.#origin = new URL(origin);
        this.#options = options;
    }
    /** One GET; resolves once the whole body went to `onBody` (2xx) or an error answer was read. */
    request(request) {
        return this.#attempt(request, true);
    }
    /**
     * A kept-alive connection the server closed while it was idle fails before any answer: that
     * request is sent again once, on a new connection, as a browser would (a GET is idempotent).
     */
    #attempt(request, mayResend) {
        return new Promise((resolve, reject) => {
            if (this.#closed) {
                reject(new Error('the range reader is closed'));
                return;
            }
            request.signal?.throwIfAborted();
            // Built first: a request refused here has taken no connection.
            const text = requestText(request, this.#origin.host);
            const idle = this.#idle.pop();
            const connection = idle ?? this.#connect();
            const onAbort = () => connection.abort(request.signal?.reason);
            request.signal?.addEventListener('abort', onAbort, { once: true });
            const settle = () => request.signal?.removeEventListener('abort', onAbort);
            connection.send({
                request,
                done: (answer) => {
                    settle();
                    resolve(answer);
                },
                fail: (error, answered) => {
                    settle();
                    if (request.signal?.aborted)
                        reject(request.signal.reason);
                    else if (idle !== undefined && !answered && mayResend && closedByServer(error)) {
                        resolve(this.#attempt(request, false));
                    }
                    else
                        reject(error);
                },
            }, text);
        });
    }
    #connect() {
        const connection = new Connection(this.#origin, this.#options, (idle) => {
            if (this.#closed || this.#idle.length >= this.#options.connections)
                idle.destroy();
            else
                this.#idle.push(idle);
        }, (gone) => {
            this.#all.delete(gone);
            const at = this.#idle.indexOf(gone);
            if (at !== -1)
                this.#idle.splice(at, 1);
        });
        this.#all.add(connection);
        return connection;
    }
    async close() {
        this.#closed = true;
        for (const connection of this.#all)
            connection.destroy();
        this.#all.clear();
        this.#idle.length = 0;
    }
}

// EXTERNAL MODULE: ./lib/cos/redact.js
var redact = __webpack_require__(4826);
// EXTERNAL MODULE: ./lib/cos/retry.js
var retry = __webpack_require__(9929);
// EXTERNAL MODULE: ./lib/cos/sign.js
var sign = __webpack_require__(9966);
;// CONCATENATED MODULE: ./lib/cos/client.js








class CosClient {
    connection;
    #agent;
    #reader;
    #proxy;
    #credentials;
    #origin;
    #basePath;
    #clock;
    #logger;
    #random;
    #retryBaseMs;
    #retryCapMs;
    /** Server time minus our time, learnt from RequestTimeTooSkewed answers. */
    #clockOffsetMs = 0;
    constructor(connection, deps = {}) {
        this.connection = connection;
        const url = new URL(connection.endpoint);
        this.#origin = url.origin;
        this.#basePath = url.pathname.replace(/\/+$/, '');
        this.#clock = deps.clock ?? runtime/* systemClock */.ml;
        this.#logger = deps.logger ?? runtime/* silentLogger */.qq;
        this.#random = deps.random ?? Math.random;
        this.#retryBaseMs = deps.retryBaseMs ?? 250;
        this.#retryCapMs = deps.retryCapMs ?? 20_000;
        this.#credentials = deps.credentials ?? (0,credentials/* staticCredentials */.vU)(connection.credentials);
        const route = (0,dispatcher/* createDispatcher */.SM)(this.#origin, {
            connections: deps.connections ?? 16,
            timeoutMs: connection.timeoutMs,
            ...deps.transport,
        });
        this.#agent = route.dispatcher;
        this.#proxy = route.proxy;
        // A proxied origin keeps undici for everything: the range reader speaks to the origin directly.
        this.#reader =
            route.proxy === undefined && deps.rangeReader !== false
                ? new RangeReader(this.#origin, {
                    connections: deps.connections ?? 16,
                    timeoutMs: connection.timeoutMs,
                    ca: (0,dispatcher/* trustedCertificates */.g3)(deps.transport?.extraCa),
                    lookup: deps.transport?.lookup,
                })
                : undefined;
    }
    get logger() {
        return this.#logger;
    }
    /** The signed form of a request: its path and query, its headers, the credentials it was signed with. */
    async #prepare(request) {
        const query = request.query ?? {};
        const url = new URL(this.#origin);
        const signPath = `${this.#basePath}/${request.key}`;
        const encodedPath = `${this.#basePath}/${request.key.split('/').map(sign/* cosEncode */.Gp).join('/')}`;
        const search = Object.entries(query)
            .map(([k, v]) => (v === '' ? (0,sign/* cosEncode */.Gp)(k) : `${(0,sign/* cosEncode */.Gp)(k)}=${(0,sign/* cosEncode */.Gp)(v)}`))
            .join('&');
        const headers = { host: url.host, ...request.headers };
        const credentials = await this.#credentials.current(request.signal);
        if (credentials) {
            if (credentials.sessionToken)
                headers['x-cos-security-token'] = credentials.sessionToken;
            headers.authorization = (0,sign/* authorization */.it)(credentials, { method: request.method, path: signPath, query, headers }, (this.#clock.now() + this.#clockOffsetMs) / 1000);
        }
        return { path: search === '' ? encodedPath : `${encodedPath}?${search}`, headers, credentials };
    }
    /** A failure to reach the server, told as what it is: TLS, the proxy, the network, or as thrown. */
    #unreached(error, request) {
        const context = describe(request);
        return (errors/* TlsError */.WM.from(error, this.#origin, context) ??
            dispatcher/* ProxyError */.T6.from(error, this.#proxy, context) ??
            errors/* NetworkError */.Dr.from(error, this.#origin, context) ??
            error);
    }
    /** One signed attempt. Non-accepted error statuses are read and thrown as CosError. */
    async send(request) {
        const prepared = await this.#prepare(request);
        const response = await this.#agent
            .request({
            origin: this.#origin,
            path: prepared.path,
            method: request.method,
            headers: prepared.headers,
            signal: request.signal ?? null,
            ...(request.highWaterMark === undefined ? {} : { highWaterMark: request.highWaterMark }),
        })
            .catch((error) => {
            throw this.#unreached(error, request);
        });
        const status = response.statusCode;
        if ((status >= 200 && status < 300) || request.accept?.includes(status)) {
            return { status, headers: response.headers, body: response.body };
        }
        const text = await readCapped(response.body, 64 * 1024);
        return this.#fail(request, prepared, status, text, response.headers);
    }
    /**
     * One signed GET whose 2xx answer goes to `sink`: its status and headers first (`onHead` may
     * throw to refuse it), then its body a slice at a time, each valid only during the call. Resolves
     * once the body ended. The bytes of an object take the range reader (one reused buffer per
     * connection) unless the origin is proxied. A non-2xx answer throws as `send` does.
     */
    async getBody(request, sink) {
        const reader = this.#reader;
        if (reader === undefined) {
            await toSink(await this.send(request), sink);
            return;
        }
        const prepared = await this.#prepare(request);
        const answer = await reader
            .request({
            path: prepared.path,
            headers: prepared.headers,
            signal: request.signal,
            onHead: (status, headers) => sink.onHead({ status, headers }),
            onBody: sink.onBody,
        })
            .catch((error) => {
            throw this.#unreached(error, request);
        });
        if (answer.errorText !== undefined) {
            await this.#fail(request, prepared, answer.status, answer.errorText, answer.headers);
        }
    }
    /** Throws the CosError of a non-2xx answer whose body (at most 64 KiB) is `text`. */
    async #fail(request, prepared, status, text, responseHeaders) {
        const { headers, credentials } = prepared;
        // A plain-http request through a proxy: a 401/407 is the proxy's, not COS's.
        const refused = dispatcher/* ProxyError */.T6.refused(status, this.#proxy, describe(request));
        if (refused !== undefined)
            throw refused;
        if (request.method === 'HEAD' && status >= 400 && status < 500 && status !== 412) {
            // A HEAD error has no body, so no COS code: ask the same question with a one-byte GET to learn it.
            await this.send({
                ...request,
                method: 'GET',
                headers: { ...request.headers, range: 'bytes=0-0' },
            }).then((answer) => answer.body.dump(), (error) => {
                if (error instanceof errors/* CosError */.Y6 && error.status === status) {
                    throw error.rephrase(error.cosMessage, describe(request), (0,errors/* hintFor */.JR)(error, credentials === undefined));
                }
            });
        }
        // The error text is the server's: a proxy may echo what it was sent, so the secrets this
        // request carried are cut out before the text reaches a message or a log.
        const details = redactDetails((0,errors/* parseErrorBody */.kW)(status, text, responseHeaders), [
            headers.authorization,
            credentials?.secretId,
            credentials?.secretKey,
            credentials?.sessionToken,
            headers['x-cos-server-side-encryption-customer-key'],
            headers['x-cos-server-side-encryption-customer-key-MD5'],
            ...(this.#proxy?.secrets ?? []),
        ]);
        throw new errors/* CosError */.Y6(details, describe(request), (0,errors/* hintFor */.JR)(details, credentials === undefined));
    }
    /**
     * Runs `attempt` until it succeeds, a failure is not transient, or the retries are spent.
     * Full-jitter exponential backoff; a RequestTimeTooSkewed answer corrects the clock and retries at once.
     */
    async retrying(what, signal, attempt) {
        return (0,retry/* retryTransient */.j)({
            attempts: this.connection.retries + 1,
            clock: this.#clock,
            logger: this.#logger,
            random: this.#random,
            baseMs: this.#retryBaseMs,
            capMs: this.#retryCapMs,
            timeoutMs: this.connection.timeoutMs,
            correctClock: (error) => (this.#correctClock(error) ? this.#clockOffsetMs : undefined),
        }, what, signal, attempt);
    }
    #correctClock(error) {
        const server = error.serverDate === undefined ? Number.NaN : Date.parse(error.serverDate);
        if (Number.isNaN(server))
            return false;
        this.#clockOffsetMs = server - this.#clock.now();
        return true;
    }
    async close() {
        await this.#reader?.close();
        await this.#agent.close();
    }
}
function describe(request) {
    if (request.key === '')
        return `${request.method === 'HEAD' ? 'HEAD' : 'List'} bucket`;
    const version = request.query?.versionId ? ` (version ${request.query.versionId})` : '';
    return `${request.method} '${request.key}'${version}`;
}
function redactDetails(details, secrets) {
    const clean = (text) => (text === undefined ? undefined : (0,redact/* redactText */.Rd)(text, secrets));
    return {
        ...details,
        code: (0,redact/* redactText */.Rd)(details.code, secrets),
        message: (0,redact/* redactText */.Rd)(details.message, secrets),
        requestId: clean(details.requestId),
        traceId: clean(details.traceId),
    };
}
/** Reads a body as text, keeping at most `limit` characters and draining the rest. */
async function readCapped(body, limit) {
    const chunks = [];
    let length = 0;
    for await (const chunk of body) {
        chunks.push(Buffer.from(chunk));
        length += chunk.length;
        // Leaving the loop destroys the body: a server that never stops sending cannot hold us here.
        if (length >= limit)
            break;
    }
    return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}
/** A 2xx answer `send` returned, to `sink`: the path of a proxied origin, and of a link. */
async function toSink(response, sink) {
    try {
        sink.onHead(response);
    }
    catch (error) {
        // Destroying an unread body emits an error event, which here has nowhere to go.
        response.body.on('error', () => { });
        response.body.destroy();
        throw error;
    }
    for await (const chunk of response.body)
        sink.onBody(chunk);
}
/** First value of a response header. */
function header(response, name) {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
}


/***/ }),

/***/ 1861:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   On: () => (/* binding */ RefreshingCredentials),
/* harmony export */   vU: () => (/* binding */ staticCredentials)
/* harmony export */ });
/* unused harmony exports CredentialsError, REFRESH_MARGIN_MS */
/* harmony import */ var _base_error_message_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(4329);
/* harmony import */ var _base_runtime_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3105);
// Where the COS client gets the credentials it signs each request with: fixed ones (or none), or
// temporary ones that are fetched again before they expire (STS, see sts.ts).


/** Always the same credentials (or always anonymous). */
function staticCredentials(credentials) {
    const value = Promise.resolve(credentials);
    return { current: () => value };
}
/**
 * Getting the credentials failed, so the request was never sent. The source retried already (STS
 * does), so the request's own retries do not: retries stay one layer deep.
 */
class CredentialsError extends Error {
    name = 'CredentialsError';
    transient = false;
    constructor(cause) {
        super((0,_base_error_message_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .g)(cause), { cause });
    }
}
const REFRESH_MARGIN_MS = 5 * 60_000;
/**
 * Temporary credentials, fetched on first use and again before they expire. Concurrent requests
 * share one fetch. A failed refresh while the old credentials still hold is a warning (they are
 * used until they expire); once they have expired, the failure is the request's.
 */
class RefreshingCredentials {
    #fetch;
    #clock;
    #logger;
    #mask;
    #margin;
    #retryAfter;
    #signal;
    #source;
    #held;
    #pending;
    #nextAttempt = 0;
    /** How many times credentials were fetched. */
    fetches = 0;
    constructor(fetch, deps = {}) {
        this.#fetch = fetch;
        this.#clock = deps.clock ?? _base_runtime_js__WEBPACK_IMPORTED_MODULE_1__/* .systemClock */ .ml;
        this.#logger = deps.logger ?? _base_runtime_js__WEBPACK_IMPORTED_MODULE_1__/* .silentLogger */ .qq;
        this.#mask = deps.mask ?? (() => { });
        this.#margin = deps.refreshMarginMs ?? REFRESH_MARGIN_MS;
        this.#retryAfter = deps.retryAfterMs ?? 30_000;
        this.#signal = deps.signal;
        this.#source = deps.source ?? 'temporary credentials';
    }
    async current(signal) {
        const now = this.#clock.now();
        const held = this.#held;
        if (held !== undefined &&
            (now < held.refreshAt || (now < this.#nextAttempt && now < held.credentials.expiresAt))) {
            return held.credentials;
        }
        this.#pending ??= this.#renew().finally(() => {
            this.#pending = undefined;
        });
        try {
            return (await abortable(this.#pending, signal)).credentials;
        }
        catch (error) {
            if (signal?.aborted)
                throw error;
            const still = this.#held;
            if (still !== undefined && this.#clock.now() < still.credentials.expiresAt) {
                return still.credentials;
            }
            throw error instanceof CredentialsError ? error : new CredentialsError(error);
        }
    }
    async #renew() {
        const before = this.#clock.now();
        let credentials;
        try {
            credentials = await this.#fetch(this.#signal);
        }
        catch (error) {
            const held = this.#held;
            if (held !== undefined && this.#clock.now() < held.credentials.expiresAt) {
                this.#nextAttempt = this.#clock.now() + this.#retryAfter;
                this.#logger.warning(`${this.#source}: renewing the credentials failed (${(0,_base_error_message_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .g)(error)}); the current ones hold until ` +
                    `${new Date(held.credentials.expiresAt).toISOString()}, retrying in ${Math.round(this.#retryAfter / 1000)} s`);
            }
            throw error;
        }
        for (const secret of [credentials.secretId, credentials.secretKey, credentials.sessionToken])
            this.#mask(secret);
        const now = this.#clock.now();
        if (credentials.expiresAt <= now) {
            throw new Error(`${this.#source}: the credentials expire at ${new Date(credentials.expiresAt).toISOString()}, ` +
                `before the local time ${new Date(now).toISOString()}. Fix: sync this machine's clock (NTP)`);
        }
        const lifetime = credentials.expiresAt - before;
        const refreshAt = credentials.expiresAt - Math.min(this.#margin, Math.max(lifetime, 0) / 2);
        const renewed = this.#held !== undefined;
        this.#held = { credentials, refreshAt };
        this.#nextAttempt = 0;
        this.fetches += 1;
        this.#logger.info(`${this.#source}: ${renewed ? 'renewed the' : 'got'} temporary credentials, valid until ` +
            `${new Date(credentials.expiresAt).toISOString()}`);
        return this.#held;
    }
}
/** `promise`, or a rejection as soon as `signal` aborts (the promise itself goes on for others). */
function abortable(promise, signal) {
    if (signal === undefined)
        return promise;
    if (signal.aborted)
        return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        promise.then((value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
        }, (error) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
        });
    });
}


/***/ }),

/***/ 2026:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   SM: () => (/* binding */ createDispatcher),
/* harmony export */   T6: () => (/* binding */ ProxyError),
/* harmony export */   g3: () => (/* binding */ trustedCertificates)
/* harmony export */ });
/* harmony import */ var node_tls__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1692);
/* harmony import */ var undici__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6752);
/* harmony import */ var _proxy_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9347);
// The namespace, not a named import: on a Node without getCACertificates (20) a named import fails
// at link time, before the library's Node version check can say so in one line.



/**
 * Node's default CAs (the bundled roots, NODE_EXTRA_CA_CERTS, and the system store when Node runs
 * with --use-system-ca) plus `extra`; undefined without extra CAs, so Node's own default applies.
 */
function trustedCertificates(extra) {
    if (extra === undefined || extra.pems.length === 0)
        return undefined;
    return [...node_tls__WEBPACK_IMPORTED_MODULE_0__.getCACertificates('default'), ...extra.pems];
}
/** The dispatcher for requests to `origin`. Throws the ProxyConfigError of an unusable proxy variable. */
function createDispatcher(origin, options) {
    const ca = trustedCertificates(options.extraCa);
    // Certificates are always verified: no input turns this off, and stating it here also overrides
    // NODE_TLS_REJECT_UNAUTHORIZED=0. Redirects are never followed: undici's agents have no redirect
    // handling unless asked for.
    // Handed on to node:tls and node:net, which take an undefined `ca` or `lookup` as their default.
    const tls = { timeout: options.timeoutMs, rejectUnauthorized: true, ca, lookup: options.lookup };
    const pool = {
        connections: options.connections ?? 16,
        keepAliveTimeout: 30_000,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
    };
    const proxy = options.proxy === undefined ? undefined : (0,_proxy_js__WEBPACK_IMPORTED_MODULE_2__/* .proxyFor */ .iJ)(origin, options.proxy);
    if (proxy === undefined)
        return { dispatcher: new undici__WEBPACK_IMPORTED_MODULE_1__/* .Agent */ .g6({ ...pool, connect: tls }), proxy };
    return {
        dispatcher: new undici__WEBPACK_IMPORTED_MODULE_1__/* .ProxyAgent */ .kT({
            ...pool,
            // The bare origin: credentials travel only as the Proxy-Authorization token, so no undici
            // state or message holds them.
            uri: proxy.origin,
            ...(proxy.authorization === undefined ? {} : { token: proxy.authorization }),
            proxyTls: tls,
            requestTls: tls,
            // ProxyAgent builds the pool of forwarded (plain http) requests without the pool options:
            // without this, their headers and body timeouts would be undici's 300 s, not timeoutMs.
            factory: (poolOrigin, poolOptions) => new undici__WEBPACK_IMPORTED_MODULE_1__/* .Pool */ .bC(poolOrigin, { ...pool, ...poolOptions }),
            // The same for the pool that sends CONNECT: a proxy that never answers one fails on timeoutMs.
            clientFactory: (proxyOrigin, clientOptions) => new undici__WEBPACK_IMPORTED_MODULE_1__/* .Pool */ .bC(proxyOrigin, { ...pool, ...clientOptions }),
        }),
        proxy,
    };
}
/** A request failed at the proxy (unreachable, refused the tunnel, wants credentials). */
class ProxyError extends Error {
    name = 'ProxyError';
    /** The proxy's status, when it answered. */
    status;
    constructor(message, status, cause) {
        super(message, { cause });
        this.status = status;
    }
    /** A ProxyError for a failure of `error` at `proxy`; undefined when not proxied or not the proxy's. */
    static from(error, proxy, context) {
        if (proxy === undefined || !(error instanceof Error))
            return undefined;
        const status = proxyStatus(error.message);
        const refused = status === undefined ? undefined : ProxyError.refused(status, proxy, context, error);
        if (refused !== undefined)
            return refused;
        const via = viaProxy(proxy);
        if (status !== undefined) {
            return new ProxyError(`${context} ${via}: the proxy refused the tunnel (status ${status}). Fix: ask for CONNECT to ` +
                'this host and port to be allowed, or list the host in NO_PROXY if it is reachable directly', status, error);
        }
        const code = errorCode(error);
        if (code === 'UND_ERR_HEADERS_TIMEOUT') {
            return new ProxyError(`${context} ${via}: no answer within the timeout (${code}). Fix: check that the proxy reaches ` +
                "this host (or list the host in NO_PROXY if it is reachable directly), or raise 'timeout'", undefined, error);
        }
        if (code !== undefined && CONNECT_CODES.has(code)) {
            return new ProxyError(`${context} ${via}: the proxy cannot be reached (${code}). Fix: check ${proxy.variable}, or list ` +
                'the host in NO_PROXY if it is reachable directly', undefined, error);
        }
        return undefined;
    }
    /**
     * A ProxyError when `status` is the proxy refusing the credentials (407, or the 401 tinyproxy
     * answers to wrong ones; COS itself never answers 401); undefined for any other status.
     */
    static refused(status, proxy, context, cause) {
        if (proxy === undefined || (status !== 407 && status !== 401))
            return undefined;
        const reason = status === 407 ? '407 Proxy Authentication Required' : '401 Unauthorized';
        const rule = proxy.authorization === undefined
            ? `the proxy wants credentials (${reason})`
            : `the proxy refused the credentials in ${proxy.variable} (${reason})`;
        return new ProxyError(`${context} ${viaProxy(proxy)}: ${rule}. Fix: put the proxy's user and password in ${proxy.variable} ` +
            '(http://user:password@host:port, special characters percent-encoded)', status, cause);
    }
}
function viaProxy(proxy) {
    return `through the proxy ${proxy.shown} (from ${proxy.variable})`;
}
/** Failures of the TCP connection, which with a proxy is always the connection to the proxy. */
const CONNECT_CODES = new Set([
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_CONNECT_TIMEOUT',
]);
function errorCode(error) {
    for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
        const code = e.code;
        if (typeof code === 'string' && code !== 'UND_ERR_ABORTED')
            return code;
    }
    return undefined;
}
/** The status in undici's messages for a proxy's refusal: of a tunnel, or of a forwarded request. */
function proxyStatus(message) {
    const tunnel = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/.exec(message);
    if (tunnel !== null)
        return Number(tunnel[1]);
    if (message === 'Proxy Authentication Required (407)')
        return 407;
    return undefined;
}


/***/ }),

/***/ 4192:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Dr: () => (/* binding */ NetworkError),
/* harmony export */   JR: () => (/* binding */ hintFor),
/* harmony export */   PJ: () => (/* binding */ MalformedResponse),
/* harmony export */   SK: () => (/* binding */ ClosedEarly),
/* harmony export */   Vs: () => (/* binding */ retryAfterMs),
/* harmony export */   WM: () => (/* binding */ TlsError),
/* harmony export */   Y6: () => (/* binding */ CosError),
/* harmony export */   bd: () => (/* binding */ ProtocolError),
/* harmony export */   dg: () => (/* binding */ isTransient),
/* harmony export */   kW: () => (/* binding */ parseErrorBody),
/* harmony export */   p9: () => (/* binding */ safeLocation)
/* harmony export */ });
/* harmony import */ var fast_xml_parser__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3530);
/* harmony import */ var _base_network_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9719);
// Typed COS failures: the service's XML errors, and what goes wrong on the wire.


/** An error answer from COS (or an unexpected status). The message never holds a signed URL. */
class CosError extends Error {
    /** The HTTP status, e.g. 403. */
    status;
    /** COS's error code, e.g. `NoSuchKey`, `SignatureDoesNotMatch`, `InvalidObjectState`. */
    code;
    /** COS's own message, without the context this error's `message` adds. */
    cosMessage;
    /** `x-cos-request-id`: quote it to Tencent Cloud support. */
    requestId;
    /** The TraceId of the error body. */
    traceId;
    /** The server's `Date` header. */
    serverDate;
    /** The `Location` header of a redirect (never followed), as COS sent it. */
    location;
    /** The `Retry-After` the server sent with a 429 or 503 (seconds, or an HTTP date). */
    retryAfter;
    constructor(details, context, hint) {
        const id = details.requestId ? ` (request id ${details.requestId})` : '';
        super(`${context}: ${details.status} ${details.code}: ${details.message}${id}${hint ? `. ${hint}` : ''}`);
        this.name = 'CosError';
        this.status = details.status;
        this.code = details.code;
        this.cosMessage = details.message;
        this.requestId = details.requestId;
        this.traceId = details.traceId;
        this.serverDate = details.serverDate;
        this.location = details.location;
        this.retryAfter = details.retryAfter;
    }
    /** The same failure told differently (e.g. naming the version or the condition that failed). */
    rephrase(message, context, hint) {
        return new CosError({ ...this.details(), message }, context, hint);
    }
    /** The fields of the answer, as one object. */
    details() {
        return {
            status: this.status,
            code: this.code,
            message: this.cosMessage,
            requestId: this.requestId,
            traceId: this.traceId,
            serverDate: this.serverDate,
            location: this.location,
            retryAfter: this.retryAfter,
        };
    }
}
/** What to do about the failures users meet most; appended to the message. */
function hintFor(details, anonymous) {
    if (details.status >= 300 && details.status < 400 && details.status !== 304) {
        return (`COS redirected to ${safeLocation(details.location)} (an origin-pull redirect: the object is not in the bucket). ` +
            'Redirects are never followed, as following them blindly allows server-side request forgery; ' +
            'fetch the object from the origin, or let COS pull it in first.');
    }
    switch (details.code) {
        case 'InvalidObjectState':
            return 'The object is in ARCHIVE or DEEP_ARCHIVE storage: restore it first (console, or POST Object restore), then download it.';
        case 'SignatureDoesNotMatch':
            return 'Check secret-id and secret-key (and session-token for temporary credentials).';
        case 'InvalidAccessKeyId':
            return 'The secret-id is not known to COS: check it.';
        case 'ExpiredToken':
            return "The temporary credentials have expired: give fresh ones (keyless credentials renew themselves before they expire; check the machine's clock).";
        case 'AccessDenied':
            return anonymous
                ? 'No credentials were given, so the request was anonymous: set secret-id and secret-key, or make the bucket public-read.'
                : 'The credentials may not read this object: grant cos:GetObject, cos:HeadObject and cos:GetBucket.';
        case 'NoSuchBucket':
            return 'Check bucket (BucketName-APPID) and region.';
        case 'RequestTimeTooSkewed':
            return "The machine's clock is far off and could not be corrected: sync it (NTP).";
        default:
            return undefined;
    }
}
/** A redirect target without query or credentials, safe to print. */
function safeLocation(location) {
    if (location === undefined)
        return 'an unstated location';
    try {
        const url = new URL(location);
        return `${url.protocol}//${url.host}${url.pathname}`;
    }
    catch {
        return 'an unparsable location';
    }
}
/** A response that broke the protocol: wrong status for a range, a bad Content-Range, a short body. */
class ProtocolError extends Error {
    /** Whether a retry may help (a short body may; a wrong status for a range does not). */
    transient;
    constructor(message, options) {
        super(message, options.cause === undefined ? undefined : { cause: options.cause });
        this.name = 'ProtocolError';
        this.transient = options.transient;
    }
}
/** What the server sent is not a well-formed HTTP/1.1 response; the message does not name the request. */
class MalformedResponse extends ProtocolError {
}
/** The connection ended before the response did (a transient failure: the request may be retried). */
class ClosedEarly extends MalformedResponse {
    constructor() {
        super('the server closed the connection before the response ended', { transient: true });
    }
}
const parser = new fast_xml_parser__WEBPACK_IMPORTED_MODULE_1__/* ["default"] */ .A({
    ignoreAttributes: true,
    parseTagValue: false,
    processEntities: true,
    ignoreDeclaration: true,
});
const STATUS_CODES = {
    400: 'BadRequest',
    403: 'AccessDenied',
    404: 'NoSuchKey',
    405: 'MethodNotAllowed',
    412: 'PreconditionFailed',
    416: 'InvalidRange',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
};
const MAX_ERROR_BODY = 64 * 1024;
/** Reads Code/Message/RequestId/TraceId from a COS XML error body; falls back to the status. */
function parseErrorBody(status, body, headers) {
    const header = (name) => {
        const value = headers[name];
        return Array.isArray(value) ? value[0] : value;
    };
    let code;
    let message;
    let requestId = header('x-cos-request-id');
    let traceId = header('x-cos-trace-id');
    if (body.length > 0 && body.length <= MAX_ERROR_BODY && body.includes('<Error')) {
        try {
            const parsed = parser.parse(body);
            const error = parsed.Error;
            if (error && typeof error === 'object') {
                const text = (v) => typeof v === 'string' && v.length > 0 ? v.replace(/[\r\n]+/g, ' ').slice(0, 500) : undefined;
                code = text(error.Code);
                message = text(error.Message);
                requestId = text(error.RequestId) ?? requestId;
                traceId = text(error.TraceId) ?? traceId;
            }
        }
        catch {
            // Not XML after all: keep the status-based code.
        }
    }
    return {
        status,
        code: code ?? STATUS_CODES[status] ?? `HTTP${status}`,
        message: message ?? `HTTP status ${status}`,
        requestId,
        traceId,
        serverDate: header('date'),
        location: header('location'),
        retryAfter: header('retry-after'),
    };
}
/** Milliseconds a `Retry-After` value (seconds, or an HTTP date) asks to wait; undefined when garbled. */
function retryAfterMs(value, now) {
    if (value === undefined)
        return undefined;
    const text = value.trim();
    if (/^\d{1,9}$/.test(text))
        return Number(text) * 1000;
    const date = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)
        ? Date.parse(text)
        : Number.NaN;
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
const TRANSIENT_NETWORK_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'ENETUNREACH',
    'EHOSTUNREACH',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);
/** True for failures worth another attempt: network drops, timeouts, 429, 5xx, SlowDown. */
function isTransient(error) {
    if (error instanceof CosError) {
        return error.status === 429 || error.status >= 500 || error.code === 'SlowDown';
    }
    // A ProtocolError, or any error that says whether it is worth another attempt (a CredentialsError).
    const declared = error instanceof Error ? error.transient : undefined;
    if (typeof declared === 'boolean')
        return declared;
    if (error instanceof Error) {
        if (error.name === 'AbortError')
            return false;
        const code = error.code;
        if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code))
            return true;
        if (error.cause !== undefined && error.cause !== error)
            return isTransient(error.cause);
    }
    return false;
}
const CERTIFICATE_CODES = new Set([
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'CERT_UNTRUSTED',
    'CERT_REJECTED',
    'CERT_REVOKED',
    'CERT_SIGNATURE_FAILURE',
    'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** The server's TLS certificate could not be verified. Never transient, never skipped. */
class TlsError extends Error {
    /** Node's certificate error code, e.g. `SELF_SIGNED_CERT_IN_CHAIN`. */
    code;
    constructor(code, message, cause) {
        super(message, { cause });
        this.name = 'TlsError';
        this.code = code;
    }
    /** A TlsError for a certificate failure (of `error` or its cause) at `origin`; undefined otherwise. */
    static from(error, origin, context) {
        for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
            const code = e.code;
            if (typeof code === 'string' && CERTIFICATE_CODES.has(code)) {
                return new TlsError(code, `${context}: the TLS certificate of ${origin} could not be verified (${e.message}; ${code}). ` +
                    'Certificate checks cannot be turned off. Fix: use the endpoint’s proper host name; ' +
                    'if a private CA signs it (or a TLS-inspecting proxy re-signs it), trust that CA with ' +
                    "'ca-cert' (--ca-cert) or NODE_EXTRA_CA_CERTS=/path/to/ca.pem", error);
            }
        }
        return undefined;
    }
}
/**
 * The server could not be reached, or the connection failed before an answer: refused, a host name
 * that does not resolve, a timeout, a reset. The message names the host and what to check; `code`
 * is Node's or undici's (`ECONNREFUSED`, `ENOTFOUND`, …) and `cause` the original error.
 */
class NetworkError extends Error {
    /** `'NetworkError'`. */
    name = 'NetworkError';
    /** Node's or undici's code, e.g. `ECONNREFUSED`. */
    code;
    /** Made by the HTTP client; exported for `instanceof` and `code`. */
    constructor(code, message, cause) {
        super(message, { cause });
        this.code = code;
    }
    /** A NetworkError for a connection failure of `error` at `origin`; undefined for anything else. */
    static from(error, origin, context) {
        const code = (0,_base_network_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .networkCode */ .e)(error);
        const wording = (0,_base_network_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .describeNetworkFailure */ .K)(error, origin);
        if (code === undefined || wording === undefined)
            return undefined;
        return new NetworkError(code, `${context}: ${wording}`, error);
    }
}


/***/ }),

/***/ 3320:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   C6: () => (/* binding */ headObject),
/* harmony export */   CO: () => (/* binding */ conditionHeaders),
/* harmony export */   Hi: () => (/* binding */ accessHeaders),
/* harmony export */   LR: () => (/* binding */ versionQuery),
/* harmony export */   WL: () => (/* binding */ isCrc64Header),
/* harmony export */   Y: () => (/* binding */ contentLength),
/* harmony export */   nM: () => (/* binding */ overrideQuery),
/* harmony export */   oE: () => (/* binding */ namingRequest)
/* harmony export */ });
/* unused harmony exports sseHeaders, MAX_OBJECT_SIZE, objectInfoFrom */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var _client_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9657);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4192);
// HEAD / GET Object: the request headers a download sends, and the object identity COS answers.



function sseHeaders(key) {
    if (key === undefined)
        return {};
    const raw = Buffer.from(key, 'base64');
    return {
        'x-cos-server-side-encryption-customer-algorithm': 'AES256',
        'x-cos-server-side-encryption-customer-key': key,
        'x-cos-server-side-encryption-customer-key-MD5': (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('md5').update(raw).digest('base64'),
    };
}
/** The headers of `access` on a GET of the object's bytes: SSE-C, and `x-cos-traffic-limit`. */
function accessHeaders(access) {
    const headers = sseHeaders(access.sseCustomerKey);
    if (access.trafficLimit !== undefined)
        headers['x-cos-traffic-limit'] = String(access.trafficLimit);
    return headers;
}
function conditionHeaders(conditions) {
    const headers = {};
    if (conditions.ifMatch !== undefined)
        headers['if-match'] = conditions.ifMatch;
    if (conditions.ifNoneMatch !== undefined)
        headers['if-none-match'] = conditions.ifNoneMatch;
    if (conditions.ifModifiedSince !== undefined) {
        headers['if-modified-since'] = conditions.ifModifiedSince.toUTCString();
    }
    if (conditions.ifUnmodifiedSince !== undefined) {
        headers['if-unmodified-since'] = conditions.ifUnmodifiedSince.toUTCString();
    }
    return headers;
}
const OVERRIDE_PARAMS = [
    ['cacheControl', 'response-cache-control'],
    ['contentDisposition', 'response-content-disposition'],
    ['contentEncoding', 'response-content-encoding'],
    ['contentLanguage', 'response-content-language'],
    ['contentType', 'response-content-type'],
    ['expires', 'response-expires'],
];
function overrideQuery(overrides) {
    const query = {};
    for (const [field, param] of OVERRIDE_PARAMS) {
        const value = overrides[field];
        if (value !== undefined)
            query[param] = value;
    }
    return query;
}
function versionQuery(versionId) {
    return versionId === undefined ? {} : { versionId };
}
/** The largest object COS holds: a multipart upload of 10,000 parts of at most 5 GiB. */
const MAX_OBJECT_SIZE = 10_000 * 5 * 1024 ** 3;
const MAX_CRC64 = (1n << 64n) - 1n;
/** True for `x-cos-hash-crc64ecma` as COS writes it: decimal digits, at most 2^64-1. */
function isCrc64Header(text) {
    return /^[0-9]+$/.test(text) && text.replace(/^0+/, '').length <= 20 && BigInt(text) <= MAX_CRC64;
}
/** A header value as a message may show it: cut short (header values hold no line breaks). */
function shownHeader(value) {
    return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
}
/**
 * undici's refusal of a response that breaks HTTP/1.1 (a Content-Length of -1 or `abc`, a body
 * shorter than it), told as a ProtocolError naming the request; any other error is returned as is.
 */
function namingRequest(error, what) {
    if (!(error instanceof Error))
        return error;
    if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .MalformedResponse */ .PJ) {
        return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ProtocolError */ .bd(`${what}: ${error.message}`, { transient: error.transient, cause: error });
    }
    const code = error.code;
    if (error.name !== 'HTTPParserError' && code !== 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
        return error;
    return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .ProtocolError */ .bd(`${what}: the response breaks HTTP/1.1 (${error.message})`, {
        transient: (0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .isTransient */ .dg)(error),
        cause: error,
    });
}
/** Reads the identity of an object from HEAD or GET response headers. */
function objectInfoFrom(key, response, size) {
    const etag = (0,_client_js__WEBPACK_IMPORTED_MODULE_1__/* .header */ .wx)(response, 'etag');
    if (etag === undefined || etag.trim() === '') {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .CosError */ .Y6({ status: response.status, code: 'MissingETag', message: 'the response has no ETag header' }, `HEAD '${key}'`);
    }
    const crc64 = (0,_client_js__WEBPACK_IMPORTED_MODULE_1__/* .header */ .wx)(response, 'x-cos-hash-crc64ecma');
    if (crc64 !== undefined && !isCrc64Header(crc64)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .CosError */ .Y6({
            status: response.status,
            code: 'BadCrc64',
            message: `x-cos-hash-crc64ecma is ${shownHeader(crc64)}, not a CRC-64 (decimal, at most 2^64-1), so the bytes could not be checked`,
        }, `HEAD '${key}'`);
    }
    const versionId = (0,_client_js__WEBPACK_IMPORTED_MODULE_1__/* .header */ .wx)(response, 'x-cos-version-id');
    return {
        key,
        etag,
        size,
        lastModified: (0,_client_js__WEBPACK_IMPORTED_MODULE_1__/* .header */ .wx)(response, 'last-modified') ?? '',
        crc64,
        versionId: versionId === 'null' ? undefined : versionId,
        storageClass: (0,_client_js__WEBPACK_IMPORTED_MODULE_1__/* .header */ .wx)(response, 'x-cos-storage-class') ?? 'STANDARD',
    };
}
/** Parses a strict non-negative decimal Content-Length; undefined when absent or absurd (past MAX_OBJECT_SIZE). */
function contentLength(response) {
    const text = (0,_client_js__WEBPACK_IMPORTED_MODULE_1__/* .header */ .wx)(response, 'content-length');
    if (text === undefined || !/^\d{1,16}$/.test(text))
        return undefined;
    const value = Number(text);
    return value <= MAX_OBJECT_SIZE ? value : undefined;
}
/** HEAD Object with the user's conditions (304 → not-modified; 412 and the rest throw CosError). */
async function headObject(client, key, access, conditions, signal) {
    const response = await client.retrying(`HEAD '${key}'`, signal, () => client
        .send({
        method: 'HEAD',
        key,
        query: versionQuery(access.versionId),
        headers: { ...conditionHeaders(conditions), ...sseHeaders(access.sseCustomerKey) },
        accept: [304],
        signal,
    })
        .catch((error) => {
        throw namingRequest(error, `HEAD '${key}'`);
    }));
    response.body.resume();
    if (response.status === 304)
        return { kind: 'not-modified' };
    const size = contentLength(response);
    if (size === undefined) {
        const stated = (0,_client_js__WEBPACK_IMPORTED_MODULE_1__/* .header */ .wx)(response, 'content-length');
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .CosError */ .Y6({
            status: response.status,
            code: 'BadContentLength',
            message: `HEAD answered ${stated === undefined ? 'no Content-Length' : `Content-Length ${shownHeader(stated)}`}, not a size COS can hold (0..${MAX_OBJECT_SIZE} bytes)`,
        }, `HEAD '${key}'`);
    }
    return { kind: 'found', info: objectInfoFrom(key, response, size) };
}


/***/ }),

/***/ 3435:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FY: () => (/* binding */ linkWindow),
/* harmony export */   bV: () => (/* binding */ presignObjectUrl)
/* harmony export */ });
/* unused harmony exports DEFAULT_LINK_SECONDS, LINK_EARLY_SECONDS */
/* harmony import */ var _object_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3320);
/* harmony import */ var _sign_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9966);


/** The console's "Copy Temporary Link" validity. */
const DEFAULT_LINK_SECONDS = 3600;
/** Seconds the window opens before `now`, so a server whose clock is a little behind still accepts the link. */
const LINK_EARLY_SECONDS = 60;
/** The query parameters a link carries besides its signature, in the order they appear. */
function objectParams(request) {
    return {
        ...(0,_object_js__WEBPACK_IMPORTED_MODULE_0__/* .versionQuery */ .LR)(request.versionId),
        ...(0,_object_js__WEBPACK_IMPORTED_MODULE_0__/* .overrideQuery */ .nM)(request.responseOverrides ?? {}),
        ...(request.trafficLimit === undefined ? {} : { 'x-cos-traffic-limit': String(request.trafficLimit) }),
    };
}
/**
 * A presigned GET link to `key`, valid from a minute before `nowMs` (ms since the epoch) for
 * `expiresSeconds`. Signs the `host` of the endpoint and every object parameter (`versionId`,
 * `response-*`, `x-cos-traffic-limit`), so none can be changed or dropped; temporary credentials
 * add `x-cos-security-token` (unsigned, as COS and the SDKs have it). Throws RangeError on a key or
 * validity no input parser lets through.
 */
function presignObjectUrl(request, nowMs) {
    const seconds = request.expiresSeconds ?? DEFAULT_LINK_SECONDS;
    if (!Number.isSafeInteger(seconds) || seconds < 1) {
        throw new RangeError(`expiresSeconds must be a whole number of seconds, at least 1: ${seconds}`);
    }
    if (request.key === '')
        throw new RangeError('a link needs an object key');
    if (!Number.isFinite(nowMs))
        throw new RangeError(`nowMs must be a time: ${nowMs}`);
    const endpoint = new URL(request.endpoint);
    const basePath = endpoint.pathname.replace(/\/+$/, '');
    const now = Math.floor(nowMs / 1000);
    const keyTime = `${now - LINK_EARLY_SECONDS};${now + seconds}`;
    const params = objectParams(request);
    const { credentials } = request;
    const parts = (0,_sign_js__WEBPACK_IMPORTED_MODULE_1__/* .computeSignature */ .aW)(credentials.secretKey, keyTime, 'GET', `${basePath}/${request.key}`, params, { host: endpoint.host });
    const fields = {
        'q-sign-algorithm': 'sha1',
        'q-ak': credentials.secretId,
        'q-sign-time': keyTime,
        'q-key-time': keyTime,
        'q-header-list': parts.headerList,
        'q-url-param-list': parts.urlParamList,
        'q-signature': parts.signature,
    };
    const query = _sign_js__WEBPACK_IMPORTED_MODULE_1__/* .SIGNATURE_FIELDS */ .X8.map((name) => [name, fields[name]]);
    if (credentials.sessionToken !== undefined)
        query.push([_sign_js__WEBPACK_IMPORTED_MODULE_1__/* .SECURITY_TOKEN */ .ZS, credentials.sessionToken]);
    query.push(...Object.entries(params));
    const path = `${basePath}/${request.key.split('/').map(_sign_js__WEBPACK_IMPORTED_MODULE_1__/* .cosEncode */ .Gp).join('/')}`;
    const search = query.map(([name, value]) => `${(0,_sign_js__WEBPACK_IMPORTED_MODULE_1__/* .cosEncode */ .Gp)(name)}=${(0,_sign_js__WEBPACK_IMPORTED_MODULE_1__/* .cosEncode */ .Gp)(value)}`).join('&');
    return {
        url: `${endpoint.origin}${path}?${search}`,
        expiresAt: new Date((now + seconds) * 1000),
    };
}
/**
 * The time window of a COS presigned link (the overlap of `q-sign-time` and `q-key-time`), or
 * undefined when the URL carries no COS signature: what a download says when a link has expired.
 */
function linkWindow(url) {
    let params;
    try {
        params = new URL(url).searchParams;
    }
    catch {
        return undefined;
    }
    const times = ['q-sign-time', 'q-key-time'].map((name) => /^(\d+);(\d+)$/.exec(params.get(name) ?? ''));
    if (times.some((match) => match === null))
        return undefined;
    const starts = times.map((match) => Number(match?.[1]));
    const ends = times.map((match) => Number(match?.[2]));
    return { start: new Date(Math.max(...starts) * 1000), end: new Date(Math.min(...ends) * 1000) };
}


/***/ }),

/***/ 9347:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Yw: () => (/* binding */ proxySettingsFrom),
/* harmony export */   iJ: () => (/* binding */ proxyFor)
/* harmony export */ });
/* unused harmony exports PROXY_VARIABLES, ProxyConfigError, redactUrlCredentials, isLoopbackHost, bypassesProxy, proxySecrets */
/* harmony import */ var _base_text_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8566);
// Which requests go through a proxy, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, by the rules the
// runner and @actions/http-client apply: so this tool, @actions/cache and the other steps of a job
// agree on what is proxied. Pure: the caller passes the environment. docs/adr/0009-proxies.md has the rules.

/** The variables a proxy is read from, lowercase first (the runner and http-client order). */
const PROXY_VARIABLES = {
    https: ['https_proxy', 'HTTPS_PROXY'],
    http: ['http_proxy', 'HTTP_PROXY'],
    noProxy: ['no_proxy', 'NO_PROXY'],
};
/** A proxy variable that is set but unusable: thrown when a request would need it. */
class ProxyConfigError extends Error {
    name = 'ProxyConfigError';
    variable;
    // No `cause`: the errors of URL parsing carry the raw text, password included.
    constructor(variable, shown, rule) {
        super(`Environment variable ${variable} = ${(0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .quoteValue */ .cl)(shown)}: ${rule}. ` +
            `Fix: set it to the proxy's URL, e.g. 'http://proxy.corp:3128' (or 'http://user:password@proxy.corp:3128'), or unset it.`);
        this.variable = variable;
    }
}
/** The first variable of `names` that is set and not empty (`||`, as http-client reads them). */
function firstSet(env, names) {
    for (const name of names) {
        const value = env[name]?.trim();
        if (value)
            return { name, value };
    }
    return undefined;
}
/**
 * `text` with the user-info of every URL in it replaced by `***`: everything from `scheme://` to
 * the last `@` of the word, so a password holding `@` or `/` (unencoded) does not leak either.
 */
function redactUrlCredentials(text) {
    return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s'"]*@/gi, '$1***@');
}
function endpointFrom(variable, raw) {
    // A value without a scheme is an http proxy (`proxy.corp:3128`), as the runner reads it; http-client
    // would parse `proxy.corp:3128` as a URL of scheme `proxy.corp:` with no host and drop the proxy.
    const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
    const shown = redactUrlCredentials(text);
    if (/\s/.test(text) || (0,_base_text_js__WEBPACK_IMPORTED_MODULE_0__/* .hasControlCharacter */ .Fd)(text)) {
        return new ProxyConfigError(variable, shown, 'a URL must not hold spaces or control characters');
    }
    let url;
    try {
        url = new URL(text);
    }
    catch {
        return new ProxyConfigError(variable, shown, 'not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return new ProxyConfigError(variable, shown, `only http:// and https:// proxies are supported, not ${url.protocol}//`);
    }
    if (url.hostname === '')
        return new ProxyConfigError(variable, shown, 'the URL names no host');
    let user;
    let password;
    try {
        user = decodeURIComponent(url.username);
        password = decodeURIComponent(url.password);
    }
    catch {
        return new ProxyConfigError(variable, shown, 'the user or password is not valid percent-encoding');
    }
    const hasCredentials = url.username !== '' || url.password !== '';
    const origin = `${url.protocol}//${url.host}`;
    if (!hasCredentials)
        return { origin, shown: origin, variable, secrets: [] };
    const token = Buffer.from(`${user}:${password}`).toString('base64');
    const secrets = [password, url.password, `${user}:${password}`, token].filter((s) => s !== '');
    return {
        origin,
        authorization: `Basic ${token}`,
        shown: `${url.protocol}//***@${url.host}`,
        variable,
        secrets: [...new Set(secrets)],
    };
}
/** Reads the proxy variables once. Bad values are kept as errors, thrown only if a request needs them. */
function proxySettingsFrom(env) {
    const https = firstSet(env, PROXY_VARIABLES.https);
    const http = firstSet(env, PROXY_VARIABLES.http);
    const noProxy = firstSet(env, PROXY_VARIABLES.noProxy)?.value ?? '';
    return {
        https: https === undefined ? undefined : endpointFrom(https.name, https.value),
        http: http === undefined ? undefined : endpointFrom(http.name, http.value),
        noProxy: noProxy
            .split(',')
            .map((item) => item.trim().toUpperCase())
            .filter((item) => item !== ''),
    };
}
/**
 * Loopback targets never use a proxy: `localhost`, 127.x.x.x and [::1]. (http-client tests a
 * `127.` prefix of the host name, which would also send a DNS name like `127.example.com`
 * direct; here only the address literal is loopback.)
 */
function isLoopbackHost(hostname) {
    const host = hostname.toLowerCase();
    return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}
/**
 * True when `target` goes direct: loopback, or a NO_PROXY entry matches. An entry matches the
 * host or `host:port` exactly, any subdomain of it (`example.com` covers `a.example.com`), and
 * `.example.com` covers subdomains only; `*` matches everything. No CIDR ranges, as in http-client.
 */
function bypassesProxy(target, noProxy) {
    if (target.hostname === '')
        return false;
    if (isLoopbackHost(target.hostname))
        return true;
    if (noProxy.length === 0)
        return false;
    const port = target.port !== ''
        ? Number(target.port)
        : target.protocol === 'http:'
            ? 80
            : target.protocol === 'https:'
                ? 443
                : undefined;
    const host = target.hostname.toUpperCase();
    const hosts = port === undefined ? [host] : [host, `${host}:${port}`];
    return noProxy.some((item) => item === '*' ||
        hosts.some((h) => h === item || h.endsWith(`.${item}`) || (item.startsWith('.') && h.endsWith(item))));
}
/**
 * The proxy for requests to `target`, or undefined to go direct. https targets use HTTPS_PROXY
 * only, http targets HTTP_PROXY only (no fallback between them, as in http-client). Throws the
 * ProxyConfigError of a set but unusable variable that this target would need.
 */
function proxyFor(target, settings) {
    const url = typeof target === 'string' ? new URL(target) : target;
    const choice = url.protocol === 'https:' ? settings.https : url.protocol === 'http:' ? settings.http : undefined;
    if (choice === undefined || bypassesProxy(url, settings.noProxy))
        return undefined;
    if (choice instanceof ProxyConfigError)
        throw choice;
    return choice;
}
/** Every secret the proxy settings hold (for masking before anything is logged). */
function proxySecrets(settings) {
    const secrets = new Set();
    for (const endpoint of [settings.https, settings.http]) {
        if (endpoint !== undefined && !(endpoint instanceof ProxyConfigError)) {
            for (const secret of endpoint.secrets)
                secrets.add(secret);
        }
    }
    return [...secrets];
}


/***/ }),

/***/ 4826:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Rd: () => (/* binding */ redactText),
/* harmony export */   a9: () => (/* binding */ linkSecrets)
/* harmony export */ });
/* unused harmony exports REDACTED, redactUrl */
/* harmony import */ var _sign_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9966);
// Secrets out of text: known secret values, signature fields, and presigned links (a link is a
// credential: whoever holds it can read the object until it expires). Pure.

const REDACTED = '***';
/**
 * Query parameters a link may show as they are: they say what is downloaded, not who may. Every
 * other parameter's value is redacted, so a signature of any store (COS `q-signature`, S3
 * `X-Amz-Signature`, OSS `Signature`, an Azure SAS `sig`, a CDN `sign` …) is cut without a list of them.
 */
const HARMLESS_PARAMS = new Set([
    'versionid',
    'response-cache-control',
    'response-content-disposition',
    'response-content-encoding',
    'response-content-language',
    'response-content-type',
    'response-expires',
    'x-cos-traffic-limit',
]);
/** A parameter name safe to show next to its redacted value (a long or odd name could be a token). */
const SHOWN_NAME = /^[A-Za-z0-9._~-]{1,64}$/;
const FIELD_PATTERN = new RegExp(`\\b(${[..._sign_js__WEBPACK_IMPORTED_MODULE_0__/* .SIGNATURE_FIELDS */ .X8, _sign_js__WEBPACK_IMPORTED_MODULE_0__/* .SECURITY_TOKEN */ .ZS].join('|')})=[^&\\s"'<>]*`, 'gi');
/** Absolute URLs in free text, up to the first character that cannot be in one. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
function decodedName(raw) {
    try {
        return decodeURIComponent(raw.replaceAll('+', ' '));
    }
    catch {
        return raw;
    }
}
/**
 * A URL as it may be logged, put in a message or stored in a checkpoint or manifest: scheme, host
 * and path as they are; credentials in the authority and the fragment dropped; `versionId`,
 * `response-*` and `x-cos-traffic-limit` kept; every other query parameter's value `***` (a
 * parameter without a value, or with an odd name, becomes `***` whole).
 *
 * `https://b.cos.r.myqcloud.com/a.zip?q-sign-algorithm=sha1&q-ak=AKID…&q-signature=…&versionId=v1`
 * → `https://b.cos.r.myqcloud.com/a.zip?q-sign-algorithm=***&q-ak=***&q-signature=***&versionId=v1`
 */
function redactUrl(url) {
    let parsed;
    try {
        parsed = new URL(url);
    }
    catch {
        return 'an unparsable URL';
    }
    const authority = parsed.username !== '' || parsed.password !== '' ? `${REDACTED}@` : '';
    const origin = parsed.host === '' ? '' : `//${authority}${parsed.host}`;
    const pairs = parsed.search
        .slice(1)
        .split('&')
        .filter((pair) => pair !== '')
        .map((pair) => {
        const eq = pair.indexOf('=');
        const name = eq === -1 ? pair : pair.slice(0, eq);
        if (HARMLESS_PARAMS.has(decodedName(name).toLowerCase()))
            return pair;
        return eq === -1 || !SHOWN_NAME.test(name) ? REDACTED : `${name}=${REDACTED}`;
    });
    return `${parsed.protocol}${origin}${parsed.pathname}${pairs.length === 0 ? '' : `?${pairs.join('&')}`}`;
}
/**
 * `text` with every secret replaced by `***` (as given and URL-encoded), every URL with a query,
 * credentials or fragment passed through `redactUrl`, and any `q-*=` signature field or
 * `x-cos-security-token=` value outside a URL (an Authorization value echoed back) cut too.
 */
function redactText(text, secrets = []) {
    let result = text;
    const known = secrets.filter((s) => s !== undefined && s.length >= 4);
    // Longest first, so a secret inside another (a key id inside the Authorization value) goes with it.
    for (const secret of known.sort((a, b) => b.length - a.length)) {
        for (const form of new Set([secret, encodeURIComponent(secret)]))
            result = result.replaceAll(form, REDACTED);
    }
    result = result.replace(URL_IN_TEXT, (url) => (/[?#@]/.test(url) ? redactUrl(url) : url));
    return result.replace(FIELD_PATTERN, `$1=${REDACTED}`);
}
/** Parameters of a COS link that say how it is signed, not with what: redacted when shown, never masked. */
const SIGNING_STRUCTURE = new Set([
    'q-sign-algorithm',
    'q-sign-time',
    'q-key-time',
    'q-header-list',
    'q-url-param-list',
]);
/** Shorter values are left to `redactUrl`: masking `3600` or `sha1` would blank them in every log line. */
const MIN_MASKED = 8;
/**
 * What a log masker must hide of a link (a link is a credential): the URL as given and decoded, and
 * the value — raw and decoded — of every parameter that may be a signature, a key id or a token (any
 * but the harmless ones `redactUrl` shows and COS's signing structure), so a log line holding any
 * piece of it is masked too.
 */
function linkSecrets(url) {
    const secrets = new Set([url]);
    const add = (value) => {
        if (value.length >= MIN_MASKED)
            secrets.add(value);
    };
    try {
        add(decodeURI(url));
    }
    catch {
        // Not valid percent-encoding: the URL as given is masked.
    }
    const query = url.indexOf('?');
    if (query === -1)
        return [...secrets];
    const fragment = url.indexOf('#', query);
    for (const pair of url.slice(query + 1, fragment === -1 ? undefined : fragment).split('&')) {
        const eq = pair.indexOf('=');
        const name = decodedName(eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
        if (eq === -1 || HARMLESS_PARAMS.has(name) || SIGNING_STRUCTURE.has(name))
            continue;
        const raw = pair.slice(eq + 1);
        add(raw);
        add(decodedName(raw));
        try {
            add(decodeURIComponent(raw));
        }
        catch {
            // Kept raw only.
        }
    }
    return [...secrets];
}


/***/ }),

/***/ 9929:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   j: () => (/* binding */ retryTransient)
/* harmony export */ });
/* harmony import */ var _base_error_message_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(4329);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4192);
// The one layer of retries every request goes through (ADR 0003): transient failures only, full-jitter
// exponential backoff on an injected clock, a Retry-After honoured within the timeout, and — for a
// client that signs its own requests — a RequestTimeTooSkewed answer corrects the clock and retries
// at once. Shared by the COS client and the link client, so both retry alike.


/**
 * Runs `attempt` until it succeeds, a failure is not transient, or the attempts are spent. Each
 * retry is logged with its attempt number and delay.
 */
async function retryTransient(policy, what, signal, attempt) {
    const { attempts } = policy;
    for (let n = 1;; n++) {
        try {
            return await attempt(n);
        }
        catch (error) {
            if (signal?.aborted)
                throw error;
            const skew = policy.correctClock !== undefined &&
                error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CosError */ .Y6 &&
                error.code === 'RequestTimeTooSkewed';
            if (n >= attempts || !(skew || (0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .isTransient */ .dg)(error)))
                throw error;
            const offset = skew ? policy.correctClock?.(error) : undefined;
            if (offset !== undefined) {
                policy.logger.info(`${what}: the local clock is off by ${Math.round(offset / 1000)} s; corrected from the server's Date, retrying (attempt ${n + 1}/${attempts})`);
                continue;
            }
            const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (n - 1));
            let wait = Math.round(policy.random() * ceiling);
            // A 429 or 503 may say how long to wait: honoured, within the request's timeout.
            const asked = error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .CosError */ .Y6 ? (0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .retryAfterMs */ .Vs)(error.retryAfter, policy.clock.now()) : undefined;
            if (asked !== undefined && asked > policy.timeoutMs) {
                throw new Error(`${(0,_base_error_message_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .g)(error)}; the server asked to retry in ${Math.ceil(asked / 1000)} s, longer than the ` +
                    `timeout of ${Math.ceil(policy.timeoutMs / 1000)} s, so it was not retried. ` +
                    'Fix: run again later, or raise timeout', { cause: error });
            }
            if (asked !== undefined)
                wait = Math.max(wait, asked);
            policy.logger.warning(`${what}: attempt ${n}/${attempts} failed (${(0,_base_error_message_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .g)(error)}); retrying in ${wait} ms` +
                (asked === undefined ? '' : ' (as Retry-After asked)'));
            await policy.clock.sleep(wait, signal);
        }
    }
}


/***/ }),

/***/ 9966:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Gp: () => (/* binding */ cosEncode),
/* harmony export */   X8: () => (/* binding */ SIGNATURE_FIELDS),
/* harmony export */   ZS: () => (/* binding */ SECURITY_TOKEN),
/* harmony export */   aW: () => (/* binding */ computeSignature),
/* harmony export */   it: () => (/* binding */ authorization),
/* harmony export */   xW: () => (/* binding */ parseAuthorization)
/* harmony export */ });
/* unused harmony export isSignedHeader */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
// COS "Request Signature" (q-sign-algorithm=sha1). Pure: no clock, no I/O.

/** Headers that take part in the signature; every `x-cos-*` header does too. */
const SIGNED_HEADERS = new Set([
    'cache-control',
    'content-disposition',
    'content-encoding',
    'content-length',
    'content-md5',
    'content-type',
    'expect',
    'expires',
    'host',
    'if-match',
    'if-modified-since',
    'if-none-match',
    'if-unmodified-since',
    'origin',
    'range',
    'transfer-encoding',
]);
/** The fields of a signature, in the order COS writes them (an Authorization value or a link's query). */
const SIGNATURE_FIELDS = [
    'q-sign-algorithm',
    'q-ak',
    'q-sign-time',
    'q-key-time',
    'q-header-list',
    'q-url-param-list',
    'q-signature',
];
/** The session token of temporary credentials: a header, or a query parameter of a presigned link. */
const SECURITY_TOKEN = 'x-cos-security-token';
function isSignedHeader(name) {
    const lower = name.toLowerCase();
    return lower.startsWith('x-cos-') || SIGNED_HEADERS.has(lower);
}
/** encodeURIComponent plus the characters COS also escapes: ! ' ( ) *. */
function cosEncode(value) {
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
function canonicalPairs(record) {
    return Object.entries(record)
        .map(([k, v]) => [cosEncode(k).toLowerCase(), cosEncode(v)])
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
/** Computes the signature over exactly the given query and header records. */
function computeSignature(secretKey, keyTime, method, path, query, headers) {
    const params = canonicalPairs(query);
    const heads = canonicalPairs(headers);
    const httpString = [
        method.toLowerCase(),
        path,
        params.map(([k, v]) => `${k}=${v}`).join('&'),
        heads.map(([k, v]) => `${k}=${v}`).join('&'),
        '',
    ].join('\n');
    const signKey = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHmac)('sha1', secretKey).update(keyTime).digest('hex');
    const stringToSign = `sha1\n${keyTime}\n${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha1').update(httpString, 'utf8').digest('hex')}\n`;
    return {
        keyTime,
        headerList: heads.map(([k]) => k).join(';'),
        urlParamList: params.map(([k]) => k).join(';'),
        signature: (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHmac)('sha1', signKey).update(stringToSign).digest('hex'),
    };
}
/**
 * The `Authorization` header value for a request: signs `host`, every conditional, range and
 * `x-cos-*` header present, and every query parameter.
 */
function authorization(credentials, request, nowSeconds, validSeconds = 900) {
    const start = Math.floor(nowSeconds) - 60; // tolerate a little skew in our favour
    const keyTime = `${start};${Math.floor(nowSeconds) + validSeconds}`;
    const headers = {};
    for (const [name, value] of Object.entries(request.headers)) {
        if (isSignedHeader(name))
            headers[name] = value;
    }
    const parts = computeSignature(credentials.secretKey, keyTime, request.method, request.path, request.query, headers);
    return [
        'q-sign-algorithm=sha1',
        `q-ak=${credentials.secretId}`,
        `q-sign-time=${keyTime}`,
        `q-key-time=${keyTime}`,
        `q-header-list=${parts.headerList}`,
        `q-url-param-list=${parts.urlParamList}`,
        `q-signature=${parts.signature}`,
    ].join('&');
}
/** Parses an `Authorization` header; undefined when a field is missing. */
function parseAuthorization(value) {
    const fields = new Map();
    for (const part of value.split('&')) {
        const eq = part.indexOf('=');
        if (eq > 0)
            fields.set(part.slice(0, eq), part.slice(eq + 1));
    }
    const get = (k) => fields.get(k);
    const algorithm = get('q-sign-algorithm');
    const accessKey = get('q-ak');
    const signTime = get('q-sign-time');
    const keyTime = get('q-key-time');
    const headerList = get('q-header-list');
    const urlParamList = get('q-url-param-list');
    const signature = get('q-signature');
    if (algorithm === undefined ||
        accessKey === undefined ||
        signTime === undefined ||
        keyTime === undefined ||
        headerList === undefined ||
        urlParamList === undefined ||
        signature === undefined) {
        return undefined;
    }
    const list = (s) => (s === '' ? [] : s.split(';'));
    return {
        algorithm,
        accessKey,
        signTime,
        keyTime,
        headerList: list(headerList),
        urlParamList: list(urlParamList),
        signature,
    };
}


/***/ })

};
