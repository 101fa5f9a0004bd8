import { Buffer } from 'node:buffer';
import { BlockList, isIPv6 } from 'node:net';
import { isNamed, namedAt, owsTrimmed } from './field-syntax';

/**
 * Headers that belong to one connection and are never forwarded (RFC 9110 §7.6.1), and h2c's
 * HTTP2-Settings (RFC 7540 §3.2.1: connection-specific, whether or not Connection names it).
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);
/** Headers the proxy replaces or reads on the way upstream (see `upstreamRequestHeaders`). */
const UPSTREAM_SET = ['content-length', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'host'];

/** The names of `names`, lower-cased, grouped by length: a name of another length is none of them. */
function byLength(names: Iterable<string>): (string[] | undefined)[] {
  const out: (string[] | undefined)[] = [];
  for (const n of names) (out[n.length] ??= []).push(n);
  return out;
}
/** `byLength`, each name as bytes (for `listedAt`). */
function bytesByLength(names: Iterable<string>): (Buffer[] | undefined)[] {
  return byLength(names).map((listed) => listed?.map((n) => Buffer.from(n, 'latin1')));
}
const HOP_NAMES = byLength(HOP_BY_HOP);
const HOP_BYTES = bytesByLength(HOP_BY_HOP);
const UPSTREAM_NAMES = byLength([...HOP_BY_HOP, ...UPSTREAM_SET]);
/** What `upstreamRequestHeaders` leaves out of the client's own lines (Host is kept), as bytes by length. */
const UPSTREAM_CUT = bytesByLength([...HOP_BY_HOP, ...UPSTREAM_SET.filter((n) => n !== 'host')]);

/** Whether the field name of `length` tchars at `at` in `buf` is one of `listed` (bytes by length), in any case. */
function listedAt(buf: Buffer, at: number, length: number, listed: (Buffer[] | undefined)[]): boolean {
  const candidates = listed[length];
  if (candidates === undefined) return false;
  for (let k = 0; k < candidates.length; k++) if (namedAt(buf, at, candidates[k]!)) return true;
  return false;
}

/** Whether the field name of `length` tchars at `at` in `buf` is a hop-by-hop one, in any case (no string is made). */
export function hopByHopAt(buf: Buffer, at: number, length: number): boolean {
  return listedAt(buf, at, length, HOP_BYTES);
}

/** Whether the client's field named at `at` in `buf` is left out upstream: hop-by-hop, framing, or one the proxy writes. */
export function upstreamCutAt(buf: Buffer, at: number, length: number): boolean {
  return listedAt(buf, at, length, UPSTREAM_CUT);
}

/** Whether `name` is a hop-by-hop field's, in any case. */
export function isHopByHop(name: string): boolean {
  return listedName(name, HOP_NAMES) !== undefined;
}

/** The name of `listed` (by length) that `name` is in any case, as listed; undefined when none. No copy is made. */
function listedName(name: string, listed: (string[] | undefined)[]): string | undefined {
  const candidates = listed[name.length];
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) if (isNamed(name, candidates[k]!)) return candidates[k];
  return undefined;
}

/**
 * The other headers the Connection header names, lower-cased; undefined when it names none
 * (hop-by-hop names such as `keep-alive` are not counted: they go anyway).
 */
function connectionTokens(raw: string[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (isNamed(raw[i]!, 'connection')) {
      const value = raw[i + 1]!;
      // The usual value is one token (`keep-alive`, `close`): no split, no lower-cased copy.
      for (const t of value.includes(',') ? value.split(',') : [value]) {
        const token = owsTrimmed(t);
        if (listedName(token, HOP_NAMES) === undefined) (out ??= new Set()).add(token.toLowerCase());
      }
    }
  }
  return out;
}

/**
 * Whether a Connection header's list names a field that is not hop-by-hop anyway (`close`
 * included: `connectionTokens` counts it as a name), which must then be dropped too.
 */
export function namesOtherFields(value: string): boolean {
  for (const t of value.includes(',') ? value.split(',') : [value]) {
    const token = owsTrimmed(t);
    if (token !== '' && !isHopByHop(token)) return true;
  }
  return false;
}

/**
 * The lower-cased name when it may matter (it is one of `listed`, or the Connection header
 * named other headers), else undefined: most names are never lower-cased.
 */
function lowerIfListed(name: string, listed: (string[] | undefined)[], named: Set<string> | undefined): string | undefined {
  return listedName(name, listed) ?? (named !== undefined ? name.toLowerCase() : undefined);
}

/** Raw header pairs minus hop-by-hop ones and those the Connection header names. */
export function stripHopByHop(raw: string[], keep?: ReadonlySet<string>): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = lowerIfListed(name, HOP_NAMES, named);
    if (lower !== undefined && (HOP_BY_HOP.has(lower) || named?.has(lower)) && !keep?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  return out;
}

export interface ForwardedFor {
  clientIp: string;
  proto: 'http' | 'https';
  requestId: string;
  /** The peer is a trusted proxy: its X-Forwarded-* and X-Real-IP are kept (X-Forwarded-For appended to). */
  trusted?: boolean;
}

const trustedLists = new WeakMap<readonly string[], BlockList>();

/** Whether `ip` falls in one of a pool's trusted networks (CIDRs the protocol schema validated). */
export function isTrustedPeer(networks: readonly string[], ip: string): boolean {
  if (networks.length === 0 || !ip) return false;
  let list = trustedLists.get(networks);
  if (!list) {
    list = new BlockList();
    for (const cidr of networks) {
      const [addr = '', bits] = cidr.split('/');
      const family = isIPv6(addr) ? 'ipv6' : 'ipv4';
      try {
        if (bits === undefined) list.addAddress(addr, family);
        else list.addSubnet(addr, Number(bits), family);
      } catch {
        // The schema refuses what BlockList cannot take; a network it let through is skipped, not fatal.
      }
    }
    trustedLists.set(networks, list);
  }
  return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}

/**
 * The request headers sent upstream: hop-by-hop ones and the client's framing lines dropped
 * (the proxy writes framing from its own parse), X-Request-Id set, and the forwarding headers
 * replaced, or from a trusted proxy kept with X-Forwarded-For appended to. X-Real-IP is always
 * set. The Host header is passed through.
 */
export function upstreamRequestHeaders(raw: string[], fwd: ForwardedFor, keep?: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const trusted = fwd.trusted === true;
  let xff: string | undefined;
  let realIp: string | undefined;
  let proto: string | undefined;
  let forwardedHost: string | undefined;
  let host: string | undefined;
  const named = connectionTokens(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = lowerIfListed(name, UPSTREAM_NAMES, named);
    if (lower === undefined) {
      out.push(name, value);
      continue;
    }
    if (lower === 'content-length') continue;
    if ((HOP_BY_HOP.has(lower) || named?.has(lower)) && !keep?.has(lower)) continue;
    switch (lower) {
      case 'x-forwarded-for':
        if (trusted) xff = xff ? `${xff}, ${value}` : value;
        continue;
      case 'x-real-ip':
        if (trusted) realIp ??= value;
        continue;
      case 'x-forwarded-proto':
        if (trusted) proto ??= value;
        continue;
      case 'x-forwarded-host':
        if (trusted) forwardedHost ??= value;
        continue;
      case 'x-request-id':
        continue;
      case 'host':
        host = value;
    }
    out.push(name, value);
  }
  out.push('X-Forwarded-For', xff ? `${xff}, ${fwd.clientIp}` : fwd.clientIp, 'X-Real-IP', realIp ?? fwd.clientIp, 'X-Forwarded-Proto', proto ?? fwd.proto, 'X-Request-Id', fwd.requestId);
  forwardedHost ??= host;
  if (forwardedHost) out.push('X-Forwarded-Host', forwardedHost);
  return out;
}

/** The request line and header block as written on an upstream connection. */
export function requestHead(method: string, url: string, headers: string[]): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/**
 * The request head sent upstream from the client's own lines (`RequestHead.lines`), for a client
 * that is not a trusted proxy: what `upstreamRequestHeaders` and `requestHead` make of the same
 * head, the lines' whitespace as the client sent it. `host` is the client's Host value.
 */
export function upstreamHeadOfLines(method: string, url: string, lines: string, fwd: ForwardedFor, host: string, framing: string[]): string {
  const ip = fwd.clientIp;
  let head = `${method} ${url} HTTP/1.1\r\n${lines}X-Forwarded-For: ${ip}\r\nX-Real-IP: ${ip}\r\nX-Forwarded-Proto: ${fwd.proto}\r\nX-Request-Id: ${fwd.requestId}\r\n`;
  if (host) head += `X-Forwarded-Host: ${host}\r\n`;
  for (let i = 0; i < framing.length; i += 2) head += `${framing[i]}: ${framing[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** The first value of a header in raw pairs, by lower-case name (only names of that length are lower-cased). */
export function headerValue(raw: string[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (isNamed(name, lowerName)) return raw[i + 1];
  }
  return undefined;
}

export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
