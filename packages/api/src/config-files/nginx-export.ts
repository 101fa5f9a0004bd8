import { type TBackend, type TPool, backendAddress } from '@fulcrum/protocol';
import { formatDuration } from './durations';

const METHOD: Partial<Record<TPool['algorithm'], string>> = {
  least_connections: 'least_conn',
  weighted_least_connections: 'least_conn',
  ip_hash: 'ip_hash',
  random: 'random',
  p2c: 'random two least_conn',
};

/** NGINX's name for a hash key, the reverse of the importer's mapping. */
function hashVariable(key: TPool['hashKey']): string {
  if (key.source === 'path') return '$request_uri';
  if (key.source === 'cookie') return `$cookie_${key.name ?? ''}`;
  if (key.source === 'header') return `$http_${(key.name ?? '').toLowerCase().replace(/-/g, '_')}`;
  return '$remote_addr';
}

/**
 * A pool as NGINX configuration: an `upstream` and the `server` that proxies to it (an http{}
 * snippet for conf.d; a TCP pool is a stream{} block for the main context). What open-source
 * NGINX cannot express is said in comments, not silently dropped.
 */
export function exportNginx(pool: TPool & { backends: TBackend[] }): string {
  const out: string[] = [`# Fulcrum pool ${pool.name}, exported for NGINX.`];
  const lost: string[] = [];
  const name = pool.name.replace(/-/g, '_');
  const method = pool.algorithm === 'consistent_hash' ? `hash ${hashVariable(pool.hashKey)} consistent` : METHOD[pool.algorithm];
  if (pool.algorithm === 'least_response_time') lost.push('algorithm least_response_time (NGINX Plus: least_time header); exported as round robin');
  if (pool.algorithm === 'round_robin' && pool.backends.some((b) => b.weight !== 1)) lost.push('Fulcrum round_robin ignores weights; NGINX honours the weights below');
  if (pool.healthCheck.enabled) {
    const hc = pool.healthCheck;
    lost.push(
      `active health check every ${formatDuration(hc.intervalMs)} (${pool.protocol === 'tcp' || hc.type === 'tcp' ? 'TCP connect' : `GET ${hc.path} expecting ${hc.expectedStatusMin}-${hc.expectedStatusMax}`}; rise ${hc.rise}, fall ${hc.fall}): open-source NGINX has no active checks`,
    );
  }
  if (pool.stickiness.mode !== 'none') lost.push(`stickiness by ${pool.stickiness.mode} (open-source NGINX has no sticky cookie)`);
  if (pool.slowStartMs) lost.push(`slow start ${formatDuration(pool.slowStartMs)} (NGINX Plus only)`);
  if (pool.backends.some((b) => b.adminState === 'draining')) lost.push('draining backends are exported as "down"');
  if (pool.timeouts.tunnelMs !== undefined) lost.push(`tunnel timeout ${formatDuration(pool.timeouts.tunnelMs)} (NGINX bounds a WebSocket with proxy_read_timeout, one value for the location)`);
  // NGINX refuses `backup` under hash, ip_hash and random ("balancing method does not support parameter").
  const backupAllowed = !['consistent_hash', 'ip_hash', 'random', 'p2c'].includes(pool.algorithm);
  const servers = backupAllowed ? pool.backends : pool.backends.filter((b) => !b.backup);
  if (!backupAllowed) for (const b of pool.backends.filter((x) => x.backup)) lost.push(`backup server ${backendAddress(b)} (NGINX's ${method?.split(' ')[0]} method has no backups)`);
  for (const l of lost) out.push(`# Not expressed: ${l}`);
  const od = pool.outlierDetection;
  const fail = od.enabled ? ` max_fails=${od.consecutiveErrors} fail_timeout=${formatDuration(od.baseEjectionMs)}` : ' max_fails=0';
  const indent = pool.protocol === 'tcp' ? '    ' : '';
  if (pool.protocol === 'tcp') out.push('stream {');
  out.push(`${indent}upstream ${name} {`);
  if (method) out.push(`${indent}    ${method};`);
  for (const b of servers) {
    const params = [b.weight !== 1 ? ` weight=${b.weight}` : '', fail, b.maxConnections ? ` max_conns=${b.maxConnections}` : '', b.backup ? ' backup' : '', b.adminState !== 'active' ? ' down' : ''];
    out.push(`${indent}    server ${backendAddress(b)}${params.join('')};`);
  }
  if (!servers.length) out.push(`${indent}    # no backends yet; NGINX needs at least one server here`);
  out.push(
    `${indent}}`,
    '',
    `${indent}server {`,
    pool.listenPort === undefined
      ? `${indent}    # Not expressed: this pool has no port of its own (listeners route to it)`
      : `${indent}    listen ${backendAddress({ host: pool.listenHost ?? '0.0.0.0', port: pool.listenPort })};`,
  );
  const t = pool.timeouts;
  if (pool.protocol === 'tcp') {
    out.push(`${indent}    proxy_pass ${name};`, `${indent}    proxy_connect_timeout ${formatDuration(t.connectMs)};`, `${indent}    proxy_timeout ${formatDuration(t.idleMs)};`, `${indent}}`, '}');
  } else {
    out.push(
      '    location / {',
      `        proxy_pass http://${name};`,
      '        proxy_set_header Host $host;',
      '        proxy_set_header X-Real-IP $remote_addr;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '        proxy_set_header X-Forwarded-Proto $scheme;',
      `        proxy_connect_timeout ${formatDuration(t.connectMs)};`,
      `        proxy_read_timeout ${formatDuration(t.firstByteMs)};`,
      `        proxy_send_timeout ${formatDuration(t.idleMs)};`,
      '    }',
      '}',
    );
  }
  return `${out.join('\n')}\n`;
}
