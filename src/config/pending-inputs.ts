// Inputs the design names whose parsers exist (ca-cert.ts, role.ts) but which the INPUTS table — and
// so action.yml, the README and the CLI — does not offer yet. Until it does, InputError names them
// too. When an input is wired into INPUTS, remove it here.
export const PENDING_INPUTS = [
  'role-arn',
  'provider-id',
  'role-session-name',
  'role-duration',
  'audience',
  'sts-endpoint',
  'ca-cert',
] as const;

export type PendingInputName = (typeof PENDING_INPUTS)[number];
