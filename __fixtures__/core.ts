// A typed fake of the slice of @actions/core the action uses: inputs in, everything else recorded.
import type { ActionCore } from '../src/action/core.js';
import type { SummaryTable } from '../src/core/summary.js';

export interface FakeCore extends ActionCore {
  readonly outputs: Record<string, string>;
  readonly secrets: string[];
  readonly logs: string[];
  readonly summaries: SummaryTable[];
  failed: string | undefined;
}

export function fakeCore(inputs: Readonly<Record<string, string>>, debug = false): FakeCore {
  const fake: FakeCore = {
    outputs: {},
    secrets: [],
    logs: [],
    summaries: [],
    failed: undefined,
    getInput: (name) => inputs[name] ?? '',
    setOutput: (name, value) => {
      fake.outputs[name] = value;
    },
    setSecret: (secret) => {
      fake.secrets.push(secret);
    },
    setFailed: (message) => {
      fake.failed = message;
    },
    info: (message) => fake.logs.push(`info: ${message}`),
    warning: (message) => fake.logs.push(`warning: ${message}`),
    debug: (message) => fake.logs.push(`debug: ${message}`),
    isDebug: () => debug,
    writeSummary: async (tables) => {
      fake.summaries.push(...tables);
    },
  };
  return fake;
}
