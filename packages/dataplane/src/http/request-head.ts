import type { Buffer } from 'node:buffer';
import { METHODS } from 'node:http';
import { FIELD_LINE, FieldCut, allIn, byteTable, isFieldValue, isNamed, isToken, owsTrimmed, upgradeProtocols } from './field-syntax';
import { isHopByHop, upstreamCutAt } from './headers';

/**
 * The proxy's reading of a request head: every decision about how the request is framed and
 * routed comes from here, on both the fast path and node:http's, and anything ambiguous is a
 * refusal (RFC 9112; llhttp's strict mode and HAProxy's h1_headers_to_hdr_list are the models).
 */
export interface RequestHead {
  readonly method: string;
  /** The target as forwarded: origin form, or `*` for OPTIONS (absolute form is reduced to its path). */
  readonly url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: number;
  readonly rawHeaders: string[];
  /** Body length when framed by Content-Length (0 without a body); -1 when chunked. */
  readonly length: number;
  /** The framing headers the proxy writes upstream, from this parse (never the client's own lines). */
  readonly framing: string[];
  /** The client wants the connection closed after the answer. */
  readonly close: boolean;
  /**
   * An upgrade handshake: HTTP/1.1, `Connection: upgrade` and an Upgrade listing protocols, none
   * of them h2c (RFC 9110 §7.8): the protocols it offers, lower-cased, from all its Upgrade fields
   * (a 101 may switch only to one of them). Otherwise undefined: the request is an ordinary one
   * and its Upgrade is dropped.
   */
  readonly upgrade: readonly string[] | undefined;
  /** `Expect: 100-continue`. */
  readonly expectContinue: boolean;
  /**
   * The header lines as received (each with its CRLF) less those the proxy drops or writes itself
   * on the way upstream (see `upstreamCutAt`), for a request sent on as it came; undefined when
   * the head was not read as bytes, a line is not written `Name: value` (one space after the
   * colon, none at the end, as the proxy writes lines), or its Connection header names other fields.
   */
  readonly lines?: string;
}

export interface HeadRefusal {
  readonly status: 400 | 405 | 417 | 431 | 501 | 505;
  readonly reason: string;
}

export interface HeadLimits {
  readonly maxHeadBytes: number;
  readonly maxHeaders: number;
}

export function isRefusal(h: RequestHead | HeadRefusal): h is HeadRefusal {
  return (h as HeadRefusal).status !== undefined;
}

/** What an origin-form target holds after its leading `/`: visible ASCII. */
const TARGET_BYTE = byteTable('', [0x21, 0x7e]);
const ABSOLUTE_FORM = /^https?:\/\/([^/?#@\x00-\x20\x7f-\xff]+)([/?][\x21-\x7e]*)?$/i;
/** What a Host value may hold (RFC 3986's reg-name, IPv4, IP literal in brackets, port). */
const HOST_BYTE = byteTable(".-_~%!$&'()*+,;=:[]", [0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]);
const VERSION = /^HTTP\/(\d)\.(\d)$/;
/** Methods llhttp knows, less CONNECT: the proxy does not open tunnels for a request line. */
const KNOWN_METHODS = new Set(METHODS.filter((m) => m !== 'CONNECT'));
/** Codings a body may carry before its chunking; an unknown one is 501 (RFC 9112 §6.1). */
const CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'compress', 'x-compress']);
const MAX_LENGTH_DIGITS = 15;

/**
 * Headers the proxy reads or writes itself. A `Connection` header naming one would have a
 * hop-by-hop filter drop it while the proxy still acts on it (issue 12's smuggling: Content-
 * Length dropped, its body sent on as a second request), so such a request is refused rather
 * than guessed at. Nothing honest names these.
 */
const RELIED_ON = new Set(['content-length', 'transfer-encoding', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'x-request-id']);

const refuse = (status: HeadRefusal['status'], reason: string): HeadRefusal => ({ status, reason });

/** A comma-separated list's non-empty elements, trimmed and lower-cased. */
function listElements(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = owsTrimmed(part);
    if (t) out.push(t.toLowerCase());
  }
  return out;
}

/**
 * Parses a head as the fast path read it: `buf` from `from` to `to` holds the request line and
 * the header lines, each ending in CRLF (the scanner has already refused a bare LF; a bare CR
 * fails the checks below). Names and values are checked as bytes, and strings made only of what
 * is kept: a string's characters cost more to read than a buffer's bytes.
 */
export function parseRequestHead(buf: Buffer, from: number, to: number, limits: HeadLimits): RequestHead | HeadRefusal {
  const text = buf.toString('latin1', from, to);
  const lineEnd = text.indexOf('\r\n');
  // The request line's two spaces, in one pass over it (a third is refused).
  let sp1 = -1;
  let sp2 = -1;
  for (let i = 0; i < lineEnd; i++) {
    if (text.charCodeAt(i) !== 0x20) continue;
    if (sp1 < 0) sp1 = i;
    else if (sp2 < 0) sp2 = i;
    else return refuse(400, 'malformed request line');
  }
  if (sp1 <= 0 || sp2 < 0) return refuse(400, 'malformed request line');
  const raw: string[] = [];
  // The lines sent on: runs of the text between the lines cut; only when every line is written
  // as the proxy would write it (a backend sees the same bytes either way).
  let lines = '';
  let canonical = true;
  let keptFrom = lineEnd + 2;
  const field = FIELD_LINE;
  for (let at = from + lineEnd + 2; at < to; ) {
    if (raw.length >= limits.maxHeaders * 2) return refuse(431, 'too many header fields');
    const cut = field.cut(buf, at);
    // Not a token then a colon: no colon on the line at all, or a name that is not a token (which
    // also catches obsolete folding, a line opening with whitespace, and whitespace before the colon).
    if (cut === FieldCut.BadName) return badHeaderLine(text, at - from);
    const nameEnd = field.nameEnd;
    const name = text.slice(at - from, nameEnd - from);
    if (cut === FieldCut.BadValue) return refuse(400, `invalid character in ${name}`);
    const next = field.eol + 2;
    if (upstreamCutAt(buf, at, nameEnd - at)) {
      lines += text.slice(keptFrom, at - from);
      keptFrom = next - from;
    }
    if (!field.canonical) canonical = false;
    raw.push(name, text.slice(field.valueStart - from, field.valueEnd - from));
    at = next;
  }
  lines += text.slice(keptFrom);
  return checkRequest(text.slice(0, sp1), text.slice(sp1 + 1, sp2), text.slice(sp2 + 1, lineEnd), raw, limits, true, canonical ? lines : undefined);
}

/** Why the header line at `at` of `text` is refused, when it is not a token and a colon. */
function badHeaderLine(text: string, at: number): HeadRefusal {
  const end = text.indexOf('\r\n', at);
  const colon = text.indexOf(':', at);
  return colon < 0 || colon > end ? refuse(400, 'header line without a colon') : refuse(400, 'invalid header name');
}

/**
 * The checks both servers apply to a parsed head (node:http's for the connections it took
 * over): method, target, version, Host, framing, and what `Connection` names. `fieldsChecked`
 * when the caller has already checked each field's name and value bytes.
 */
export function checkRequest(method: string, target: string, version: string, raw: string[], limits: HeadLimits, fieldsChecked = false, lines?: string): RequestHead | HeadRefusal {
  if (!KNOWN_METHODS.has(method)) return method === 'CONNECT' ? refuse(405, 'CONNECT is not supported') : refuse(400, 'unknown method');
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else return VERSION.test(version) ? refuse(505, 'only HTTP/1.0 and HTTP/1.1 are served') : refuse(400, 'malformed HTTP version');
  if (raw.length > limits.maxHeaders * 2) return refuse(431, 'too many header fields');

  let host: string | undefined;
  let hosts = 0;
  let length: string | undefined;
  let lengths = 0;
  let codings: string[] | undefined;
  let connection: string[] | undefined;
  let upgradeValue: string | undefined;
  let expect: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // node:http's fields are checked here; the fast path's were, as it split the lines.
    if (!fieldsChecked) {
      if (!isToken(name)) return refuse(400, 'invalid header name');
      if (!isFieldValue(value)) return refuse(400, `invalid character in ${name}`);
    }
    switch (name.length) {
      case 4:
        if (isNamed(name, 'host')) {
          hosts++;
          host = value;
        }
        break;
      case 6:
        if (isNamed(name, 'expect')) expect = expect === undefined ? value : `${expect}, ${value}`;
        break;
      case 7:
        if (isNamed(name, 'upgrade')) upgradeValue = upgradeValue === undefined ? value : `${upgradeValue}, ${value}`;
        break;
      case 10:
        if (isNamed(name, 'connection')) {
          // The usual single token skips the list parsing.
          if (isNamed(value, 'keep-alive')) (connection ??= []).push('keep-alive');
          else if (isNamed(value, 'close')) (connection ??= []).push('close');
          else (connection ??= []).push(...listElements(value));
        }
        break;
      case 14:
        if (isNamed(name, 'content-length')) {
          lengths++;
          length = value;
        }
        break;
      case 17:
        if (isNamed(name, 'transfer-encoding')) {
          const elements = listElements(value);
          // An empty value still counts as a Transfer-Encoding, and fails as one.
          (codings ??= []).push(...(elements.length ? elements : ['']));
        }
        break;
    }
  }

  // Host: exactly one in HTTP/1.1, at most one in 1.0 (RFC 9112 §3.2).
  if (hosts > 1) return refuse(400, 'more than one Host header');
  if (hosts === 0 && minor === 1) return refuse(400, 'missing Host header');
  if (host !== undefined && !allIn(HOST_BYTE, host)) return refuse(400, 'invalid Host header');

  let url = target;
  if (target === '*') {
    if (method !== 'OPTIONS') return refuse(400, 'asterisk target outside OPTIONS');
  } else if (target.charCodeAt(0) !== 0x2f || !allIn(TARGET_BYTE, target, 1)) {
    const abs = ABSOLUTE_FORM.exec(target);
    if (!abs) return refuse(400, 'invalid request target');
    // The target's authority wins over Host (RFC 9112 §3.2.2); a different Host is ambiguous.
    if (host === undefined || host.toLowerCase() !== abs[1]!.toLowerCase()) return refuse(400, 'absolute target disagrees with Host');
    const rest = abs[2] ?? '';
    url = rest.startsWith('/') ? rest : `/${rest}`;
  }

  let closeToken = false;
  let keepAliveToken = false;
  let upgradeToken = false;
  let passed = lines;
  if (connection) {
    for (const t of connection) {
      // A field it names is dropped too, which only the pairs can be filtered of.
      if (!isHopByHop(t)) passed = undefined;
      if (!isToken(t)) return refuse(400, 'invalid Connection header');
      if (RELIED_ON.has(t)) return refuse(400, `Connection names ${t}, which the proxy relies on`);
      if (t === 'close') closeToken = true;
      else if (t === 'keep-alive') keepAliveToken = true;
      else if (t === 'upgrade') upgradeToken = true;
    }
  }
  let upgrade: string[] | undefined;
  // Upgrade means nothing in HTTP/1.0 (RFC 9110 §7.8) or without `Connection: upgrade`.
  if (upgradeToken && upgradeValue !== undefined && minor === 1) {
    const protocols = upgradeProtocols(upgradeValue);
    if (!protocols) return refuse(400, 'invalid Upgrade header');
    // h2c would take the client past the proxy's parsing, to the backend's HTTP/2: the request is
    // served as an ordinary one (as Envoy serves it).
    if (!protocols.some((p) => p === 'h2c' || p.startsWith('h2c/'))) upgrade = protocols;
  }
  const close = closeToken || (minor === 0 && !keepAliveToken);

  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.toLowerCase() !== '100-continue') return refuse(417, 'unsupported Expect');
    expectContinue = minor === 1;
  }

  // Framing (RFC 9112 §6): chunked last and once, never with Content-Length, never in HTTP/1.0.
  if (codings) {
    if (minor === 0) return refuse(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (lengths > 0) return refuse(400, 'both Content-Length and Transfer-Encoding');
    const last = codings.length - 1;
    for (let i = 0; i < codings.length; i++) {
      const c = codings[i]!;
      if (c === 'chunked' ? i !== last : !isToken(c) || i === last) return refuse(400, 'Transfer-Encoding must end in chunked, once');
      if (c !== 'chunked' && !CODINGS.has(c)) return refuse(501, `unsupported transfer coding ${c}`);
    }
    // The codings before chunked stay with the body (it is de-chunked and chunked again, nothing more).
    const te = last === 0 ? 'chunked' : `${codings.slice(0, last).join(', ')}, chunked`;
    return { method, url, minor, rawHeaders: raw, length: -1, framing: ['Transfer-Encoding', te], close, upgrade, expectContinue, lines: passed };
  }
  if (lengths > 1) return refuse(400, 'more than one Content-Length');
  let n = 0;
  if (length !== undefined) {
    if (!/^\d+$/.test(length) || length.length > MAX_LENGTH_DIGITS) return refuse(400, 'invalid Content-Length');
    n = Number(length);
  }
  // A body always goes with its length; a bodiless request says so only when the client did.
  const framing = n > 0 || length !== undefined ? ['Content-Length', String(n)] : [];
  return { method, url, minor, rawHeaders: raw, length: n, framing, close, upgrade, expectContinue, lines: passed };
}
