// The README is the user's reference: it must name every input and output the action declares, every
// flag the CLI's help offers (and no flag the CLI does not know), the CLI's exit codes as --help
// prints them, and start with the two commands a new user runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownFlags, SWITCHES } from '../src/cli/args.js';
import { EXIT_CODES } from '../src/cli/exit-codes.js';
import { helpFlags } from '../src/cli/help.js';
import { ACTION_INPUT_NAMES, OUTPUTS } from '../src/config/inputs.js';
import { emulatorHelp } from '../src/emulator/cli.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');

/** The text of one `## ` section, heading included. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`the README has no section '${heading}'`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README', () => {
  it.each(ACTION_INPUT_NAMES)('documents the input %s in the inputs block', (name) => {
    expect(readme).toMatch(new RegExp(`^ {4}${name}:`, 'm'));
  });

  it.each(Object.keys(OUTPUTS))('documents the output %s', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it('starts with the demo and test commands', () => {
    const head = readme.split('\n').slice(0, 6).join('\n');
    expect(head).toContain('npm ci && npm run demo');
    expect(head).toContain('npm ci && npm test');
  });

  it('says no input is still in progress', () => {
    expect(readme).not.toMatch(/\(in progress\.?\)/i);
  });
});

describe("README: the CLI's section", () => {
  const cli = section('The CLI');

  it.each([...Object.values(helpFlags()).flat(), ...Object.keys(SWITCHES)])('documents --%s', (name) => {
    expect(cli).toContain(`\`--${name}\``);
  });

  it('names only flags the CLI knows', () => {
    const known = new Set(knownFlags());
    // `--name=value` is how a value may be written, not a flag.
    const named = [...cli.matchAll(/`--([a-z][a-z0-9-]*)(?![a-z0-9=-])/g)].map((match) => match[1] as string);
    expect(named.length).toBeGreaterThan(40);
    for (const name of named) expect(known.has(name), `--${name}`).toBe(true);
  });

  it('has the exit codes as --help prints them', () => {
    const rows = [...cli.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((match) => ({
      code: Number(match[1]),
      meaning: match[2],
    }));
    expect(rows).toEqual(EXIT_CODES.map(({ code, meaning }) => ({ code, meaning })));
  });
});

describe("README: the emulator's section", () => {
  it('names only options the emulator has, and says --root is read once', () => {
    const emulator = section('The COS emulator');
    const help = emulatorHelp(200);
    for (const [, name] of emulator.matchAll(/(--[a-z][a-z-]*)/g)) expect(help, name).toContain(`${name}`);
    expect(emulator).toMatch(/`--root` reads the folder once, at start/);
  });
});
