import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { INT32_MAX, zApiInput } from './api-input';
import { ZBackendUpdate } from './backend';
import { ZPoolConfig } from './pool';
import { ZProviderProfileCreate } from './provider-profile';

const issuesOf = (r: { success: boolean; error?: z.ZodError }) => (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.code}`);

describe('zApiInput', () => {
  it('refuses unknown fields at every depth, naming them', () => {
    const schema = zApiInput(ZPoolConfig);
    expect(schema.safeParse({ name: 'web', listenPort: 8080 }).success).toBe(true);
    expect(issuesOf(schema.safeParse({ name: 'web', listenPort: 8080, listenport: 1 }))).toEqual([': unrecognized_keys']);
    const nested = schema.safeParse({ name: 'web', listenPort: 8080, healthCheck: { path: '/', pathh: '/x' } });
    expect(nested.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['healthCheck'], keys: ['pathh'] });
    const patch = zApiInput(ZBackendUpdate).safeParse({ id: 'b', expectedVersion: 1, patch: { wieght: 2 } });
    expect(patch.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['patch'], keys: ['wieght'] });
  });

  it('reaches into discriminated unions and keeps their refinements', () => {
    const schema = zApiInput(ZProviderProfileCreate);
    const spec = { kind: 'webhook', url: 'http://127.0.0.1:1/x', parameters: [] };
    expect(schema.safeParse({ name: 'hook', spec }).success).toBe(true);
    expect(schema.safeParse({ name: 'hook', spec: { ...spec, extra: 1 } }).error?.issues[0]?.path).toEqual(['spec']);
    const process = { kind: 'process', argv: ['/bin/true'], portRangeStart: 20000, portRangeEnd: 20010, parameters: [] };
    expect(issuesOf(schema.safeParse({ name: 'proc', spec: process }))).toEqual(['spec.argv: custom']);
  });

  it('refuses NUL bytes in strings and bounds whole numbers to int4', () => {
    const schema = zApiInput(ZBackendUpdate);
    expect(issuesOf(schema.safeParse({ id: 'a\0b', expectedVersion: 1, patch: {} }))).toEqual(['id: custom']);
    expect(issuesOf(schema.safeParse({ id: 'a', expectedVersion: INT32_MAX + 1, patch: {} }))).toEqual(['expectedVersion: too_big']);
    expect(schema.safeParse({ id: 'a', expectedVersion: INT32_MAX, patch: { versionLabel: 'v\u00002' } }).error?.issues[0]?.path).toEqual(['patch', 'versionLabel']);
  });

  it('does not coerce: wrong types stay wrong', () => {
    const schema = zApiInput(ZPoolConfig);
    for (const listenPort of [true, '0x4650', [18062], '1e3', null, '', []]) {
      expect(issuesOf(schema.safeParse({ name: 'web', listenPort }))).toEqual(['listenPort: invalid_type']);
    }
  });

  it('leaves the shared schema as it was', () => {
    zApiInput(ZPoolConfig);
    expect(ZPoolConfig.safeParse({ name: 'web', listenPort: 8080, futureField: 1 }).success).toBe(true);
  });
});
