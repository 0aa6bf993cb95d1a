// What the CLI prints on stdout when it is done: the human lines (what was done, the largest files,
// refused keys, then the outputs), or the --json report.

import { OUTPUTS } from '../config/inputs.js';
import type { RunResult } from '../core/download.js';
import { describeResult, outputsFor, summaryFor } from '../core/outputs.js';
import type { SummaryTable } from '../core/summary.js';

/** A table as aligned text columns under its heading. */
function formatTable(table: SummaryTable): string[] {
  const widths = table.header.map((title, column) =>
    Math.max(title.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd();
  return [`${table.heading}:`, line(table.header), ...table.rows.map(line)];
}

/** The human report: what was done, the tables a mirror adds, then `  name: value` per output. */
export function humanLines(result: RunResult): string[] {
  const lines = describeResult(result);
  if (result.kind === 'prefix') {
    // The first table is the totals describeResult already told; the cache has a line of its own.
    for (const table of summaryFor(result).slice(1)) {
      if (table.heading === 'Actions cache') continue;
      lines.push('', ...formatTable(table));
    }
    lines.push('');
  }
  const outputs = outputsFor(result);
  for (const name of Object.keys(OUTPUTS)) {
    const value = outputs[name as keyof typeof outputs];
    if (value !== undefined && value !== '') lines.push(`  ${name}: ${value}`);
  }
  return lines;
}
