import type { RestClient } from './rest-client';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export interface Flags {
  pool?: string;
  version?: string;
  backend?: string[];
  strategy?: string;
  steps?: string;
  pause?: string;
  'max-error-rate'?: string;
  'min-requests'?: string;
  'healthy-timeout'?: string;
  'drain-timeout'?: string;
  'idempotency-key'?: string;
  rule?: string;
  'max-surge'?: string;
  'max-unavailable'?: string;
  weight?: string;
  backup?: boolean;
  wait?: boolean;
  timeout?: string;
  interval?: string;
  limit?: string;
  message?: string;
  reason?: string;
  file?: string;
  format?: string;
  user?: string;
  'password-file'?: string;
  /** certs upload/rotate: the PEM chain file and the PEM key file. */
  cert?: string;
  key?: string;
  /** certs acme-account / issue. */
  directory?: string;
  email?: string;
  'directory-ca'?: string;
  'agree-tos'?: boolean;
  account?: string;
  'renew-before'?: string;
  apply?: boolean;
  replace?: boolean;
  json?: boolean;
  listener?: string;
  port?: string;
  address?: string;
  protocol?: string;
  host?: string[];
  path?: string;
  'path-type'?: string;
  method?: string[];
  header?: string[];
  priority?: string;
  redirect?: string;
  status?: string;
  body?: string;
}

/** What every command gets: the API, the parsed flags, its positional words and where to print. */
export interface CommandContext {
  api: RestClient;
  flags: Flags;
  args: string[];
  io: Io;
  /** Prints either the JSON value (`--json`) or the human text. */
  print(value: unknown, human: () => string): void;
}

export type Command = (ctx: CommandContext) => Promise<number>;
