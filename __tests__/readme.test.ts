// The README is the user's reference: it must name every input and output the action declares,
// and start with the two commands a new user runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_INPUT_NAMES, OUTPUTS } from '../src/config/inputs.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');

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
});
