import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { DatabaseFacts } from './database-role';
import type { DatabaseLogin } from './postgres-probe';
import { ByteReader, WireError, WireSession, serverText } from './wire-session';

// Capability flags (MySQL client/server protocol).
const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_TRANSACTIONS = 0x2000;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const UTF8MB4_GENERAL_CI = 45;
const MAX_COLUMNS = 256;
const MAX_ROWS = 64;

/** A packet: 3-byte little-endian payload length and a sequence number, then the payload. */
function splitPacket(buf: Buffer): number {
  if (buf.length < 4) return 0;
  const length = buf.readUIntLE(0, 3);
  return buf.length >= length + 4 ? length + 4 : 0;
}

class Packets {
  private seq = 0;
  constructor(private readonly session: WireSession) {}

  async next(): Promise<ByteReader> {
    const p = await this.session.next();
    this.seq = (p[3]! + 1) & 0xff;
    return new ByteReader(p, 4);
  }

  /** Sends a payload as the next packet of the exchange (a new command starts at 0). */
  send(payload: Buffer, newCommand = false): void {
    if (newCommand) this.seq = 0;
    const head = Buffer.alloc(4);
    head.writeUIntLE(payload.length, 0, 3);
    head[3] = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    this.session.write(Buffer.concat([head, payload]));
  }
}

function errPacket(r: ByteReader): string {
  const code = r.u16le();
  let text = r.rest().toString('utf8');
  if (text.startsWith('#')) text = text.slice(6); // '#' and the SQLSTATE
  return `${serverText(text)} (${code})`;
}

/** A length-encoded integer; null for the NULL marker (0xfb) in a row. */
function lenencInt(r: ByteReader): number | null {
  const first = r.u8();
  if (first < 0xfb) return first;
  if (first === 0xfb) return null;
  if (first === 0xfc) return r.u16le();
  if (first === 0xfd) return r.u16le() + r.u8() * 0x10000;
  if (first === 0xfe) {
    const low = r.u32le();
    const high = r.u32le();
    if (high !== 0) throw new WireError('the server sent a length beyond any answer');
    return low;
  }
  throw new WireError('the server sent an invalid length');
}

function lenencString(r: ByteReader): string | null {
  const n = lenencInt(r);
  return n === null ? null : r.bytes(n).toString('utf8');
}

const sha1 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha1')).digest();
const sha256 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]!));

/** The scrambled password for an auth plugin; never the password itself. */
function authResponse(plugin: string, password: string, scramble: Buffer): Buffer {
  if (!password) return Buffer.alloc(0);
  const pw = Buffer.from(password, 'utf8');
  if (plugin === 'mysql_native_password') return xor(sha1(pw), sha1(scramble, sha1(sha1(pw))));
  if (plugin === 'caching_sha2_password') return xor(sha256(pw), sha256(sha256(sha256(pw)), scramble));
  throw new WireError(`the server asks for auth plugin ${serverText(plugin)} (the check speaks mysql_native_password and caching_sha2_password)`);
}

/** Runs one statement; its rows as name → value maps. An ERR answer rejects with the server's text. */
async function query(packets: Packets, sql: string): Promise<Record<string, string | null>[]> {
  packets.send(Buffer.concat([Buffer.from([0x03]), Buffer.from(sql, 'utf8')]), true);
  let r = await packets.next();
  const first = r.u8();
  if (first === 0xff) throw new WireError(errPacket(r));
  if (first === 0x00) return []; // OK: no result set
  r.pos -= 1;
  const count = lenencInt(r);
  if (count === null || count < 1 || count > MAX_COLUMNS) throw new WireError('the server sent a result with an invalid column count');
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    r = await packets.next();
    for (let skip = 0; skip < 4; skip++) lenencString(r); // catalog, schema, table, org_table
    names.push(lenencString(r) ?? '');
  }
  r = await packets.next();
  if (r.u8() !== 0xfe) throw new WireError('the server did not end the column list');
  const rows: Record<string, string | null>[] = [];
  for (;;) {
    r = await packets.next();
    const head = r.u8();
    if (head === 0xfe && r.remaining < 8) return rows;
    if (head === 0xff) throw new WireError(errPacket(r));
    r.pos -= 1;
    if (rows.length >= MAX_ROWS) throw new WireError(`the server sent more than ${MAX_ROWS} rows`);
    const row: Record<string, string | null> = Object.create(null);
    for (const name of names) row[name] = lenencString(r);
    rows.push(row);
  }
}

/**
 * Logs in to a MySQL or MariaDB server (mysql_native_password, or caching_sha2_password's fast
 * path) and reads read_only / super_read_only and, where the server has it and the user may see it,
 * the replica status's Seconds_Behind_Master (or _Source). Throws WireError with the reason.
 */
export async function probeMysql(login: DatabaseLogin): Promise<DatabaseFacts> {
  const session = await WireSession.open(login.host, login.port, login.timeoutMs, splitPacket);
  const packets = new Packets(session);
  try {
    let r = await packets.next();
    const protocol = r.u8();
    if (protocol === 0xff) throw new WireError(`login refused: ${errPacket(r)}`);
    if (protocol !== 10) throw new WireError(`the server speaks handshake ${protocol}, not MySQL's 10`);
    r.cstring(); // server version
    r.u32le(); // connection id
    const part1 = r.bytes(8);
    r.u8();
    const capsLow = r.u16le();
    r.u8(); // charset
    r.u16le(); // status
    const caps = capsLow | (r.u16le() << 16);
    const dataLength = r.u8();
    r.bytes(10);
    if (!(caps & CLIENT_PROTOCOL_41) || !(caps & CLIENT_SECURE_CONNECTION)) throw new WireError('the server is older than MySQL 4.1');
    const part2 = r.bytes(Math.max(13, dataLength - 8));
    let scramble: Buffer = Buffer.concat([part1, part2.subarray(0, 12)]);
    let plugin = caps & CLIENT_PLUGIN_AUTH && r.remaining > 0 ? r.cstring() : 'mysql_native_password';

    const clientCaps = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | (login.database ? CLIENT_CONNECT_WITH_DB : 0);
    const fixed = Buffer.alloc(32);
    fixed.writeUInt32LE(clientCaps, 0);
    fixed.writeUInt32LE(16 * 1024 * 1024, 4);
    fixed[8] = UTF8MB4_GENERAL_CI;
    const auth = authResponse(plugin, login.password, scramble);
    packets.send(
      Buffer.concat([
        fixed,
        Buffer.from(`${login.user}\0`, 'utf8'),
        Buffer.from([auth.length]),
        auth,
        login.database ? Buffer.from(`${login.database}\0`, 'utf8') : Buffer.alloc(0),
        Buffer.from(`${plugin}\0`, 'latin1'),
      ]),
    );
    for (let round = 0; ; round++) {
      if (round > 4) throw new WireError('the server keeps asking for more authentication');
      r = await packets.next();
      const head = r.u8();
      if (head === 0x00) break;
      if (head === 0xff) throw new WireError(`login refused: ${errPacket(r)}`);
      if (head === 0xfe) {
        // Auth switch: the server names another plugin and a fresh scramble.
        plugin = r.cstring();
        const data = r.rest();
        scramble = data.length && data[data.length - 1] === 0 ? data.subarray(0, data.length - 1) : data;
        packets.send(authResponse(plugin, login.password, scramble));
      } else if (head === 0x01 && plugin === 'caching_sha2_password') {
        const status = r.u8();
        if (status === 3) continue; // fast auth succeeded; OK follows
        throw new WireError(
          'caching_sha2_password wants a full login, which needs TLS or the server key: log in once with the mysql client (filling its cache) or give the check user mysql_native_password',
        );
      } else throw new WireError(`the server answered the login with 0x${head.toString(16)}`);
    }

    const vars = await query(packets, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'super_read_only')");
    const on = (name: string) => vars.some((v) => v.Variable_name === name && (v.Value === 'ON' || v.Value === '1'));
    if (!vars.some((v) => v.Variable_name === 'read_only')) throw new WireError('the server did not report read_only');
    const facts: DatabaseFacts = { writable: !on('read_only') && !on('super_read_only'), lagSeconds: null, caughtUp: null };
    if (facts.writable) return facts;
    let status: Record<string, string | null>[];
    try {
      status = await query(packets, 'SHOW REPLICA STATUS');
    } catch {
      try {
        status = await query(packets, 'SHOW SLAVE STATUS');
      } catch (err) {
        return { ...facts, note: `no replica status: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    const row = status[0];
    if (!row) return { ...facts, note: 'no replication configured' };
    const seconds = row.Seconds_Behind_Master ?? row.Seconds_Behind_Source ?? null;
    if (seconds === null) return { ...facts, replicationStopped: true };
    const lag = Number(seconds);
    if (!/^\d{1,10}$/.test(seconds) || !Number.isFinite(lag)) throw new WireError('the server reported a lag that is not a number');
    session.close(Buffer.from([1, 0, 0, 0, 0x01])); // COM_QUIT
    return { ...facts, lagSeconds: lag };
  } finally {
    session.close();
  }
}
