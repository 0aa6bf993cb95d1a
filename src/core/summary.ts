/** A job-summary table: the action renders it as Markdown, the CLI may print it. */
export interface SummaryTable {
  readonly heading: string;
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}
