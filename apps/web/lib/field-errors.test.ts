import { describe, expect, it } from 'vitest';
import { foldListErrors, scopeFieldErrors } from './field-errors';

describe('field errors', () => {
  it('drops the input prefix the router nests the form under', () => {
    expect(scopeFieldErrors({ 'rule.maxInstances': ['too small'], _: ['bad'] }, 'rule')).toEqual({ maxInstances: ['too small'], _: ['bad'] });
  });

  it('shows the errors of a list typed into one input on that input, by line', () => {
    expect(foldListErrors({ 'backends.1.port': ['port must be a number'], version: ['required'] }, 'backends', 'line')).toEqual({
      backends: ['line 2: port must be a number'],
      version: ['required'],
    });
  });
});
