// A typed fake of the slice of @actions/core the action uses: inputs in, everything else recorded.
import type { ActionCore } from '../src/action/core.js';
import type { SummaryTable } from '../src/core/summary.js';

export interface FakeCore extends ActionCore {
  readonly outputs: Record<string, string>;
  readonly secrets: string[];
  readonly logs: string[];
  readonly summaries: SummaryTable[];
  failed: string | undefined;
  /** The audience of every getIDToken call, in order. */
  readonly idTokenAudiences: (string | undefined)[];
}

/** What the fake's getIDToken answers: a token from the test, or (default) the runner's failure without one. */
export type IdTokenAnswer = (audience: string | undefined) => string | Promise<string>;

/** @actions/core's failure in a job that has no `permissions: id-token: write`. */
export const NO_ID_TOKEN: IdTokenAnswer = () => {
  throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
};

export function fakeCore(
  inputs: Readonly<Record<string, string>>,
  debug = false,
  idToken: IdTokenAnswer = NO_ID_TOKEN,
): FakeCore {
  const fake: FakeCore = {
    idTokenAudiences: [],
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
    getIDToken: async (audience) => {
      fake.idTokenAudiences.push(audience);
      // As @actions/core does: the token is masked the moment it arrives.
      const token = await idToken(audience);
      fake.setSecret(token);
      return token;
    },
  };
  return fake;
}
