// Self time of a V8 CPU profile (`node --cpu-prof`'s .cpuprofile), by function and by where the code
// lives (our lib/, undici, Node's internals, WebAssembly, GC, idle), as Markdown. Pure: no I/O.

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileLine {
  readonly name: string;
  readonly where: string;
  readonly group: string;
  readonly selfMs: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly top: readonly ProfileLine[];
  readonly groups: readonly { readonly group: string; readonly selfMs: number; readonly share: number }[];
  readonly markdown: string;
}

/** Node's native fs bindings as they appear in a profile (a frame without a URL). */
const FS_BINDINGS = new Set([
  'writeBuffers',
  'writeString',
  'openFileHandle',
  'open',
  'close',
  'fsync',
  'fdatasync',
  'stat',
  'lstat',
  'fstat',
  'rename',
  'futimes',
  'utimes',
  'lutimes',
  'mkdir',
  'unlink',
  'rmdir',
  'ftruncate',
  'readdir',
  'realpath',
  'internalModuleStat',
  'readFileUtf8',
]);

/** Where a frame's code lives, for the first table. */
function groupOf(frame: CallFrame, repo: string): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(program)') return 'V8/native, unattributed (program)';
    if (/^wasm-function|^\$/.test(functionName)) return 'WebAssembly';
    if (FS_BINDINGS.has(functionName)) return 'file system calls (native fs bindings)';
    return 'native / builtins';
  }
  if (url.startsWith('wasm://')) return 'WebAssembly';
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts.slice(0, parts[0] === 'internal' && parts.length > 2 ? 2 : 1).join('/')}`;
  }
  const path = url.replace(/^file:\/\//, '');
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (modules !== null) return `node_modules/${modules[1]}`;
  if (path.startsWith(repo)) {
    const rel = path.slice(repo.length + 1);
    const parts = rel.split('/');
    return parts.length > 2 ? `${parts.slice(0, 3).join('/')}` : rel;
  }
  return path;
}

function shortWhere(frame: CallFrame, repo: string): string {
  if (frame.url === '') return '';
  const path = frame.url
    .replace(/^file:\/\//, '')
    .replace(`${repo}/`, '')
    .replace(/^.*node_modules\//, '');
  return `${path}:${frame.lineNumber + 1}`;
}

export function summariseProfile(text: string, repo: string, limit: number): ProfileSummary {
  const profile = JSON.parse(text) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the gap after it.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const gap = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + gap);
  }
  let totalUs = 0;
  for (const us of selfUs.values()) totalUs += us;
  const lines = new Map<string, { name: string; where: string; group: string; us: number }>();
  const groups = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const where = shortWhere(frame, repo);
    const group = groupOf(frame, repo);
    const key = `${name}\u0000${where}`;
    const line = lines.get(key) ?? { name, where, group, us: 0 };
    line.us += us;
    lines.set(key, line);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }
  const share = (us: number): number => (totalUs > 0 ? us / totalUs : 0);
  const top = [...lines.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((l) => ({ name: l.name, where: l.where, group: l.group, selfMs: l.us / 1000, share: share(l.us) }));
  const groupList = [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([group, us]) => ({ group, selfMs: us / 1000, share: share(us) }));
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const markdown = [
    `Main thread, ${(totalUs / 1e6).toFixed(2)} s sampled.`,
    '',
    '| self | self ms | where the code lives |',
    '| ---: | ---: | --- |',
    ...groupList.slice(0, 12).map((g) => `| ${pct(g.share)} | ${g.selfMs.toFixed(0)} | ${g.group} |`),
    '',
    '| self | self ms | function | file:line |',
    '| ---: | ---: | --- | --- |',
    ...top.map((l) => `| ${pct(l.share)} | ${l.selfMs.toFixed(0)} | \`${l.name}\` | ${l.where} |`),
  ].join('\n');
  return { totalMs: totalUs / 1000, top, groups: groupList, markdown };
}
