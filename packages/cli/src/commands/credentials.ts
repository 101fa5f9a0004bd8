import { readFileSync } from 'node:fs';
import { ZDatabaseCredentialRecord, ZOk } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { table } from '../format';

function requireName(ctx: CommandContext): string {
  const [name] = ctx.args;
  if (!name) throw new UsageError('give the credential name or id');
  return name;
}

/**
 * The password from `--password-file FILE` (`-`: stdin), one trailing newline dropped. Never a
 * flag value: that would sit in the shell history and in every process listing.
 */
function readPassword(ctx: CommandContext, required: boolean): string | undefined {
  const file = ctx.flags['password-file'];
  if (!file) {
    if (required) throw new UsageError('--password-file is required (a file holding the password, or - to read it from stdin)');
    return undefined;
  }
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

const get = (ctx: CommandContext, name: string) => ctx.api.request('GET', `/credentials/${encodeURIComponent(name)}`, ZDatabaseCredentialRecord);

export const credentialsList: Command = async (ctx) => {
  const list = await ctx.api.request('GET', '/credentials', z.array(ZDatabaseCredentialRecord));
  ctx.print(list, () =>
    list.length
      ? table(
          ['NAME', 'ID', 'USER', 'USED BY'],
          list.map((c) => [c.name, c.id, c.user, c.usedBy.join(', ') || '-']),
        )
      : 'no database credentials (an admin adds them: fulcrumctl credentials create NAME --user U --password-file -)',
  );
  return 0;
};

export const credentialsShow: Command = async (ctx) => {
  const c = await get(ctx, requireName(ctx));
  ctx.print(c, () => `${c.name} (id ${c.id}, version ${c.version}): user ${c.user}, password stored sealed; used by ${c.usedBy.join(', ') || 'no pool'}`);
  return 0;
};

export const credentialsCreate: Command = async (ctx) => {
  const name = requireName(ctx);
  const user = ctx.flags.user;
  if (!user) throw new UsageError('--user is required');
  const c = await ctx.api.request('POST', '/credentials', ZDatabaseCredentialRecord, { name, user, password: readPassword(ctx, true) });
  ctx.print(c, () => `added database credential ${c.name} (id ${c.id}); name it in a pool's health check as database.credentialId`);
  return 0;
};

/** Changes the user and/or the password; the version read first guards against a concurrent change. */
export const credentialsUpdate: Command = async (ctx) => {
  const current = await get(ctx, requireName(ctx));
  const password = readPassword(ctx, false);
  if (!ctx.flags.user && password === undefined) throw new UsageError('give --user and/or --password-file');
  const c = await ctx.api.request('PUT', `/credentials/${current.id}`, ZDatabaseCredentialRecord, {
    name: current.name,
    user: ctx.flags.user ?? current.user,
    expectedVersion: current.version,
    ...(password === undefined ? {} : { password }),
  });
  ctx.print(c, () => `saved database credential ${c.name} (version ${c.version})`);
  return 0;
};

export const credentialsDelete: Command = async (ctx) => {
  const current = await get(ctx, requireName(ctx));
  const res = await ctx.api.request('DELETE', `/credentials/${current.id}?expectedVersion=${current.version}`, ZOk);
  ctx.print(res, () => `deleted database credential ${current.name}`);
  return 0;
};
