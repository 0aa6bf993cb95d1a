// `node scripts/changelog-section.mjs 1.2.3`: prints the CHANGELOG.md section of that version (its
// text under `## [1.2.3]`, up to the next `## ` heading), for the GitHub release's notes. Fails, naming
// the version, when there is no such section or it is empty: a release is not tagged before its
// changelog entry is written.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The body of the `## [version]` section of a Keep a Changelog text, trimmed; undefined if absent or empty. */
export function changelogSection(text, version) {
  const lines = text.split(/\r?\n/);
  const heading = new RegExp(`^## \\[${version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\](?:\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start === -1) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^## /.test(line) || /^\[[^\]]+\]: /.test(line));
  const body = (end === -1 ? rest : rest.slice(0, end)).join('\n').trim();
  return body === '' ? undefined : body;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const version = (process.argv[2] ?? '').replace(/^v/, '');
  const file = path.resolve(import.meta.dirname, '../CHANGELOG.md');
  const section = version === '' ? undefined : changelogSection(readFileSync(file, 'utf8'), version);
  if (section === undefined) {
    console.error(
      `CHANGELOG.md has no entry for '${version}': move the Unreleased notes under '## [${version}] - YYYY-MM-DD' and tag again.`,
    );
    process.exit(1);
  }
  process.stdout.write(`${section}\n`);
}
