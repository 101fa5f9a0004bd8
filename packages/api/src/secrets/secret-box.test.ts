import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, parseSecretKey, SecretBox, SecretBoxError } from './secret-box';

const box = new SecretBox(randomBytes(32));

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SecretBoxError ? err.reason : `not a SecretBoxError: ${String(err)}`;
  }
  return undefined;
}

describe('SecretBox', () => {
  it('opens what it sealed, with a fresh nonce each time and no plaintext in the sealed text', () => {
    const a = box.seal('-----BEGIN PRIVATE KEY-----\nabc', 'certificate:1:key');
    const b = box.seal('-----BEGIN PRIVATE KEY-----\nabc', 'certificate:1:key');
    expect(a).not.toBe(b);
    expect(a).not.toContain('PRIVATE');
    expect(SecretBox.isSealed(a)).toBe(true);
    expect(box.open(a, 'certificate:1:key')).toBe('-----BEGIN PRIVATE KEY-----\nabc');
  });

  it('refuses a value moved to another record, altered, truncated, foreign or not sealed at all', () => {
    const sealed = box.seal('s3cret', 'credential:7');
    expect(reason(() => box.open(sealed, 'credential:8'))).toBe('altered');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] as number) ^ 1;
    expect(reason(() => box.open([parts[0], parts[1], parts[2], body.toString('base64url')].join('.'), 'credential:7'))).toBe('altered');
    expect(reason(() => box.open([parts[0], parts[1], parts[2], 'AAAA'].join('.'), 'credential:7'))).toBe('malformed');
    expect(reason(() => box.open('s3cret', 'credential:7'))).toBe('malformed');
    expect(SecretBox.isSealed('s3cret')).toBe(false);
    const other = new SecretBox(randomBytes(32));
    expect(reason(() => other.open(sealed, 'credential:7'))).toBe('other-key');
    expect(() => other.open(sealed, 'credential:7')).toThrow(/FULCRUM_SECRET_KEY/);
  });
});

describe('secret key', () => {
  it('takes 32 bytes as hex or base64 and refuses anything else by naming the forms', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'hunter2', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), 'z'.repeat(64)]) {
      expect(() => parseSecretKey(bad)).toThrow(/64 hex digits or as base64/);
    }
  });

  it('is generated once into the data folder (mode 0600) and read back on the next start', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-key-'));
    const first = loadSecretKey({ dataDir: dir });
    expect(first.source).toBe('file');
    expect(statSync(path.join(dir, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ dataDir: dir }).key).toEqual(first.key);
    const fromEnv = loadSecretKey({ dataDir: dir, envValue: randomBytes(32).toString('hex') });
    expect(fromEnv.source).toBe('env');
    expect(fromEnv.key).not.toEqual(first.key);
    expect(readFileSync(path.join(dir, 'secret-key'), 'utf8').trim()).toBe(first.key.toString('base64'));
  });

  it('refuses a damaged key file instead of replacing it (that would orphan every sealed secret)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-key-'));
    writeFileSync(path.join(dir, 'secret-key'), 'truncated\n');
    expect(() => loadSecretKey({ dataDir: dir })).toThrow(/does not hold a secret key/);
    expect(readFileSync(path.join(dir, 'secret-key'), 'utf8')).toBe('truncated\n');
  });
});
