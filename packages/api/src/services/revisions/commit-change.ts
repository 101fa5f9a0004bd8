import { CHANNEL_REVISION, LOCK_ID, type PrismaClient, type Prisma, notify } from '@fulcrum/db';
import { flattenZodIssues } from '@fulcrum/protocol';
import { ZodError } from 'zod';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { compileSnapshot } from './snapshot-compiler';

type Tx = Prisma.TransactionClient;

export interface ChangeOptions {
  actor: Pick<Actor, 'name'>;
  /** The operator's reason, or a description of the change. */
  message: string;
  rollbackOf?: number;
  poolId?: string | null;
}

export interface CommittedRevision {
  version: number;
  hash: string;
}

/**
 * Runs a config change and records the new revision in one transaction: the change, the
 * compiled snapshot, its event and the notification to other replicas (delivered at commit)
 * all land together or not at all.
 */
export async function commitChange<T>(prisma: PrismaClient, opts: ChangeOptions, change: (tx: Tx) => Promise<T>): Promise<{ result: T; revision: CommittedRevision }> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_ID.revisionCommit})`;
      const result = await change(tx);
      const last = await tx.configRevision.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
      const version = (last?.version ?? 0) + 1;
      let snapshot;
      try {
        snapshot = await compileSnapshot(tx, version);
      } catch (err) {
        if (err instanceof ZodError) throw new AppError('BAD_REQUEST', `the resulting configuration is invalid: ${err.issues.map((i) => i.message).join('; ')}`, flattenZodIssues(err.issues));
        throw err;
      }
      await tx.configRevision.create({
        data: { version, hash: snapshot.hash, snapshot: snapshot as unknown as Prisma.InputJsonValue, author: opts.actor.name, message: opts.message, rollbackOf: opts.rollbackOf ?? null },
      });
      await tx.event.create({
        data: { kind: 'config_revision', poolId: opts.poolId ?? null, message: `revision ${version} by ${opts.actor.name}: ${opts.message}`, data: { version, hash: snapshot.hash } },
      });
      await notify(tx, CHANNEL_REVISION, String(version));
      return { result, revision: { version, hash: snapshot.hash } };
    },
    { timeout: 20_000, maxWait: 10_000 },
  );
}
