// The workflow commands (`::warning::…`) the code under test wrote to stdout in this test file,
// recorded by setup/quiet-workflow-commands.ts instead of being printed.

function recorded(): string[] {
  const list = (globalThis as Record<symbol, unknown>)[Symbol.for('cos-download.test.workflow-commands')];
  if (!Array.isArray(list)) throw new Error('setup/quiet-workflow-commands.ts is not loaded');
  return list as string[];
}

/** Every command recorded so far, oldest first, as written (`::warning::Failed to restore: …`). */
export function workflowCommands(): readonly string[] {
  return [...recorded()];
}

/** Forgets what was recorded, e.g. before the step a test looks at. */
export function clearWorkflowCommands(): void {
  recorded().length = 0;
}
