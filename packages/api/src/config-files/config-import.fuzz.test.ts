import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type TConfigFormat, ZImportPlan } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { exportHaproxy } from './haproxy-export';
import { buildImportPlan } from './import-plan';
import { exportNginx } from './nginx-export';
import { readConfig } from './read-config';

/** Deterministic bytes from a seed (a hash chain), so a failing case can be replayed by its seed. */
function stream(seed: number): (n: number) => number {
  let block = Buffer.alloc(0);
  let counter = 0;
  let at = 0;
  return (n) => {
    if (at + 4 > block.length) {
      block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      at = 0;
    }
    const v = block.readUInt32LE(at);
    at += 4;
    return v % n;
  };
}

// What an attacker (or a bad paste) puts where the grammar is most sensitive.
const PIECES = [
  '{',
  '}',
  ';',
  '"',
  "'",
  '\\',
  '#',
  '$',
  '${',
  '\n',
  ' ',
  '\t',
  '\r',
  '__proto__',
  'constructor',
  'toString',
  'server',
  'upstream x {',
  'weight=',
  'weight',
  'backup',
  ':',
  '[',
  ']',
  '::1',
  '0',
  '99999',
  '1e3',
  'include x;',
  'listen',
  'bind',
  'balance',
  'hash',
  'cookie',
  'option httpchk',
  'http-check expect status',
  'timeout',
  'default-server',
  'backend',
  'frontend',
  'defaults',
  'listen x',
  'location',
  'proxy_pass http://',
  '\u0000',
  '\u00e9',
];

function mutate(text: string, next: (n: number) => number): string {
  let out = text;
  const edits = 1 + next(6);
  for (let i = 0; i < edits; i++) {
    const at = next(out.length + 1);
    const kind = next(3);
    if (kind === 0) out = out.slice(0, at) + PIECES[next(PIECES.length)]! + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + 1 + next(20));
    else out = out.slice(0, at) + out.slice(next(out.length + 1));
  }
  return out;
}

const corpusDir = join(import.meta.dirname, 'corpus');
const files = readdirSync(corpusDir).map((name) => ({ name, format: (name.endsWith('.cfg') ? 'haproxy' : 'nginx') as TConfigFormat, text: readFileSync(join(corpusDir, name), 'utf8') }));

/** Either a plan the API's own output schema accepts, or a 400 AppError; nothing else may come out. */
function check(format: TConfigFormat, text: string, seed: number): 'plan' | 'refused' {
  try {
    const plan = buildImportPlan(format, readConfig(format, text), [{ name: 'web', listenPort: 80 }], seed % 2 === 0);
    ZImportPlan.parse(plan);
    // Every planned pool exports to text without throwing.
    for (const p of plan.pools) {
      const pool = {
        ...p.config,
        id: 'x',
        version: 1,
        createdAt: '',
        updatedAt: '',
        backends: p.backends.map((b) => ({ ...b, id: 'b', poolId: 'x', version: 1, createdAt: '', updatedAt: '', versionLabel: null })),
      };
      exportNginx(pool);
      exportHaproxy(pool);
    }
    return 'plan';
  } catch (err) {
    if (err instanceof AppError && err.code === 'BAD_REQUEST') return 'refused';
    throw new Error(`seed ${seed} (${format}): ${(err as Error).stack}\n--- input ---\n${text}`);
  }
}

describe('config import fuzzer', () => {
  it('mutated corpus files give a plan or a clean refusal, never a crash', () => {
    const outcomes = { plan: 0, refused: 0 };
    for (let seed = 1; seed <= 1500; seed++) {
      const next = stream(seed);
      const file = files[next(files.length)]!;
      outcomes[check(file.format, mutate(file.text, next), seed)]++;
      // The same bytes read as the other format must not crash either.
      check(file.format === 'nginx' ? 'haproxy' : 'nginx', file.text, seed);
    }
    // Both outcomes occur: the mutations reach past the tokenizer into the mapping.
    expect(outcomes.plan).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('object-prototype names are plain names (a proxy_set_header __proto__ crashed the importer)', () => {
    const draft = readConfig(
      'nginx',
      'upstream __proto__ { server 10.0.0.1:80; }\nserver { listen 81; location / { proxy_pass http://__proto__; proxy_set_header __proto__ x; proxy_set_header constructor y; } }',
    );
    expect(draft.pools.map((p) => p.sourceName)).toEqual(['__proto__']);
    expect(draft.unsupported.map((u) => u.directive)).toEqual(['proxy_set_header __proto__ x', 'proxy_set_header constructor y']);
    expect(buildImportPlan('nginx', draft, [], false).pools[0]!.name).toBe('proto');
    const h = readConfig('haproxy', 'backend __proto__\n  server constructor 10.0.0.1:80 __proto__ toString\nfrontend constructor\n  bind :80\n  default_backend __proto__\n');
    expect(h.pools[0]!.listen?.port).toBe(80);
  });
});
