import type { PrismaClient } from '@fulcrum/db';
import { type TConfigSnapshot, ZConfigSnapshot } from '@fulcrum/protocol';
import { canonicalJson } from './snapshot-compiler';

/** Pools whose config differs between a revision and the one before it (all of them for the first). */
export async function poolsChangedBy(prisma: PrismaClient, version: number): Promise<string[]> {
  const rows = await prisma.configRevision.findMany({ where: { version: { in: [version - 1, version] } }, select: { version: true, snapshot: true } });
  const parse = (v: number) => {
    const raw = rows.find((r) => r.version === v)?.snapshot;
    const parsed = raw ? ZConfigSnapshot.safeParse(raw) : undefined;
    return parsed?.success ? parsed.data : undefined;
  };
  const after = parse(version);
  if (!after) return [];
  const before = new Map((parse(version - 1)?.pools ?? []).map((p) => [p.id, canonicalJson(p)]));
  return after.pools.filter((p: TConfigSnapshot['pools'][number]) => before.get(p.id) !== canonicalJson(p)).map((p) => p.id);
}

