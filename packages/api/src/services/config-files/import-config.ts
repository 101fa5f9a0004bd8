import type { Prisma, PrismaClient } from '@fulcrum/db';
import type { TConfigImportRequest, TImportPlan } from '@fulcrum/protocol';
import { type ExistingPool, buildImportPlan } from '../../config-files/import-plan';
import { readConfig } from '../../config-files/read-config';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { syncOwnListener } from '../pools/own-listener';
import { poolColumns } from '../pools/pool-mapper';
import { commitChange } from '../revisions/commit-change';

type Db = PrismaClient | Prisma.TransactionClient;

export interface ImportConfigOptions {
  actor: Actor;
  request: TConfigImportRequest;
}

async function planAgainst(db: Db, request: TConfigImportRequest): Promise<TImportPlan> {
  const draft = readConfig(request.format, request.text, request.fileName);
  // Ports are held by listeners: a pool's own (replaceable with the pool) or one of routes.
  const listeners = await db.listener.findMany({ select: { name: true, port: true, pool: { select: { name: true } } } });
  const managedRows = await db.backend.findMany({ where: { managedBy: { not: null } }, select: { host: true, port: true, managedBy: true, pool: { select: { name: true } } } });
  const managed = (pool: string) => managedRows.filter((b) => b.pool.name === pool).map((b) => ({ host: b.host, port: b.port, managedBy: b.managedBy ?? '' }));
  const existing: ExistingPool[] = listeners.map((l) => ({ name: l.pool?.name ?? `listener ${l.name}`, listenPort: l.port, managed: l.pool ? managed(l.pool.name) : [] }));
  for (const p of await db.pool.findMany({ where: { ownListener: null }, select: { name: true } })) existing.push({ name: p.name, listenPort: undefined, managed: managed(p.name) });
  return buildImportPlan(request.format, draft, existing, request.replace);
}

/**
 * An NGINX or HAProxy file as a plan (what becomes what), and with `apply` the plan applied as
 * one revision: every pool created or replaced, with its backends, in one transaction. The plan
 * is computed again inside the transaction, so a pool or port taken meanwhile refuses the apply.
 */
export async function importConfig(prisma: PrismaClient, { actor, request }: ImportConfigOptions): Promise<TImportPlan> {
  const preview = await planAgainst(prisma, request);
  if (!request.apply) return preview;
  refuseUnappliable(preview);
  const { result, revision } = await commitChange(prisma, { actor, message: request.reason || describe(preview, request.fileName) }, async (tx) => {
    const plan = await planAgainst(tx, request);
    refuseUnappliable(plan);
    for (const pool of plan.pools) {
      let poolId: string;
      if (pool.action === 'replace') {
        const row = await tx.pool.findUniqueOrThrow({ where: { name: pool.name } });
        await tx.pool.update({ where: { id: row.id }, data: { ...poolColumns(pool.config), version: { increment: 1 } } });
        await syncOwnListener(tx, row.id, pool.config);
        // What scaling or a deploy runs stays: its instances would otherwise run on with no backend.
        await tx.backend.deleteMany({ where: { poolId: row.id, managedBy: null } });
        poolId = row.id;
      } else {
        poolId = (await tx.pool.create({ data: poolColumns(pool.config) })).id;
        await syncOwnListener(tx, poolId, pool.config);
      }
      await tx.backend.createMany({ data: pool.backends.map((b) => ({ ...b, versionLabel: b.versionLabel ?? null, poolId })) });
    }
    return plan;
  });
  return { ...result, applied: { revision: revision.version } };
}

function refuseUnappliable(plan: TImportPlan): void {
  if (plan.errors.length) {
    const first = plan.errors[0]!;
    const more = plan.errors.length > 1 ? ` (and ${plan.errors.length - 1} more; see the dry-run plan)` : '';
    throw AppError.field('text', `line ${first.line}: ${first.message}${more}`);
  }
  if (!plan.pools.length) throw AppError.field('text', 'the file has no upstream or backend to import');
}

function describe(plan: TImportPlan, fileName?: string): string {
  const names = plan.pools.map((p) => `${p.action === 'replace' ? 'replace' : 'create'} ${p.name}`).join(', ');
  return `import ${fileName || plan.format}: ${names}`.slice(0, 500);
}
