import { type TBackend, type TPool, backendAddress } from '@fulcrum/protocol';
import { formatDuration } from './durations';

/** HAProxy's server weights stop at 256. */
const HAPROXY_MAX_WEIGHT = 256;

function balance(pool: TPool): string | null {
  switch (pool.algorithm) {
    case 'round_robin':
    case 'weighted_round_robin':
      return 'roundrobin';
    case 'least_connections':
    case 'weighted_least_connections':
      return 'leastconn';
    case 'ip_hash':
      return 'source';
    case 'random':
      return 'random';
    case 'p2c':
      return 'random(2)';
    case 'consistent_hash':
      if (pool.hashKey.source === 'path') return 'uri whole';
      if (pool.hashKey.source === 'header') return `hdr(${pool.hashKey.name ?? ''})`;
      if (pool.hashKey.source === 'client_ip') return 'source';
      return null;
    default:
      return null;
  }
}

/**
 * A pool as HAProxy configuration: a `frontend` on the pool's address and its `backend`, checked
 * with `haproxy -c`. What HAProxy cannot express is said in comments, not silently dropped.
 */
export function exportHaproxy(pool: TPool & { backends: TBackend[] }): string {
  const out: string[] = [`# Fulcrum pool ${pool.name}, exported for HAProxy.`];
  const alg = balance(pool);
  if (!alg) out.push(`# Not expressed: algorithm ${pool.algorithm}${pool.algorithm === 'consistent_hash' ? ` on ${pool.hashKey.source}` : ''}; exported as roundrobin`);
  if (pool.algorithm === 'round_robin' && pool.backends.some((b) => b.weight !== 1)) out.push('# Not expressed: Fulcrum round_robin ignores weights; HAProxy honours the weights below');
  if (pool.outlierDetection.enabled) out.push(`# Not expressed: outlier detection (eject after ${pool.outlierDetection.consecutiveErrors} consecutive errors)`);
  if (pool.stickiness.mode === 'header') out.push('# Not expressed: stickiness by header');
  if (pool.slowStartMs && !pool.healthCheck.enabled) out.push('# Not expressed: slow start (HAProxy needs health checks for it)');
  if (pool.backends.some((b) => b.weight > HAPROXY_MAX_WEIGHT)) out.push(`# Not expressed: weights above ${HAPROXY_MAX_WEIGHT} are capped`);
  const t = pool.timeouts;
  const hc = pool.healthCheck;
  out.push(
    '',
    `frontend ${pool.name}`,
    `    mode ${pool.protocol}`,
    ...(pool.listenPort === undefined
      ? ['# Not expressed: this pool has no port of its own (listeners route to it)']
      : [`    bind ${backendAddress({ host: pool.listenHost ?? '0.0.0.0', port: pool.listenPort })}`]),
    `    timeout client ${formatDuration(t.idleMs)}`,
  );
  if (pool.protocol === 'http') out.push(`    timeout http-request ${formatDuration(pool.http.headTimeoutMs)}`);
  out.push(`    default_backend ${pool.name}`, '', `backend ${pool.name}`, `    mode ${pool.protocol}`, `    balance ${alg ?? 'roundrobin'}`);
  if (pool.algorithm === 'consistent_hash' && alg) out.push('    hash-type consistent');
  out.push(`    timeout connect ${formatDuration(t.connectMs)}`, `    timeout server ${formatDuration(t.firstByteMs)}`);
  if (t.tunnelMs !== undefined) out.push(`    timeout tunnel ${formatDuration(t.tunnelMs)}`);
  out.push(`    retries ${pool.retries.attempts}`);
  const httpCheck = hc.enabled && (hc.type ?? (pool.protocol === 'tcp' ? 'tcp' : 'http')) === 'http';
  if (httpCheck) {
    out.push(`    option httpchk GET ${hc.path}`);
    out.push(`    http-check expect status ${hc.expectedStatusMin === hc.expectedStatusMax ? hc.expectedStatusMin : `${hc.expectedStatusMin}-${hc.expectedStatusMax}`}`);
    if (hc.bodyContains) out.push('# Not expressed: the check also expects a string in the body (HAProxy tests one expectation)');
  }
  if (hc.enabled) out.push(`    timeout check ${formatDuration(hc.timeoutMs)}`, `    default-server inter ${formatDuration(hc.intervalMs)} rise ${hc.rise} fall ${hc.fall}`);
  if (pool.stickiness.mode === 'cookie') out.push(`    cookie ${pool.stickiness.cookieName} insert indirect nocache maxlife ${formatDuration(pool.stickiness.ttlSeconds * 1000)}`);
  pool.backends.forEach((b, i) => {
    const params = [
      b.weight !== 1 && b.adminState !== 'draining' ? ` weight ${Math.min(b.weight, HAPROXY_MAX_WEIGHT)}` : '',
      b.maxConnections ? ` maxconn ${b.maxConnections}` : '',
      b.backup ? ' backup' : '',
      b.adminState === 'disabled' ? ' disabled' : '',
      b.adminState === 'draining' ? ' weight 0' : '',
      hc.enabled ? ' check' : '',
      hc.enabled && pool.slowStartMs ? ` slowstart ${formatDuration(pool.slowStartMs)}` : '',
      pool.stickiness.mode === 'cookie' ? ` cookie s${i + 1}` : '',
    ];
    out.push(`    server s${i + 1} ${backendAddress(b)}${params.join('')}`);
  });
  return `${out.join('\n')}\n`;
}
