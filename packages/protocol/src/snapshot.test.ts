import { describe, expect, it } from 'vitest';
import { ZBackendConfig, ZConfigSnapshot, ZPoolConfig, flattenZodIssues, readSnapshot } from './index';

const pool = (name: string, listenPort: number, backends: { id: string; host: string; port: number }[]) => ({
  ...ZPoolConfig.parse({ name, listenPort }),
  id: name,
  backends: backends.map((b) => ({ ...ZBackendConfig.parse(b), id: b.id })),
});

describe('ZConfigSnapshot', () => {
  it('accepts a minimal snapshot and fills defaults', () => {
    const snap = ZConfigSnapshot.parse({ version: 1, hash: 'h', pools: [pool('web', 8080, [{ id: 'a', host: '127.0.0.1', port: 9001 }])] });
    expect(snap.pools[0]?.algorithm).toBe('round_robin');
    expect(snap.pools[0]?.healthCheck.rise).toBe(2);
    expect(snap.pools[0]?.backends[0]?.weight).toBe(1);
  });

  it('refuses two pools on one port and duplicate backends, naming the field', () => {
    const result = ZConfigSnapshot.safeParse({
      version: 2,
      hash: 'h',
      pools: [
        pool('a', 8080, [
          { id: 'x', host: '127.0.0.1', port: 9001 },
          { id: 'y', host: '127.0.0.1', port: 9001 },
        ]),
        pool('b', 8080, []),
      ],
    });
    expect(result.success).toBe(false);
    const fields = flattenZodIssues(result.error!.issues);
    expect(fields['pools.1.listenPort']?.[0]).toMatch(/already used by pool a/);
    expect(fields['pools.0.backends.1']?.[0]).toMatch(/duplicate backend 127.0.0.1:9001/);
  });
});

describe('readSnapshot', () => {
  it('gives the snapshot, or one reason naming every wrong field', () => {
    const ok = readSnapshot({ version: 1, hash: 'h', pools: [pool('web', 8080, [])] });
    expect(ok.ok && ok.snapshot.listeners[0]?.port).toBe(8080);
    const bad = readSnapshot({ schema: 2, version: -1, hash: '', pools: [], listeners: [] });
    expect(bad).toEqual({ ok: false, error: expect.stringMatching(/^version: .*; hash: /) });
    expect(readSnapshot(null)).toEqual({ ok: false, error: expect.stringMatching(/^snapshot: /) });
  });
});

describe('snapshot secrets', () => {
  const base = () => ZConfigSnapshot.parse({ version: 1, hash: 'h', pools: [pool('web', 8080, [])] });

  it('carries secrets by reference and refuses a malformed reference or an oversized value', () => {
    const ok = ZConfigSnapshot.parse({ ...base(), secrets: { 'certificate/c1/key': 'PEM', 'credential/db-1': 'pw' } });
    expect(ok.secrets?.['certificate/c1/key']).toBe('PEM');
    for (const ref of ['../etc/passwd', 'Certificate/c1', 'certificate/', 'certificate/a/b/c', 'constructor']) {
      const bad = ZConfigSnapshot.safeParse({ ...base(), secrets: { [ref]: 'x' } });
      expect(bad.success, ref).toBe(false);
    }
    expect(ZConfigSnapshot.safeParse({ ...base(), secrets: { 'certificate/c1/key': 'x'.repeat(1_048_577) } }).success).toBe(false);
    // A `__proto__` key off the wire is dropped, never made the prototype.
    const proto = ZConfigSnapshot.parse({ ...base(), secrets: JSON.parse('{"__proto__": {"polluted": "yes"}, "credential/db-1": "pw"}') });
    expect(Object.getPrototypeOf(proto.secrets)).toBe(Object.prototype);
    expect(Object.keys(proto.secrets ?? {})).toEqual(['credential/db-1']);
  });
});

describe('field validation', () => {
  it.each([
    [{ name: 'web', listenPort: 70000 }, 'listenPort'],
    [{ name: 'Web!', listenPort: 80 }, 'name'],
    [{ name: 'web', listenPort: 80, algorithm: 'fastest' }, 'algorithm'],
    [{ name: 'web', listenPort: 80, healthCheck: { path: 'health' } }, 'healthCheck.path'],
  ])('pool %j is refused on %s', (input, field) => {
    const r = ZPoolConfig.safeParse(input);
    expect(r.success).toBe(false);
    expect(Object.keys(flattenZodIssues(r.error!.issues))).toContain(field);
  });

  it.each([
    [{ host: 'bad host', port: 80 }, 'host'],
    [{ host: '999.1.1.1', port: 80 }, 'host'],
    [{ host: 'api.internal', port: 80, weight: 0 }, 'weight'],
  ])('backend %j is refused on %s', (input, field) => {
    const r = ZBackendConfig.safeParse(input);
    expect(r.success).toBe(false);
    expect(Object.keys(flattenZodIssues(r.error!.issues))).toContain(field);
  });

  it('accepts hostnames, IPv4 and IPv6', () => {
    for (const host of ['localhost', 'api.example.com', '10.0.0.1', '::1', 'fe80::1']) {
      expect(ZBackendConfig.safeParse({ host, port: 80 }).success, host).toBe(true);
    }
  });
});

describe('pool responseTimeAlpha', () => {
  it("defaults to the guide's 0.8 and refuses what is not a number in (0, 1] with the field named", () => {
    expect(ZPoolConfig.parse({ name: 'p', listenPort: 8080 }).responseTimeAlpha).toBe(0.8);
    expect(ZPoolConfig.parse({ name: 'p', listenPort: 8080, responseTimeAlpha: 1 }).responseTimeAlpha).toBe(1);
    for (const bad of [0, -0.5, 1.01, '0.5', null, Number.NaN]) {
      const r = ZPoolConfig.safeParse({ name: 'p', listenPort: 8080, responseTimeAlpha: bad });
      expect(r.success, String(bad)).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['responseTimeAlpha']);
    }
  });
});
