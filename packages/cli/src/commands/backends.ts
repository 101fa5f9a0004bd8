import { type TBackend, ZBackend, ZOk, backendAddress } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { parseAddress, table } from '../format';

function requirePool(ctx: CommandContext): string {
  if (!ctx.flags.pool) throw new UsageError('--pool is required');
  return ctx.flags.pool;
}

function requireAddress(ctx: CommandContext): { host: string; port: number } {
  const [addr] = ctx.args;
  if (!addr) throw new UsageError('give the backend as host:port');
  try {
    return parseAddress(addr);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Backends are addressed by host:port within a pool; the API wants the id and the version read. */
async function findBackend(ctx: CommandContext): Promise<TBackend> {
  const pool = requirePool(ctx);
  const { host, port } = requireAddress(ctx);
  const backends = await ctx.api.request('GET', `/pools/${encodeURIComponent(pool)}/backends`, z.array(ZBackend));
  const found = backends.find((b) => b.host === host && b.port === port);
  if (!found) throw new UsageError(`pool ${pool} has no backend at ${backendAddress({ host, port })}`);
  return found;
}

export const backendsList: Command = async (ctx) => {
  const pool = requirePool(ctx);
  const backends = await ctx.api.request('GET', `/pools/${encodeURIComponent(pool)}/backends`, z.array(ZBackend));
  ctx.print(backends, () =>
    backends.length
      ? table(
          ['ADDRESS', 'WEIGHT', 'STATE', 'BACKUP', 'VERSION LABEL', 'ID'],
          backends.map((b) => [backendAddress(b), b.weight, b.adminState, b.backup ? 'yes' : 'no', b.versionLabel, b.id]),
        )
      : `pool ${pool} has no backends`,
  );
  return 0;
};

export const backendsAdd: Command = async (ctx) => {
  const pool = requirePool(ctx);
  const { host, port } = requireAddress(ctx);
  const weight = ctx.flags.weight === undefined ? undefined : Number(ctx.flags.weight);
  const body = { host, port, weight, backup: ctx.flags.backup, versionLabel: ctx.flags.version, reason: ctx.flags.reason };
  const b = await ctx.api.request('POST', `/pools/${encodeURIComponent(pool)}/backends`, ZBackend, body);
  ctx.print(b, () => `added ${backendAddress(b)} to ${pool} (id ${b.id}, weight ${b.weight})`);
  return 0;
};

export const backendsRemove: Command = async (ctx) => {
  const b = await findBackend(ctx);
  const query = new URLSearchParams({ expectedVersion: String(b.version), ...(ctx.flags.reason ? { reason: ctx.flags.reason } : {}) });
  const res = await ctx.api.request('DELETE', `/backends/${b.id}?${query}`, ZOk);
  ctx.print(res, () => `removed ${backendAddress(b)} from ${ctx.flags.pool}`);
  return 0;
};

export const backendsDrain: Command = async (ctx) => {
  const b = await findBackend(ctx);
  const updated = await ctx.api.request('PATCH', `/backends/${b.id}`, ZBackend, { expectedVersion: b.version, patch: { adminState: 'draining' }, reason: ctx.flags.reason });
  ctx.print(updated, () => `draining ${backendAddress(b)} in ${ctx.flags.pool}: it takes no new requests`);
  return 0;
};
