import type { Buffer } from 'node:buffer';
/** The most a ClientHello's first record holds (TLS caps a record at 2^14 bytes, plus its 5-byte header). */
export const MAX_HELLO_RECORD = 5 + 16_384;

export type HelloRead = { done: false } | { done: true; servername: string | undefined };

/**
 * The server name (SNI) a client asks for, read from the first TLS record of its ClientHello
 * before the handshake starts, so the connection starts with the right certificate's context.
 *
 * Why not Node's SNICallback: it adds the chosen certificate to the context the socket started
 * with, and OpenSSL then may still pick the starting certificate when its key type suits the
 * client better (an ECDSA default beats an RSA certificate chosen by name in TLS 1.3).
 *
 * Only advice: OpenSSL parses the hello again and decides everything else. Anything this reader
 * does not understand (not a handshake record, a hello split over records, a malformed length)
 * reads as "no name", and the listener's default certificate is used. Every length is checked
 * against what remains, nothing is read twice, and at most MAX_HELLO_RECORD bytes are looked at.
 */
export function readClientHello(buf: Buffer): HelloRead {
  if (buf.length < 5) return { done: false };
  // A TLS handshake record (22), version 3.x.
  if (buf[0] !== 22 || buf[1] !== 3) return { done: true, servername: undefined };
  const recordLength = buf.readUInt16BE(3);
  if (recordLength > 16_384) return { done: true, servername: undefined };
  if (buf.length < 5 + recordLength) return { done: false };
  return { done: true, servername: serverName(buf.subarray(5, 5 + recordLength)) };
}

function serverName(hs: Buffer): string | undefined {
  // Handshake type 1 (ClientHello), 3-byte length: the whole hello must sit in this record.
  if (hs.length < 4 || hs[0] !== 1) return undefined;
  const helloLength = (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
  if (helloLength > hs.length - 4) return undefined;
  const hello = hs.subarray(4, 4 + helloLength);
  let at = 2 + 32; // client version, random
  const skip = (lengthBytes: 1 | 2): boolean => {
    if (at + lengthBytes > hello.length) return false;
    const n = lengthBytes === 1 ? hello[at]! : hello.readUInt16BE(at);
    at += lengthBytes + n;
    return at <= hello.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return undefined; // session id, cipher suites, compression methods
  if (at + 2 > hello.length) return undefined;
  const extEnd = at + 2 + hello.readUInt16BE(at);
  if (extEnd > hello.length) return undefined;
  at += 2;
  while (at + 4 <= extEnd) {
    const type = hello.readUInt16BE(at);
    const length = hello.readUInt16BE(at + 2);
    at += 4;
    if (at + length > extEnd) return undefined;
    if (type === 0) return hostName(hello.subarray(at, at + length));
    at += length;
  }
  return undefined;
}

/** The server_name extension: a list whose host_name (type 0) entry is an ASCII DNS name. */
function hostName(ext: Buffer): string | undefined {
  if (ext.length < 2) return undefined;
  const listEnd = 2 + ext.readUInt16BE(0);
  if (listEnd > ext.length) return undefined;
  let at = 2;
  while (at + 3 <= listEnd) {
    const type = ext[at]!;
    const length = ext.readUInt16BE(at + 1);
    at += 3;
    if (at + length > listEnd) return undefined;
    if (type === 0) {
      const name = ext.toString('latin1', at, at + length);
      return length > 0 && length <= 253 && /^[A-Za-z0-9._-]+$/.test(name) ? name : undefined;
    }
    at += length;
  }
  return undefined;
}
