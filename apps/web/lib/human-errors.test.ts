import { describe, expect, it } from 'vitest';
import { humanFieldErrors, humanFieldMessage, humanPath } from './human-errors';

describe('human error messages', () => {
  it('turns schema paths into words', () => {
    expect(humanPath('patch.weight')).toBe('Weight');
    expect(humanPath('healthCheck.intervalMs')).toBe('Health check interval (ms)');
    expect(humanPath('retries.budgetPercent')).toBe('Retries budget (%)');
    expect(humanPath('backends.1.port')).toBe('Backends line 2 port');
    expect(humanPath('maxInstances')).toBe('Max instances');
  });
  it('never shows the raw path before the message', () => {
    expect(humanFieldMessage('patch.weight', 'must be at least 1')).toBe('Weight must be at least 1');
    expect(humanFieldMessage('port', 'port must be a number')).toBe('Port must be a number');
    expect(humanFieldMessage('listenPort', 'already used by pool web')).toBe('Listen port: already used by pool web');
    expect(humanFieldMessage('_', 'minInstances must not exceed maxInstances')).toBe('MinInstances must not exceed maxInstances');
  });
  it('keeps a toast short', () => {
    expect(humanFieldErrors({ 'patch.weight': ['must be at least 1'] })).toBe('Weight must be at least 1');
    expect(humanFieldErrors({ a: ['must be set'], b: ['must be set'], c: ['must be set'] })).toBe('A must be set; B must be set (and 1 more)');
  });
});
