import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LastGoodConfig } from './last-good-config';

const root = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-last-good-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('LastGoodConfig', () => {
  it('has nothing before the first save, then returns what was saved last', () => {
    const dir = path.join(root, 'nested', 'state');
    const store = new LastGoodConfig(dir);
    expect(store.load()).toBeUndefined();
    store.save({ version: 1, hash: 'a', pools: [] });
    store.save({ version: 2, hash: 'b', pools: [] });
    expect(store.load()).toEqual({ version: 2, hash: 'b', pools: [] });
    // Written through a temporary file and a rename: nothing else is left behind.
    expect(readdirSync(dir)).toEqual(['last-good-config.json']);
  });

  it('treats a torn or foreign file as no saved config', () => {
    const dir = path.join(root, 'torn');
    const store = new LastGoodConfig(dir);
    store.save({ version: 1, hash: 'a', pools: [] });
    writeFileSync(path.join(dir, 'last-good-config.json'), '{"version": 1, "po');
    expect(store.load()).toBeUndefined();
    expect(existsSync(dir)).toBe(true);
  });

  it('is readable by its owner only, since a snapshot carries secrets (also over a leftover world-readable temp file)', () => {
    const dir = path.join(root, 'private');
    const store = new LastGoodConfig(dir);
    store.save({ version: 1, hash: 'a', pools: [] });
    writeFileSync(path.join(dir, `last-good-config.json.${process.pid}.tmp`), '{}', { mode: 0o644 });
    store.save({ version: 2, hash: 'b', pools: [], secrets: { 'credential/c1/password': 'pw', 'certificate/c/key': '-----BEGIN PRIVATE KEY-----' } });
    expect(statSync(path.join(dir, 'last-good-config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
