import { appRouter } from '@fulcrum/api';
import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Answer, type ApiServer, INTERNAL_TEXT, startApiServer } from './test-api-server';

/**
 * The fuzz that found issue 13's items 3–5, kept as a test: every REST operation of the
 * OpenAPI document and every tRPC mutation gets wrong types, unknown fields, NUL bytes, huge
 * and deep bodies. Each answer must be a 4xx without internal text, and the database must be
 * exactly as before.
 */

type JsonSchema = { type?: string | string[]; enum?: unknown[]; properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; items?: JsonSchema; default?: unknown };
type Operation = { operationId: string; parameters?: { name: string; in: 'path' | 'query'; schema: JsonSchema }[]; requestBody?: { content: { 'application/json': { schema: JsonSchema } } } };

let api: ApiServer;
let adminToken: string;
const seed = { poolId: '', poolVersion: 0, backendId: '', backendVersion: 0 };

beforeAll(async () => {
  api = await startApiServer();
  const created = await api.trpc('tokens.create', { name: 'fuzz-admin', role: 'admin' });
  adminToken = (created.json as { result: { data: { token: string } } }).result.data.token;
  const pool = (await api.rest('POST', '/pools', { name: 'seed', listenPort: 18900 })).json as { id: string; version: number };
  const backend = (await api.rest('POST', `/pools/${pool.id}/backends`, { host: '127.0.0.1', port: 9900 })).json as { id: string; version: number };
  Object.assign(seed, { poolId: pool.id, poolVersion: pool.version, backendId: backend.id, backendVersion: backend.version });
});
afterAll(async () => {
  await api.close();
  await stopTestServer();
});

/** Inputs that would pass, per procedure: the fuzz changes one thing at a time, so the cause of a refusal is that one thing. */
function validInput(procedure: string): Record<string, unknown> {
  const bases: Record<string, Record<string, unknown>> = {
    'pools.create': { name: 'fuzzed', listenPort: 18901, reason: 'fuzz' },
    'pools.update': { id: seed.poolId, expectedVersion: seed.poolVersion, patch: { algorithm: 'p2c', healthCheck: { path: '/h' } }, reason: 'fuzz' },
    'pools.delete': { id: seed.poolId, expectedVersion: seed.poolVersion },
    'backends.create': { poolId: seed.poolId, host: '127.0.0.1', port: 9901, weight: 2, versionLabel: 'v1' },
    'backends.update': { id: seed.backendId, expectedVersion: seed.backendVersion, patch: { weight: 3 } },
    'backends.delete': { id: seed.backendId, expectedVersion: seed.backendVersion },
    'revisions.rollback': { version: 1, expectedVersion: 2, message: 'fuzz' },
    'deploys.start': { pool: seed.poolId, version: 'v2', backends: [{ host: '127.0.0.1', port: 9902 }], steps: [50, 100] },
    'deploys.abort': { id: 'no-such-deploy' },
    'scaling.create': { poolId: seed.poolId, rule: { name: 'r', metric: 'error_rate', scaleUpThreshold: 2, scaleDownThreshold: 1, provider: { kind: 'webhook', url: 'http://127.0.0.1:1/' } } },
    'scaling.update': {
      id: 'no-such-rule',
      expectedVersion: 1,
      rule: { name: 'r', metric: 'error_rate', scaleUpThreshold: 2, scaleDownThreshold: 1, provider: { kind: 'webhook', url: 'http://127.0.0.1:1/' } },
    },
    'scaling.delete': { id: 'no-such-rule', expectedVersion: 1 },
    'auth.setup': { email: 'second@example.com', name: 'Second', password: 'long enough secret' },
    'auth.login': { email: 'admin@example.com', password: 'long enough secret' },
    'users.create': { email: 'fuzz@example.com', name: 'Fuzz', password: 'long enough secret', role: 'viewer' },
    'users.update': { id: 'no-such-user', name: 'Fuzz' },
    'users.delete': { id: 'no-such-user' },
    'tokens.create': { name: 'fuzz', role: 'viewer', expiresInDays: 1 },
    'tokens.revoke': { id: 'no-such-token' },
  };
  return structuredClone(bases[procedure] ?? {});
}

/** Values of the wrong JSON type for a field (never one the field could accept). */
function wrongValues(schema: JsonSchema): unknown[] {
  const variants = schema.anyOf ?? schema.oneOf;
  const nullable = variants?.some((v) => v.type === 'null');
  const type = Array.isArray(schema.type) ? schema.type[0] : (schema.type ?? variants?.find((v) => v.type !== 'null')?.type);
  const out: unknown[] = schema.enum ? ['not-an-option'] : [];
  if (type === 'string') out.push(1, [], 'a\u0000b');
  else if (type === 'integer') out.push(true, '0x10', [1], 2 ** 31, 1.5);
  else if (type === 'number') out.push(true, '1e3');
  else if (type === 'boolean') out.push('true', 1);
  else if (type === 'object') out.push([], { zzUnknown: 1 });
  else if (type === 'array') out.push('x', [{ zzUnknown: 1 }]);
  else out.push('x\u0000', []);
  if (!nullable) out.push(null);
  return out;
}

/** Bodies for one operation: each field (two levels deep) set wrong, unknown fields, wrong bodies, deep JSON. */
function bodies(schema: JsonSchema | undefined, base: Record<string, unknown>): unknown[] {
  const out: unknown[] = [[], 'x', null, { ...base, zzUnknown: 1 }, { ...base, 'a\u0000': 1 }];
  let turn = 0;
  const walk = (props: Record<string, JsonSchema> | undefined, at: string[]) => {
    for (const [key, field] of Object.entries(props ?? {})) {
      // Two wrong values per field, rotating, so that every kind still meets every schema while the run stays short.
      const all = wrongValues(field);
      const picked = [all[turn % all.length], all[(turn + 1) % all.length]];
      turn++;
      for (const wrong of picked) {
        const body = structuredClone(base);
        let target = body as Record<string, unknown>;
        for (const p of at) target = (target[p] ??= {}) as Record<string, unknown>;
        target[key] = wrong;
        out.push(body);
      }
      if (at.length < 1 && field.properties) {
        walk(field.properties, [...at, key]);
        const body = structuredClone(base) as Record<string, Record<string, unknown>>;
        body[key] = { ...(typeof body[key] === 'object' ? body[key] : {}), zzUnknown: 1 };
        out.push(body);
      }
    }
  };
  walk(schema?.properties, []);
  return out;
}

const DEEP = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
const HUGE = `{"name":"${'a'.repeat(2 * 1024 * 1024)}"}`;

async function tableDump(): Promise<string> {
  const tables = ['Pool', 'Backend', 'ConfigRevision', 'ScalingRule', 'Deploy', 'DeployStep', 'User', 'Session', 'Event', 'LoginThrottle'];
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await api.db.prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT to_jsonb(t)::text AS row FROM "${table}" t ORDER BY 1`);
    parts.push(`${table}: ${rows.map((r) => r.row).join('\n')}`);
  }
  // lastUsedAt moves with every call the fuzz makes; everything else must not.
  const tokens = await api.db.prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT (to_jsonb(t) - 'lastUsedAt')::text AS row FROM "ApiToken" t ORDER BY 1`);
  parts.push(`ApiToken: ${tokens.map((r) => r.row).join('\n')}`);
  return parts.join('\n');
}

async function runAll(requests: (() => Promise<[string, Answer]>)[], parallel = 6): Promise<[string, Answer][]> {
  const results: [string, Answer][] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < requests.length) results.push(await requests[next++]!());
    }),
  );
  return results;
}

describe('API fuzz (issue 13: items 3–5)', () => {
  it('answers every malformed request to every REST operation and tRPC mutation with a 4xx, no internal text, and no write', async () => {
    const before = await tableDump();
    const doc = (await api.send('GET', '/api/v1/openapi.json')).json as { paths: Record<string, Record<string, Operation>> };
    const auth = { authorization: `Bearer ${adminToken}` };
    const json = { 'content-type': 'application/json', ...auth };
    const requests: (() => Promise<[string, Answer]>)[] = [];
    const send = (label: string, method: string, path: string, body?: string) => () => api.send(method, path, body, body === undefined ? auth : json).then((a): [string, Answer] => [label, a]);

    let restOperations = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        restOperations++;
        const procedure = op.operationId.replace('-', '.');
        const base = validInput(procedure);
        const params = op.parameters ?? [];
        const fill = (overrides: Record<string, string> = {}) =>
          template.replace(/\{(\w+)\}/g, (_, name: string) => overrides[name] ?? encodeURIComponent(String(base[name] ?? (name === 'version' ? 1 : seed.poolId))));
        const label = `${method.toUpperCase()} ${template}`;
        for (const p of params.filter((x) => x.in === 'path')) {
          requests.push(send(`${label} path ${p.name}=NUL`, method.toUpperCase(), `/api/v1${fill({ [p.name]: 'a%00b' })}`, method === 'get' || method === 'delete' ? undefined : '{}'));
        }
        if (method === 'get' || method === 'delete') {
          const query = params.filter((x) => x.in === 'query');
          const valid = new URLSearchParams(query.filter((q) => base[q.name] !== undefined).map((q) => [q.name, String(base[q.name])]));
          for (const q of query) {
            const wrong = q.schema.type === 'integer' || q.schema.type === 'number' ? ['0x10', '1e3', '', String(2 ** 31)] : ['a\u0000b'];
            for (const w of wrong) {
              const qs = new URLSearchParams(valid);
              qs.set(q.name, w);
              requests.push(send(`${label} ?${q.name}=${JSON.stringify(w)}`, method.toUpperCase(), `/api/v1${fill()}?${qs}`));
            }
          }
          const unknown = new URLSearchParams(valid);
          unknown.set('zzUnknown', '1');
          requests.push(send(`${label} ?zzUnknown`, method.toUpperCase(), `/api/v1${fill()}?${unknown}`));
          continue;
        }
        const pathNames = new Set(params.filter((x) => x.in === 'path').map((x) => x.name));
        const bodyBase = Object.fromEntries(Object.entries(base).filter(([k]) => !pathNames.has(k)));
        for (const body of bodies(op.requestBody?.content['application/json'].schema, bodyBase)) {
          requests.push(send(`${label} ${JSON.stringify(body).slice(0, 120)}`, method.toUpperCase(), `/api/v1${fill()}`, JSON.stringify(body)));
        }
        requests.push(send(`${label} deep`, method.toUpperCase(), `/api/v1${fill()}`, DEEP), send(`${label} huge`, method.toUpperCase(), `/api/v1${fill()}`, HUGE));
      }
    }

    const mutations = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string; inputs: z.ZodType[] } }>).filter(([, p]) => p._def.type === 'mutation');
    for (const [procedure, p] of mutations) {
      const input = p._def.inputs[0];
      const schema = input ? (z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : undefined;
      for (const body of bodies(schema, validInput(procedure))) {
        requests.push(send(`tRPC ${procedure} ${JSON.stringify(body).slice(0, 120)}`, 'POST', `/api/trpc/${procedure}`, JSON.stringify(body)));
      }
      requests.push(send(`tRPC ${procedure} deep`, 'POST', `/api/trpc/${procedure}`, DEEP), send(`tRPC ${procedure} huge`, 'POST', `/api/trpc/${procedure}`, HUGE));
    }

    expect(restOperations).toBeGreaterThanOrEqual(20);
    expect(mutations.length).toBeGreaterThanOrEqual(15);
    const started = performance.now();
    const results = await runAll(requests);
    console.log(`api fuzz: ${requests.length} requests in ${Math.round(performance.now() - started)} ms`);
    const wrong = results.filter(([, a]) => a.status < 400 || a.status >= 500 || INTERNAL_TEXT.test(a.text)).map(([label, a]) => `${label} -> ${a.status} ${a.text.slice(0, 200)}`);
    expect(wrong).toEqual([]);
    expect(api.logs.filter((l) => /internal error/.test(l))).toEqual([]);
    expect(await tableDump()).toBe(before);
    console.log(`api fuzz: ${results.length} requests to ${restOperations} REST operations and ${mutations.length} tRPC mutations`);
  }, 300_000);
});
