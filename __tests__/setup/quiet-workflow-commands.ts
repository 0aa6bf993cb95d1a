// @actions/core reports through workflow commands written to stdout (`::debug::…`, `::warning::…`);
// @actions/cache, run for real against the local cache stack, logs dozens of them per call. On a
// runner each one in a test run would become a log annotation. This setup keeps them off stdout and
// records them instead, so a test that expects one asks for it (helpers/workflow-commands.ts).
// Child processes write to their own pipes, which tests read themselves: not affected.

const COMMAND = /^::[a-z][\w-]*(?: [^\n]*?)?::/;
const recorded: string[] = [];
(globalThis as Record<symbol, unknown>)[Symbol.for('cos-download.test.workflow-commands')] = recorded;

type Write = typeof process.stdout.write;
const write: Write = process.stdout.write.bind(process.stdout);

process.stdout.write = function quietWrite(
  chunk: string | Uint8Array,
  encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void),
  callback?: (error?: Error | null) => void,
): boolean {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (!COMMAND.test(text)) return write(chunk, encodingOrCallback as BufferEncoding, callback);
  for (const line of text.split(/\r?\n/)) if (line !== '') recorded.push(line);
  const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
  if (done !== undefined) queueMicrotask(() => done(null));
  return true;
} as Write;
