import type { TSnapshotPool } from '@fulcrum/protocol';
import type { SelectionContext } from '../balancing';
import type { ClientRequest } from './client-exchange';
import { cookieValue } from './headers';

/**
 * The client IP and the pool's hash key (client IP, a header, a cookie or the request URI — path
 * and query, as NGINX's `hash $request_uri consistent`), read once per request.
 */
export function selectionContext(cfg: TSnapshotPool, req: ClientRequest | undefined, clientIp: string): SelectionContext {
  if (cfg.algorithm !== 'consistent_hash' || !req) return { clientIp, hashKey: clientIp };
  const { source, name } = cfg.hashKey;
  let key: string | undefined;
  if (source === 'header' && name) key = req.header(name.toLowerCase());
  else if (source === 'cookie' && name) key = cookieValue(req.header('cookie'), name);
  else if (source === 'path') key = req.url;
  return { clientIp, hashKey: key ?? clientIp };
}
