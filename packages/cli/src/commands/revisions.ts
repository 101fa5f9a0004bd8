import { ZRevisionSummary } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command } from '../context';
import { UsageError } from '../errors';
import { table } from '../format';

export const revisionsList: Command = async ({ api, flags, print }) => {
  const limit = flags.limit ?? '20';
  const list = await api.request('GET', `/revisions?limit=${encodeURIComponent(limit)}`, z.array(ZRevisionSummary));
  print(list, () =>
    table(
      ['VERSION', 'WHEN', 'AUTHOR', 'MESSAGE'],
      list.map((r) => [r.version, r.createdAt.replace('T', ' ').slice(0, 19), r.author, r.rollbackOf ? `${r.message} (rollback of ${r.rollbackOf})` : r.message]),
    ),
  );
  return 0;
};

export const revisionsRollback: Command = async ({ api, args, flags, print }) => {
  const version = Number(args[0]);
  if (!Number.isInteger(version) || version < 1) throw new UsageError('give the revision version to restore, e.g. `revisions rollback 12`');
  const r = await api.request('POST', `/revisions/${version}/rollback`, ZRevisionSummary, { message: flags.message ?? flags.reason });
  print(r, () => `restored revision ${version} as new revision ${r.version}`);
  return 0;
};
