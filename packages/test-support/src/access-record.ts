import type { TAccessRecord } from '@fulcrum/protocol';

/** An access record as a data plane logs a plain 200, for tests of the tail on both sides of the link; `over` changes any field. */
export function accessRecord(over: Partial<TAccessRecord> = {}): TAccessRecord {
  return {
    time: '2026-11-30T20:00:00.000Z',
    pool: 'web',
    poolId: 'p1',
    clientIp: '127.0.0.1',
    method: 'GET',
    host: 'h',
    path: '/',
    status: 200,
    bytesIn: 0,
    bytesOut: 1,
    durationMs: 1,
    upstream: '127.0.0.1:1',
    connectMs: 0,
    firstByteMs: 1,
    attempts: 1,
    requestId: 'r',
    termination: 'normal',
    userAgent: '',
    referer: '',
    ...over,
  };
}
