import type { TAccessRecord, TSnapshotPool } from '@fulcrum/protocol';
import type { ListenerRefusal } from '../http/server/http-listener';
import { logTime } from './access-record';

/** The access record of a request the listener refused itself (400, 408, 431): no backend was tried. */
export function refusalRecord(pool: TSnapshotPool, r: ListenerRefusal): TAccessRecord {
  return {
    time: logTime(),
    pool: pool.name,
    poolId: pool.id,
    // Not the forwarded address: a refused request's headers were not believed.
    clientIp: r.clientIp,
    method: r.method ?? '',
    ...(r.protocol ? { protocol: r.protocol } : {}),
    host: '',
    path: r.path ?? '',
    status: r.status,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 0,
    upstream: '',
    connectMs: -1,
    firstByteMs: -1,
    attempts: 0,
    requestId: '',
    termination: 'refused',
    userAgent: '',
    referer: '',
  };
}
