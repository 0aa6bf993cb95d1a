// action.yml declares exactly the action inputs and the outputs of the one table in src/config/inputs.ts,
// with the same descriptions and defaults, in the same order.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_INPUT_NAMES, INPUTS, type InputSpec, OUTPUTS } from '../src/config/inputs.js';

type YamlMap = { [key: string]: string | YamlMap };

/** A scalar as this file writes them: 'single-quoted' ('' escapes '), "double-quoted" (JSON) or plain. */
function scalar(text: string, lineNumber: number): string {
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) throw new Error(`line ${lineNumber}: bad single-quoted scalar`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (/^[|>]/.test(text)) throw new Error(`line ${lineNumber}: block scalars are not read here`);
  return text.replace(/\s+#.*$/, '');
}

/**
 * A reader for the simple YAML of action.yml: nested maps by indentation, one scalar per line. It
 * refuses anything else (lists, block scalars, flow maps), so a structure it cannot read fails the test
 * instead of being misread.
 */
function readSimpleYaml(text: string): YamlMap {
  const root: YamlMap = {};
  const stack: Array<{ indent: number; map: YamlMap }> = [{ indent: 0, map: root }];
  let pendingKey: { key: string; indent: number; parent: YamlMap } | undefined;
  text.split(/\r?\n/).forEach((line, index) => {
    const lineNumber = index + 1;
    if (/^\s*(#.*)?$/.test(line)) return;
    const match = /^( *)([A-Za-z0-9_-]+):(?: +(.*))?$/.exec(line);
    if (match === null) throw new Error(`line ${lineNumber}: cannot read ${JSON.stringify(line)}`);
    const [, spaces = '', key = '', rest] = match;
    const indent = spaces.length;
    if (pendingKey !== undefined) {
      if (indent <= pendingKey.indent)
        throw new Error(`line ${lineNumber}: '${pendingKey.key}' has no value`);
      const child: YamlMap = {};
      pendingKey.parent[pendingKey.key] = child;
      stack.push({ indent, map: child });
      pendingKey = undefined;
    }
    while (stack.length > 1 && indent < (stack.at(-1)?.indent ?? 0)) stack.pop();
    const top = stack.at(-1);
    if (top === undefined || indent !== top.indent) throw new Error(`line ${lineNumber}: unexpected indent`);
    if (Object.hasOwn(top.map, key)) throw new Error(`line ${lineNumber}: duplicate key '${key}'`);
    if (rest === undefined || rest.trim() === '' || rest.trim().startsWith('#')) {
      pendingKey = { key, indent, parent: top.map };
    } else {
      top.map[key] = scalar(rest.trim(), lineNumber);
    }
  });
  if (pendingKey !== undefined) throw new Error(`'${pendingKey.key}' has no value`);
  return root;
}

function mapAt(map: YamlMap, key: string): YamlMap {
  const value = map[key];
  if (typeof value !== 'object') throw new Error(`'${key}' is not a map`);
  return value;
}

describe('readSimpleYaml', () => {
  it('reads nested maps and quoted scalars, refuses what it does not know', () => {
    expect(readSimpleYaml("a:\n  b: 'it''s: x'\n  c: \"q\"\nd: plain # note\n")).toEqual({
      a: { b: "it's: x", c: 'q' },
      d: 'plain',
    });
    expect(() => readSimpleYaml('a:\n  - item\n')).toThrow(/cannot read/);
    expect(() => readSimpleYaml('a: |\n  text\n')).toThrow(/block scalars/);
    expect(() => readSimpleYaml('a: 1\na: 2\n')).toThrow(/duplicate/);
  });
});

describe('action.yml', () => {
  const yaml = readSimpleYaml(readFileSync(new URL('../action.yml', import.meta.url), 'utf8'));
  const inputs = mapAt(yaml, 'inputs');
  const outputs = mapAt(yaml, 'outputs');

  it('runs dist/index.js on node24', () => {
    expect(mapAt(yaml, 'runs')).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(yaml.name).toBe('COS Download');
    expect(typeof yaml.description).toBe('string');
    expect(typeof yaml.author).toBe('string');
    expect(Object.keys(mapAt(yaml, 'branding')).sort()).toEqual(['color', 'icon']);
  });

  it('declares exactly the action inputs of the table, in its order', () => {
    expect(Object.keys(inputs)).toEqual(ACTION_INPUT_NAMES);
  });

  it.each(ACTION_INPUT_NAMES)('input %s: description, required and default as in the table', (name) => {
    const spec = INPUTS[name] as InputSpec;
    const declared = mapAt(inputs, name);
    expect(declared.description).toBe(spec.description);
    // None is required of the runner: even `bucket` is not, with `url` (the parser says what is missing).
    expect(declared.required).toBe('false');
    if (spec.default === undefined) expect(declared).not.toHaveProperty('default');
    else expect(declared.default).toBe(spec.default);
    expect(Object.keys(declared).every((k) => ['description', 'required', 'default'].includes(k))).toBe(true);
  });

  it('declares exactly the outputs of the table, with their descriptions', () => {
    expect(Object.keys(outputs)).toEqual(Object.keys(OUTPUTS));
    for (const [name, description] of Object.entries(OUTPUTS)) {
      expect(mapAt(outputs, name)).toEqual({ description });
    }
  });
});
