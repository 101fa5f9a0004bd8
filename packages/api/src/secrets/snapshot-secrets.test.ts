import type { PrismaClient } from '@fulcrum/db';
import { type TConfigSnapshot, ZConfigSnapshot, ZPoolConfig } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { SecretBox } from './secret-box';
import { type SecretSource, withSecrets } from './snapshot-secrets';

const snapshot: TConfigSnapshot = ZConfigSnapshot.parse({ version: 4, hash: 'h', pools: [{ ...ZPoolConfig.parse({ name: 'web', listenPort: 8080 }), id: 'p1', backends: [] }] });
const prisma = {} as PrismaClient;
const box = new SecretBox(Buffer.alloc(32, 7));

/** A source that names the given references and opens those it has. */
const source = (refs: string[], stored: Record<string, string>): SecretSource & { asked: string[][] } => {
  const asked: string[][] = [];
  return {
    kind: 'test',
    asked,
    refs: () => refs,
    resolve: async (_p, wanted) => {
      asked.push(wanted);
      return Object.fromEntries(wanted.filter((r) => r in stored).map((r) => [r, stored[r] as string]));
    },
  };
};

describe('withSecrets', () => {
  it('leaves a snapshot that names no secret as it is', async () => {
    expect(await withSecrets(prisma, snapshot, [source([], {})])).toBe(snapshot);
  });

  it('attaches each named secret once, without changing the stored snapshot', async () => {
    const s = source(['certificate/c1/key', 'certificate/c1/key'], { 'certificate/c1/key': 'PEM', 'certificate/c2/key': 'other' });
    const sent = await withSecrets(prisma, snapshot, [s], () => box);
    expect(sent.secrets).toEqual({ 'certificate/c1/key': 'PEM' });
    expect(s.asked).toEqual([['certificate/c1/key']]);
    expect(snapshot.secrets).toBeUndefined();
  });

  it('changes the hash it sends when a secret changes (a rotated password is applied, not skipped), without revealing it', async () => {
    const send = (value: string) => withSecrets(prisma, snapshot, [source(['credential/db-1/password'], { 'credential/db-1/password': value })], () => box);
    const a = await send('old');
    expect(a.hash).toMatch(new RegExp(`^${snapshot.hash}\\.s[0-9a-f]{16}$`));
    expect((await send('old')).hash).toBe(a.hash);
    expect((await send('new')).hash).not.toBe(a.hash);
    expect(a.hash).not.toContain(createHash('sha256').update('old').digest('hex').slice(0, 16));
    expect(snapshot.hash).not.toContain('.s');
  });

  it('refuses to send a snapshot whose secret is missing, naming it and the revision', async () => {
    await expect(withSecrets(prisma, snapshot, [source(['credential/db-1'], {})])).rejects.toThrow('the secret credential/db-1 that revision 4 names is missing');
  });
});
