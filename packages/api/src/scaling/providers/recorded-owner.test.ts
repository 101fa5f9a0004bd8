import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordedOwner } from './process-provider';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A rule's record folder holding `records` (objects written as JSON, strings as they are). */
function folder(...records: (object | string)[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-records-'));
  dirs.push(dir);
  records.forEach((r, i) => writeFileSync(path.join(dir, `i${i}.json`), typeof r === 'string' ? r : JSON.stringify(r)));
  return dir;
}

const owner = { database: 'db', ruleId: 'r1', rule: 'web', poolId: 'p1', pool: 'web' };
const record = { pid: 1, port: 9000, argv: ['node', 'app.js'] };

describe('the owner a rule’s records name', () => {
  it('is read from a record that names it, with the host', () => {
    expect(recordedOwner(folder({ ...record, host: '10.0.0.2', owner }))).toEqual({ owner, host: '10.0.0.2' });
  });

  it('is none for an empty or missing folder, and absent for records written before owners', () => {
    expect(recordedOwner(folder())).toBeUndefined();
    expect(recordedOwner(path.join(tmpdir(), 'fulcrum-records-none-here'))).toBeUndefined();
    expect(recordedOwner(folder(record))).toEqual({});
  });

  it.each([
    ['a string', 'r1'],
    ['a number for the rule id', { ...owner, ruleId: 7 }],
    ['an array for the pool id', { ...owner, poolId: ['p1'] }],
    ['an empty database', { ...owner, database: '' }],
    ['a field missing', { database: 'db', ruleId: 'r1', rule: 'web', pool: 'web' }],
    ['null', null],
  ])('is absent when the record’s owner is not five strings: %s', (_, bad) => {
    expect(recordedOwner(folder({ ...record, owner: bad }))).toEqual({});
  });

  it('skips a damaged record and a host that is not a string', () => {
    expect(recordedOwner(folder('{"pid": 1, "own', { ...record, host: 42, owner }))).toEqual({ owner, host: undefined });
  });
});
