import { isIpv6 } from '@fulcrum/protocol';

/**
 * `host:port`, `[v6]:port`, or a bare host (then `defaultPort`); null when the port is not a
 * number in range. A bare IPv6 address without brackets is taken whole, as a host.
 */
export function splitHostPort(address: string, defaultPort: number | null): { host: string; port: number } | null {
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(address);
  if (bracketed) [, host = '', port] = bracketed;
  else if (address.includes(':') && isIpv6(address)) host = address;
  else {
    const at = address.lastIndexOf(':');
    [host, port] = at < 0 ? [address, undefined] : [address.slice(0, at), address.slice(at + 1)];
  }
  if (host === '*' || host === '') host = '0.0.0.0';
  if (port === undefined) return defaultPort === null ? null : { host, port: defaultPort };
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return null;
  return { host, port: Number(port) };
}
