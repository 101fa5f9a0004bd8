import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@fulcrum/db';
import { ProcessProvider, type RecordOwner, type ScalingProvider, recordedOwner, scalingRecordsRoot } from './providers';

/** A rule gone from the database whose instances still run: recorded on disk (`process`) or labelled (`docker`). */
export interface RecordedRule {
  owner: RecordOwner;
  provider: ScalingProvider;
}

/** Those of `found` whose rule is not in the database (any more). */
export async function goneFromDatabase<T extends { owner: RecordOwner }>(prisma: PrismaClient, found: T[]): Promise<T[]> {
  const live = new Set((await prisma.scalingRule.findMany({ where: { id: { in: found.map((f) => f.owner.ruleId) } }, select: { id: true } })).map((r) => r.id));
  return found.filter((f) => !live.has(f.owner.ruleId));
}

/**
 * Which database this is (its server's identifier and its name). Records carry it, so that a
 * folder another database's control plane wrote (two sharing a data folder) is never taken for
 * the records of a pool deleted here.
 */
export async function databaseIdentity(prisma: PrismaClient): Promise<string> {
  try {
    const [row] = await prisma.$queryRaw<{ id: string }[]>`SELECT system_identifier::text || '/' || current_database() AS id FROM pg_control_system()`;
    return row!.id;
  } catch {
    // A server that does not show its identifier: the database's name alone.
    const [row] = await prisma.$queryRaw<{ id: string }[]>`SELECT current_database() AS id`;
    return row!.id;
  }
}

/**
 * The rules whose instances are recorded under FULCRUM_DATA_DIR/scaling/ but which are gone from
 * this database (deleted, with their pool or not, while no control plane here ran), each with a
 * provider over its records. Records that name no owner (written before they did) or another
 * database are left as they are.
 */
export async function rulesGoneWhileDown(prisma: PrismaClient, database: string, log: (line: string) => void): Promise<RecordedRule[]> {
  const root = scalingRecordsRoot();
  let dirs: string[];
  try {
    dirs = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(root, d.name));
  } catch {
    return [];
  }
  const found: { dir: string; owner: RecordOwner; host: string }[] = [];
  let unowned = 0;
  let foreign = 0;
  for (const dir of dirs) {
    const recorded = recordedOwner(dir);
    if (!recorded) continue;
    if (!recorded.owner) unowned++;
    else if (recorded.owner.database !== database) foreign++;
    else found.push({ dir, owner: recorded.owner, host: recorded.host ?? '127.0.0.1' });
  }
  if (unowned) log(`${unowned} folder(s) under ${root} hold instance records that name no pool (written before records did): where their rule is gone, they are left running`);
  if (foreign) log(`${foreign} folder(s) under ${root} hold instance records of another database's rules: left alone`);
  return (await goneFromDatabase(prisma, found)).map((f) => ({ owner: f.owner, provider: ProcessProvider.ofRecords(f.dir, f.owner, f.host, (l) => log(`[${f.owner.pool}/${f.owner.rule}] ${l}`)) }));
}
