import type { PrismaClient } from '@fulcrum/db';
import { type TConfigSnapshot, ZConfigSnapshot } from '@fulcrum/protocol';
import { canonicalJson } from './link-hash';

type Pool = TConfigSnapshot['pools'][number];

/** A pool's config together with the listeners that route to it (a port change is a change of the pool's). */
function poolKey(snapshot: TConfigSnapshot, pool: Pool): string {
  const listeners = snapshot.listeners.filter((l) => l.routes.some((r) => r.action.type === 'pool' && r.action.poolId === pool.id));
  return canonicalJson({ pool, listeners });
}

/** Pools whose config (or a listener routing to them) differs between a revision and the one before it (all of them for the first). */
export async function poolsChangedBy(prisma: PrismaClient, version: number): Promise<string[]> {
  const rows = await prisma.configRevision.findMany({ where: { version: { in: [version - 1, version] } }, select: { version: true, snapshot: true } });
  const parse = (v: number) => {
    const raw = rows.find((r) => r.version === v)?.snapshot;
    const parsed = raw ? ZConfigSnapshot.safeParse(raw) : undefined;
    return parsed?.success ? parsed.data : undefined;
  };
  const after = parse(version);
  if (!after) return [];
  const previous = parse(version - 1);
  const before = new Map((previous?.pools ?? []).map((p) => [p.id, poolKey(previous!, p)]));
  return after.pools.filter((p: Pool) => before.get(p.id) !== poolKey(after, p)).map((p) => p.id);
}
