import { describe, expect, it } from 'vitest';
import { errorText } from './error-text';
import { AppError } from './errors';

describe('errorText', () => {
  it('gives a domain error as it says', () => {
    expect(errorText(AppError.field('port', 'pool a already has a backend at 127.0.0.1:1'))).toBe('pool a already has a backend at 127.0.0.1:1');
  });

  it("gives the database's own reason, never Prisma's invocation text", () => {
    const err = Object.assign(new Error('\nInvalid `tx.backend.create()` invocation in\n/src/services/backends/backends.ts:29:22\n\n  26 …\n→ 29 return tx.backend.create('), {
      code: 'P2010',
      clientVersion: '7.10.0',
      meta: { driverAdapterError: { cause: { originalCode: 'P0001', originalMessage: 'refused by a trigger', kind: 'postgres' } } },
    });
    expect(errorText(err)).toBe('database error: refused by a trigger');
    expect(errorText(Object.assign(new Error('Invalid `prisma.x()` invocation:\n…'), { clientVersion: '7.10.0' }))).toBe('database error');
  });

  it('says a database outage as such', () => {
    expect(errorText(Object.assign(new Error('Connection terminated unexpectedly'), {}))).toBe('the database is not answering; try again shortly');
  });

  it('puts anything else on one bounded line', () => {
    expect(errorText(new Error('docker API answered 500:\n  no such image'))).toBe('docker API answered 500: no such image');
    expect(errorText('x'.repeat(600))).toBe(`${'x'.repeat(500)}…`);
    expect(errorText(undefined)).toBe('unknown error');
  });
});
