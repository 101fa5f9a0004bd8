import { describe, expect, it } from 'vitest';
import { ZAckMessage, ZBackendConfig, ZConfigSnapshot, ZDataplaneToControl, ZPoolConfig, flattenZodIssues, healthCheckType } from './index';

/**
 * Every value these schemas accept goes to a data plane, which must be able to use it: a
 * health-check path with a space made node:http throw in every data plane's checker (issue 12,
 * item 4). This corpus lists values the proxy would choke on or that would let a config write
 * into its requests and responses, and checks each is refused with the field named.
 */
const refusedPools: [string, Record<string, unknown>, string][] = [
  ['a space in the health-check path', { healthCheck: { path: '/a b' } }, 'healthCheck.path'],
  ['a tab in the health-check path', { healthCheck: { path: '/a\tb' } }, 'healthCheck.path'],
  ['CR LF in the health-check path', { healthCheck: { path: '/h\r\nX-Injected: 1' } }, 'healthCheck.path'],
  ['a NUL in the health-check path', { healthCheck: { path: '/h\u0000' } }, 'healthCheck.path'],
  ['raw non-ASCII in the health-check path', { healthCheck: { path: '/sant\u00e9' } }, 'healthCheck.path'],
  ['a broken %-escape in the health-check path', { healthCheck: { path: '/a%zz' } }, 'healthCheck.path'],
  ['a fragment in the health-check path', { healthCheck: { path: '/a#b' } }, 'healthCheck.path'],
  ['a health-check type that does not exist', { healthCheck: { type: 'grpc' } }, 'healthCheck.type'],
  ['a cookie name with a space', { stickiness: { mode: 'cookie', cookieName: 'my cookie' } }, 'stickiness.cookieName'],
  ['a cookie name that ends the Set-Cookie header', { stickiness: { mode: 'cookie', cookieName: 'a\r\nSet-Cookie: admin=1' } }, 'stickiness.cookieName'],
  ['a cookie name with = or ;', { stickiness: { mode: 'cookie', cookieName: 'a=b;' } }, 'stickiness.cookieName'],
  ['a sticky header name with a colon', { stickiness: { mode: 'header', headerName: 'x-a: b' } }, 'stickiness.headerName'],
  ['a hash-key header name with a space', { algorithm: 'consistent_hash', hashKey: { source: 'header', name: 'x user' } }, 'hashKey.name'],
  ['a listen host that is not an address', { listenHost: ':::::' }, 'listenHost'],
  ['a listen host with a space', { listenHost: '0.0.0.0 ' + 'x' }, 'listenHost'],
  ['port 0', { listenPort: 0 }, 'listenPort'],
  ['a fractional port', { listenPort: 80.5 }, 'listenPort'],
  ['a status range upside down', { healthCheck: { expectedStatusMin: 500, expectedStatusMax: 200 } }, 'healthCheck.expectedStatusMax'],
  ['a health interval below 100 ms', { healthCheck: { intervalMs: 5 } }, 'healthCheck.intervalMs'],
  ['a timeout beyond what timers hold', { timeouts: { idleMs: 2 ** 31 } }, 'timeouts.idleMs'],
  ['a tunnel timeout over a day', { timeouts: { tunnelMs: 86_400_001 } }, 'timeouts.tunnelMs'],
  ['a tunnel timeout below 100 ms', { timeouts: { tunnelMs: 50 } }, 'timeouts.tunnelMs'],
  ['a tunnel timeout as a string', { timeouts: { tunnelMs: '3600000' } }, 'timeouts.tunnelMs'],
];

describe('pool fields the data plane could not use', () => {
  it.each(refusedPools)('refuses %s, naming the field', (_what, fields, field) => {
    const r = ZPoolConfig.safeParse({ name: 'web', listenPort: 8080, ...fields });
    expect(r.success).toBe(false);
    expect(Object.keys(flattenZodIssues(r.error!.issues))).toContain(field);
  });

  it('accepts the paths, names and hosts operators use', () => {
    for (const path of ['/', '/health', '/healthz?full=1&x=%20y', "/a/b;v=1/c:d@e!$'()*+,~"])
      expect(ZPoolConfig.safeParse({ name: 'w', listenPort: 80, healthCheck: { path } }).success, path).toBe(true);
    for (const cookieName of ['FULCRUM_STICKY', 'sid', '__Host-s']) expect(ZPoolConfig.safeParse({ name: 'w', listenPort: 80, stickiness: { cookieName } }).success, cookieName).toBe(true);
    for (const host of ['0.0.0.0', '::', '::1', '2001:db8::1', '::ffff:10.0.0.1', 'fe80:0:0:0:0:0:0:1', 'lb.internal'])
      expect(ZPoolConfig.safeParse({ name: 'w', listenPort: 80, listenHost: host }).success, host).toBe(true);
  });

  it.each([['1::2::3'], ['12345::1'], ['1:2:3:4:5:6:7:8:9'], ['::1.2.3'], ['g::1'], [':']])('refuses the IPv6 address %s', (host) => {
    expect(ZBackendConfig.safeParse({ host, port: 80 }).success).toBe(false);
  });
});

describe('snapshot ids the data plane keys by', () => {
  const pool = (id: string, name: string, port: number, backendIds: string[]) => ({
    ...ZPoolConfig.parse({ name, listenPort: port }),
    id,
    backends: backendIds.map((b, i) => ({ ...ZBackendConfig.parse({ host: '127.0.0.1', port: 9000 + port + i }), id: b })),
  });

  it('refuses a pool id, a pool name or a backend id given twice, naming where', () => {
    const r = ZConfigSnapshot.safeParse({ version: 1, hash: 'h', pools: [pool('p', 'a', 1, ['x']), pool('p', 'a', 2, ['x'])] });
    expect(r.success).toBe(false);
    const fields = flattenZodIssues(r.error!.issues);
    expect(fields['pools.1.id']?.[0]).toMatch(/pool id p appears twice/);
    expect(fields['pools.1.name']?.[0]).toMatch(/pool name a appears twice/);
    expect(fields['pools.1.backends.0.id']?.[0]).toMatch(/backend id x appears twice/);
  });
});

describe('health-check type', () => {
  it('follows the protocol unless set: TCP pools get TCP connect checks by default', () => {
    expect(healthCheckType(ZPoolConfig.parse({ name: 't', listenPort: 80, protocol: 'tcp' }))).toBe('tcp');
    expect(healthCheckType(ZPoolConfig.parse({ name: 'h', listenPort: 80 }))).toBe('http');
    expect(healthCheckType(ZPoolConfig.parse({ name: 't', listenPort: 80, protocol: 'tcp', healthCheck: { type: 'http' } }))).toBe('http');
  });
});

describe('partial ack', () => {
  it('names the refused pools, and an ack without them (older data planes) still parses', () => {
    const partial = ZDataplaneToControl.parse({ type: 'ack', version: 3, hash: 'h', refused: [{ poolId: 'p1', pool: 'web', error: 'EADDRINUSE', keptPrevious: true }] });
    expect(partial).toMatchObject({ refused: [{ pool: 'web', keptPrevious: true }] });
    expect(ZAckMessage.parse({ type: 'ack', version: 3, hash: 'h' }).refused).toBeUndefined();
  });
});
