import { describe, expect, it } from 'vitest';
import { ZHealthCheck, healthCheckSecretRefs } from './pool';

const issues = (input: unknown) => {
  const r = ZHealthCheck.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('database health checks', () => {
  it('need role, user and credential, and name the field that is missing', () => {
    expect(issues({ type: 'postgres' })).toEqual(['database: a postgres check needs database settings: role, user and credentialId']);
    expect(issues({ type: 'mysql', database: { role: 'leader', user: 'u', credentialId: 'c' } })).toEqual(['database.role: role must be primary or replica']);
    expect(issues({ type: 'postgres', database: { role: 'replica', user: 'a\u0000b', credentialId: 'c' } })).toEqual(['database.user: user must not contain control characters']);
    expect(issues({ type: 'http', database: { role: 'replica', user: 'u', credentialId: 'c' } })).toEqual(['database: database settings belong to postgres or mysql checks only']);
    expect(issues({ type: 'redis' })[0]).toMatch(/^type: type must be one of: http, tcp, postgres, mysql/);
  });

  it('name the password they need as a secret reference, never hold it', () => {
    const check = ZHealthCheck.parse({ type: 'postgres', database: { role: 'replica', user: 'u', credentialId: 'cred-1', password: 'x' } });
    expect(check.database).toEqual({ role: 'replica', maxLagSeconds: 30, user: 'u', credentialId: 'cred-1' });
    expect(healthCheckSecretRefs({ healthCheck: check })).toEqual(['credential/cred-1/password']);
    expect(healthCheckSecretRefs({ healthCheck: { ...check, enabled: false } })).toEqual([]);
  });
});
