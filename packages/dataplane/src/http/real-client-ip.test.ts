import { describe, expect, it } from 'vitest';
import { realClientIp } from './real-client-ip';

const TRUSTED = ['10.0.0.0/8', '127.0.0.1'];

describe('realClientIp', () => {
  it('is the peer when the peer is not a trusted proxy, whatever the headers say', () => {
    expect(realClientIp(TRUSTED, '203.0.113.9', ['X-Forwarded-For', '198.51.100.1', 'X-Real-IP', '198.51.100.2'])).toBe('203.0.113.9');
    expect(realClientIp([], '127.0.0.1', ['X-Forwarded-For', '198.51.100.1'])).toBe('127.0.0.1');
  });

  it('reads X-Forwarded-For from the right, skipping trusted hops, across repeated headers', () => {
    expect(realClientIp(TRUSTED, '127.0.0.1', ['X-Forwarded-For', '198.51.100.7, 10.1.2.3'])).toBe('198.51.100.7');
    // The client's own forged left part is never reached while an untrusted hop is to its right.
    expect(realClientIp(TRUSTED, '127.0.0.1', ['x-forwarded-for', '1.2.3.4', 'X-Forwarded-For', '198.51.100.7,10.0.0.5'])).toBe('198.51.100.7');
  });

  it('takes the leftmost hop when every hop is trusted, then X-Real-IP, then the peer', () => {
    expect(realClientIp(TRUSTED, '127.0.0.1', ['X-Forwarded-For', '10.0.0.1, 10.0.0.2'])).toBe('10.0.0.1');
    expect(realClientIp(TRUSTED, '127.0.0.1', ['X-Real-IP', '198.51.100.3'])).toBe('198.51.100.3');
    expect(realClientIp(TRUSTED, '127.0.0.1', [])).toBe('127.0.0.1');
  });

  it('never uses a value that is not an IP address', () => {
    for (const bad of ['', 'unknown', '198.51.100.1:80', '<script>', '999.1.1.1', 'a'.repeat(5000)]) {
      expect(realClientIp(TRUSTED, '127.0.0.1', ['X-Forwarded-For', bad])).toBe('127.0.0.1');
      expect(realClientIp(TRUSTED, '127.0.0.1', ['X-Real-IP', bad])).toBe('127.0.0.1');
    }
    expect(realClientIp(TRUSTED, '127.0.0.1', ['X-Forwarded-For', '::1, 2001:db8::5'])).toBe('2001:db8::5');
  });
});
