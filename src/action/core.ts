// The slice of @actions/core the action uses, so tests can hand in a typed fake.
import * as actionsCore from '@actions/core';

import type { SummaryTable } from '../core/summary.js';
import { secretForms } from './secrets.js';

export interface ActionCore {
  getInput(name: string): string;
  setOutput(name: string, value: string): void;
  setSecret(secret: string): void;
  setFailed(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  isDebug(): boolean;
  writeSummary(tables: readonly SummaryTable[]): Promise<void>;
  /** A GitHub OIDC token for `audience` (keyless credentials); the job needs `permissions: id-token: write`. */
  getIDToken(audience?: string): Promise<string>;
}

export const realCore: ActionCore = {
  getInput: (name) => actionsCore.getInput(name),
  setOutput: (name, value) => actionsCore.setOutput(name, value),
  // The runner masks per log line: register the value trimmed and line by line as well.
  setSecret: (secret) => {
    for (const form of secretForms(secret)) actionsCore.setSecret(form);
  },
  setFailed: (message) => actionsCore.setFailed(message),
  info: (message) => actionsCore.info(message),
  warning: (message) => actionsCore.warning(message),
  debug: (message) => actionsCore.debug(message),
  isDebug: () => actionsCore.isDebug(),
  writeSummary: async (tables) => {
    for (const table of tables) {
      actionsCore.summary
        .addHeading(table.heading, 3)
        .addTable([
          table.header.map((data) => ({ data, header: true })),
          ...table.rows.map((row) => [...row]),
        ]);
    }
    await actionsCore.summary.write();
  },
  getIDToken: (audience) => actionsCore.getIDToken(audience),
};
