import { describe, expect, it } from 'vitest';
import { ZAcmeAccountCreate, ZAcmeCertificateRequest, ZAcmeChallenge, ZAcmeToken } from './acme';

const fields = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => (r.error?.issues ?? []).map((i) => i.path.join('.'));

describe('ACME input', () => {
  it('takes base64url tokens only: no path, dot, percent, space or non-ASCII character can reach a data plane', () => {
    expect(ZAcmeToken.safeParse('LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0').success).toBe(true);
    for (const bad of ['../../etc/passwd__', 'a/b0123456789abcdef', 'a.b0123456789abcdef', '%2e0123456789abcdef', 'a b0123456789abcdef', 'é0123456789abcdefgh', 'short', 'x'.repeat(129)]) {
      expect(ZAcmeToken.safeParse(bad).success, bad).toBe(false);
    }
    const token = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
    expect(ZAcmeChallenge.safeParse({ token, keyAuthorization: `${token}.${'a'.repeat(43)}` }).success).toBe(true);
    expect(fields(ZAcmeChallenge.safeParse({ token, keyAuthorization: `other0123456789abcdef.${'a'.repeat(43)}` }))).toEqual(['keyAuthorization']);
  });

  it('asks for hosts or a listener, never both or neither; refuses wildcards and IP addresses, naming the field', () => {
    const base = { name: 'site', account: 'le' };
    expect(ZAcmeCertificateRequest.parse({ ...base, hosts: ['App.Example.com'] }).hosts).toEqual(['app.example.com']);
    expect(ZAcmeCertificateRequest.safeParse({ ...base, listener: 'edge' }).success).toBe(true);
    expect(fields(ZAcmeCertificateRequest.safeParse(base))).toEqual(['hosts']);
    expect(fields(ZAcmeCertificateRequest.safeParse({ ...base, hosts: ['a.example.com'], listener: 'edge' }))).toEqual(['hosts']);
    expect(fields(ZAcmeCertificateRequest.safeParse({ ...base, hosts: ['*.example.com'] }))).toEqual(['hosts.0']);
    expect(fields(ZAcmeCertificateRequest.safeParse({ ...base, hosts: ['10.0.0.1'] }))).toEqual(['hosts.0']);
    expect(fields(ZAcmeCertificateRequest.safeParse({ ...base, hosts: ['a.example.com/x'] }))).toEqual(['hosts.0']);
    expect(fields(ZAcmeCertificateRequest.safeParse({ ...base, hosts: ['a.example.com'], renewBeforeDays: 0 }))).toEqual(['renewBeforeDays']);
  });

  it('registers only over https, without credentials in the URL, with the terms agreed', () => {
    const base = { name: 'le', directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory', email: 'ops@example.com', termsAgreed: true };
    expect(ZAcmeAccountCreate.safeParse(base).success).toBe(true);
    expect(fields(ZAcmeAccountCreate.safeParse({ ...base, directoryUrl: 'http://acme.example/dir' }))).toEqual(['directoryUrl']);
    expect(fields(ZAcmeAccountCreate.safeParse({ ...base, directoryUrl: 'https://user:pw@acme.example/dir' }))).toEqual(['directoryUrl']);
    expect(fields(ZAcmeAccountCreate.safeParse({ ...base, termsAgreed: false }))).toEqual(['termsAgreed']);
    expect(fields(ZAcmeAccountCreate.safeParse({ ...base, email: 'nope' }))).toEqual(['email']);
  });
});
