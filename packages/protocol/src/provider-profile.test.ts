import { describe, expect, it } from 'vitest';
import { ZProviderProfileCreate, ZProviderProfileSpec, ZScalingRuleProvider, checkProfileParams, fillTemplate, parameterRegExp } from './provider-profile';
import type { TProfileParameter } from './provider-profile';

const version: TProfileParameter = { name: 'version', type: 'string', pattern: '[0-9]+\\.[0-9]+', description: '' };
const replicas: TProfileParameter = { name: 'replicas', type: 'integer', min: 1, max: 10, description: '', default: 2 };

/** Values an attacker would try in a parameter meant for `1.2`. */
const HOSTILE = [
  '1.2; touch /tmp/pwned',
  '1.2 && id',
  '1.2|id',
  '$(id)',
  '`id`',
  '1.2\nid',
  '1.2\u0000',
  '1.2 --require=/tmp/x.js',
  '--inspect=0.0.0.0:9229',
  '../../etc/passwd',
  '1.2{port}',
  ' 1.2',
  '1.2 ',
  '1.2\r',
  '',
  'x'.repeat(300),
];

describe('profile parameters', () => {
  it('take only whole-pattern matches: every hostile value is refused, naming the field', () => {
    for (const value of HOSTILE) {
      const { values, errors } = checkProfileParams([version], { version: value });
      expect(values, JSON.stringify(value)).toEqual({});
      expect(Object.keys(errors)).toEqual(['provider.params.version']);
    }
    expect(checkProfileParams([version], { version: '10.42' })).toEqual({ values: { version: '10.42' }, errors: {} });
  });

  it('refuse undeclared names, require what has no default, and keep integers in range', () => {
    expect(checkProfileParams([version, replicas], { version: '1.2', command: 'id' }).errors).toEqual({ 'provider.params.command': ['the profile declares no parameter command'] });
    expect(checkProfileParams([version, replicas], {}).errors).toEqual({ 'provider.params.version': ['version is required'] });
    expect(checkProfileParams([replicas], {}).values).toEqual({ replicas: '2' });
    for (const bad of ['0', '11', '1e1', '0x5', '5.0', ' 5', '-', '99999999999999999999'])
      expect(checkProfileParams([replicas], { replicas: bad }).errors, bad).toHaveProperty(['provider.params.replicas']);
    // `__proto__` and friends are names like any other: undeclared.
    expect(Object.keys(checkProfileParams([version], JSON.parse('{"version":"1.2","__proto__":"x"}')).errors)).toEqual(['provider.params.__proto__']);
  });

  it('a fuzzed value passes only if it matches the pattern as a whole (2,000 random strings)', () => {
    const alphabet = '0123456789.;|&$`(){}[]<>"\' \n\t\\/-=abcxyz\u0000';
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const whole = /^[0-9]+\.[0-9]+$/;
    for (let i = 0; i < 2000; i++) {
      const value = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const ok = Object.keys(checkProfileParams([version], { version: value }).errors).length === 0;
      expect(ok, JSON.stringify(value)).toBe(whole.test(value));
    }
  });

  it('anchor the pattern: an alternation cannot escape it', () => {
    expect(parameterRegExp('gold|silver').test('gold; id')).toBe(false);
    expect(parameterRegExp('gold|silver').test('silver')).toBe(true);
  });
});

describe('templates', () => {
  it('fill every placeholder in one pass: a value holding a placeholder stays literal', () => {
    expect(fillTemplate('--tag={version}-{port}', { version: '{port}', port: '8080' })).toBe('--tag={port}-8080');
    expect(fillTemplate('{unknown} {a}', { a: 'x' })).toBe('{unknown} x');
    expect(fillTemplate('{constructor}', {})).toBe('{constructor}');
  });
});

describe('profile specs', () => {
  const base = { kind: 'process', argv: ['/usr/bin/node', 'server.js', '{port}'], portRangeStart: 9000, portRangeEnd: 9010 };

  it('accept a process argv with {port} and declared placeholders only', () => {
    expect(ZProviderProfileSpec.safeParse({ ...base, argv: [...base.argv, '{version}'], parameters: [version] }).success).toBe(true);
    const undeclared = ZProviderProfileSpec.safeParse({ ...base, argv: [...base.argv, '{version}'] });
    expect(undeclared.error?.issues.map((i) => i.path.join('.'))).toEqual(['argv.3']);
    expect(ZProviderProfileSpec.safeParse({ ...base, argv: ['/usr/bin/node'] }).error?.issues[0]?.message).toMatch(/\{port\}/);
    expect(ZProviderProfileSpec.safeParse({ ...base, parameters: [{ ...version, name: 'port' }] }).success).toBe(false);
    expect(ZProviderProfileSpec.safeParse({ ...base, argv: ['/usr/bin/node', 'a\u0000b', '{port}'] }).success).toBe(false);
    expect(ZProviderProfileSpec.safeParse({ ...base, shell: true }).success).toBe(false);
  });

  it('take http(s) targets without credentials, and a secret only where one is used', () => {
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1:6379/_', 'http://user:pw@127.0.0.1/', 'javascript:alert(1)', 'not a url']) {
      expect(ZProviderProfileSpec.safeParse({ kind: 'webhook', url }).success, url).toBe(false);
    }
    expect(ZProviderProfileSpec.safeParse({ kind: 'docker', socketPath: 'docker.sock', image: 'web', containerPort: 80 }).success).toBe(false);
    expect(ZProviderProfileSpec.safeParse({ kind: 'docker', socketPath: '/run/docker.sock', baseUrl: 'http://127.0.0.1:2375', image: 'web', containerPort: 80 }).success).toBe(false);
    expect(ZProviderProfileCreate.safeParse({ name: 'p', spec: base, secret: 'x' }).error?.issues[0]?.path).toEqual(['secret']);
    expect(ZProviderProfileCreate.safeParse({ name: 'w', spec: { kind: 'webhook', url: 'https://hooks.internal/x' }, secret: 'x' }).success).toBe(true);
  });

  it('a rule provider is a profile and parameter values, nothing else', () => {
    expect(ZScalingRuleProvider.safeParse({ profile: 'p', params: { version: '1.2' } }).success).toBe(true);
    for (const extra of [{ command: 'id' }, { kind: 'process' }, { url: 'http://x' }, { socketPath: '/x' }]) {
      expect(ZScalingRuleProvider.safeParse({ profile: 'p', ...extra }).success, JSON.stringify(extra)).toBe(false);
    }
    expect(ZScalingRuleProvider.safeParse({ profile: 'p', params: { version: 12 } }).success).toBe(false);
  });
});
