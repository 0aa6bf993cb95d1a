// One InputError, two renderings: the action's (`Input 'part-size' = '10MB'`, fixes in YAML) and the
// CLI's (`--part-size '10MB'`, fixes in flags). Pure: the parser's own errors, retold.
import { describe, expect, it } from 'vitest';
import { flagMessage, InputError, inFlags } from '../src/config/errors.js';
import { parseOptions, type RawInputs } from '../src/config/parse.js';
import { catchInputError } from './helpers/parse-inputs.js';

const context = { cwd: '/work', env: {}, isDirectory: () => false };
const BUCKET = 'examplebucket-1250000000';

function rejected(raw: RawInputs): InputError {
  return catchInputError(() => parseOptions(raw, context));
}

describe('flagMessage: an InputError told in the CLI’s flags', () => {
  it.each<[string, RawInputs, string, string]>([
    [
      'a missing input',
      { region: 'ap-guangzhou', key: 'a' },
      "Input 'bucket' (not set): required: the bucket to download from. Fix: e.g. 'examplebucket-1250000000'.",
      "--bucket (not set): required: the bucket to download from. Fix: e.g. 'examplebucket-1250000000'.",
    ],
    [
      'a bad value',
      { bucket: BUCKET, region: 'ap-guangzhou', key: 'a', 'part-size': '10MB' },
      "Input 'part-size' = '10MB':",
      "--part-size '10MB':",
    ],
    [
      'two inputs at once',
      { bucket: BUCKET, region: 'ap-guangzhou', key: 'a', prefix: 'b' },
      "Inputs 'key' = 'a' and 'prefix' = 'b' are both set: exactly one may be set: 'key' downloads one object, " +
        "'prefix' mirrors every object under it. Fix: remove 'key' or 'prefix'.",
      "--key 'a' and --prefix 'b' are both set: exactly one may be set: --key downloads one object, " +
        '--prefix mirrors every object under it. Fix: remove --key or --prefix.',
    ],
    [
      'neither: the YAML of the fix becomes flags with their values',
      { bucket: BUCKET, region: 'ap-guangzhou' },
      "Fix: set 'key: path/to/file.bin' for one object, 'prefix: path/to/folder/' for a folder ('/' = the whole bucket), or 'url: LINK' for a link.",
      "None of --key, --prefix or --url is set: exactly one says what to download. Fix: set --key path/to/file.bin for one object, --prefix path/to/folder/ for a folder ('/' = the whole bucket), or --url LINK for a link.",
    ],
    [
      'a switch given bare, and `cache: true` as a flag',
      { bucket: BUCKET, region: 'ap-guangzhou', prefix: 'a', 'cache-key': 'x' },
      "Input 'cache-key' = 'x': is used only with 'cache: true' (and 'prefix'). Fix: set 'cache: true', or remove 'cache-key'.",
      "--cache-key 'x': is used only with --cache (and --prefix). Fix: set --cache, or remove --cache-key.",
    ],
    [
      'a boolean that applies only to a prefix',
      { bucket: BUCKET, region: 'ap-guangzhou', key: 'a', delete: 'true' },
      "Input 'delete' = 'true':",
      '--delete: applies only to a folder mirror (--prefix), not to one object (--key). Fix: remove --delete, or use --prefix instead of --key.',
    ],
    [
      'a fix of its own where the action’s names a workflow expression',
      { bucket: BUCKET, region: 'ap-guangzhou', key: 'a', destination: '~/x' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the workflow expression the action's fix names
      "under '${{ runner.temp }}'",
      "--destination '~/x': '~' is not expanded: the destination is relative to the current folder. " +
        'Fix: let the shell expand it (write ~/… unquoted), or give an absolute path.',
    ],
    [
      'a secret stays hidden',
      { bucket: BUCKET, region: 'ap-guangzhou', key: 'a', 'secret-id': 'AKID x', 'secret-key': 'k' },
      "Input 'secret-id' = (hidden):",
      '--secret-id (hidden):',
    ],
  ])('%s', (_, raw, action, cli) => {
    const error = rejected(raw);
    expect(error.message).toContain(action);
    const flags = flagMessage(error);
    if (cli.endsWith('.')) expect(flags).toBe(cli);
    else expect(flags.startsWith(cli)).toBe(true);
    expect(flags).not.toMatch(/Input '|[\n\r]/);
    expect(flags).not.toContain('AKID');
  });

  it('leaves quoted values alone, and names only known inputs as flags', () => {
    expect(inFlags("e.g. 'changed' or 'true'")).toBe("e.g. 'changed' or 'true'");
    expect(inFlags("set 'endpoint: http://127.0.0.1:9000'")).toBe('set --endpoint http://127.0.0.1:9000');
    expect(inFlags("set 'destination: my downloads'")).toBe("set --destination 'my downloads'");
    expect(inFlags("set 'accelerate: false'")).toBe('set --no-accelerate');
    expect(inFlags("'role-arn' is a pending input")).toBe('--role-arn is a pending input');
    expect(inFlags("'frobnicate: 1' and 'nope'")).toBe("'frobnicate: 1' and 'nope'");
  });

  it('a hand-made InputError keeps its fields for either rendering', () => {
    const error = new InputError({
      input: 'range',
      value: 'x',
      rule: "needs 'key'",
      fix: "set 'range: bytes=0-9'",
    });
    expect(error.message).toBe("Input 'range' = 'x': needs 'key'. Fix: set 'range: bytes=0-9'.");
    expect(flagMessage(error)).toBe("--range 'x': needs --key. Fix: set --range bytes=0-9.");
    expect(error.shownValue).toBe("'x'");
    expect(error.subject).toBeUndefined();
  });
});
