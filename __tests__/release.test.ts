// The release's notes come from CHANGELOG.md (scripts/changelog-section.mjs, run by release.yml).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations.
import { changelogSection } from '../scripts/changelog-section.mjs';

const section = changelogSection as (text: string, version: string) => string | undefined;
const root = path.resolve(import.meta.dirname, '..');

const SAMPLE = [
  '# Changelog',
  '',
  '## [Unreleased]',
  '',
  '## [1.2.0] - 2026-12-01',
  '',
  '### Fixed',
  '',
  '- a',
  '',
  '## [1.1.0] - 2026-11-01',
  '- b',
  '',
  '## [1.1.0-rc.1] - 2026-10-01',
  '- c',
  '',
  '[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0',
  '',
].join('\n');

describe('changelogSection', () => {
  it.each([
    ['1.2.0', '### Fixed\n\n- a'],
    ['1.1.0', '- b'],
    ['1.1.0-rc.1', '- c'],
    ['Unreleased', undefined],
    ['1.2', undefined],
    ['1.3.0', undefined],
    ['1.1.0.', undefined],
  ])('%s → %j', (version, expected) => {
    expect(section(SAMPLE, version)).toBe(expected);
  });

  it('reads CRLF files the same way', () => {
    expect(section(SAMPLE.replaceAll('\n', '\r\n'), '1.2.0')).toBe('### Fixed\n\n- a');
  });
});

describe('CHANGELOG.md', () => {
  const text = readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');

  it('keeps a changelog: an Unreleased section with notes, released versions newest first', () => {
    expect(text).toContain('[Keep a Changelog](https://keepachangelog.com/');
    expect(section(text.replace('## [Unreleased]', '## [next]'), 'next')).toMatch(
      /^### (Added|Changed|Fixed)/,
    );
    const versions = [...text.matchAll(/^## \[(\d+)\.(\d+)\.(\d+)[^\]]*\]/gm)].map((m) =>
      m.slice(1, 4).reduce((total, part) => total * 100_000 + Number(part), 0),
    );
    const sorted = [...versions].sort((a, b) => b - a);
    expect(versions).toEqual(sorted);
  });
});
