import { Buffer } from 'node:buffer';
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DatabaseFacts } from './database-role';
import { ByteReader, WireError, WireSession, serverText } from './wire-session';

export interface DatabaseLogin {
  host: string;
  port: number;
  user: string;
  database?: string;
  password: string;
  timeoutMs: number;
}

/** SCRAM iterations a server may ask for: PostgreSQL uses 4096; more only burns the checker's CPU. */
const MAX_SCRAM_ITERATIONS = 100_000;
/** A single backend message larger than this is not an answer to our query. */
const MAX_MESSAGE = 256 * 1024;

/** Type byte, then a big-endian length that counts itself but not the type. */
function splitMessage(buf: Buffer): number {
  if (buf.length < 5) return 0;
  const length = buf.readInt32BE(1);
  if (length < 4 || length > MAX_MESSAGE) throw new WireError(`the server sent a message of ${length} bytes, not PostgreSQL's protocol`);
  return buf.length >= length + 1 ? length + 1 : 0;
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
const TERMINATE = message('X', Buffer.alloc(0));

// extract(epoch …) of an interval: the replay lag in seconds; null on a primary or before any replay.
const ROLE_QUERY = 'select pg_is_in_recovery()::text, extract(epoch from now() - pg_last_xact_replay_timestamp())::float8::text, (pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn())::text';

/** An ErrorResponse's message and SQLSTATE, as the reason. */
function errorText(body: ByteReader): string {
  let msg = '';
  let code = '';
  while (body.remaining > 0) {
    const field = body.u8();
    if (field === 0) break;
    const value = body.cstring();
    if (field === 0x4d) msg = value; // M
    if (field === 0x43) code = value; // C
  }
  return serverText(`${msg || 'error'}${code ? ` (${code})` : ''}`);
}

/**
 * Logs in to a PostgreSQL server (trust, md5 or SCRAM-SHA-256, no TLS) and asks for its
 * role and replay lag. Throws WireError with the reason; the caller turns that into a failed check.
 */
export async function probePostgres(login: DatabaseLogin): Promise<DatabaseFacts> {
  const session = await WireSession.open(login.host, login.port, login.timeoutMs, splitMessage);
  try {
    const params = Buffer.concat([
      cstr('user'),
      cstr(login.user),
      ...(login.database ? [cstr('database'), cstr(login.database)] : []),
      cstr('application_name'),
      cstr('fulcrum-health-check'),
      Buffer.from([0]),
    ]);
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4); // protocol 3.0
    session.write(Buffer.concat([startup, params]));
    await authenticate(session, login);
    session.write(message('Q', cstr(ROLE_QUERY)));
    let row: (string | null)[] | undefined;
    for (;;) {
      const m = await session.next();
      const type = String.fromCharCode(m[0]!);
      const body = new ByteReader(m, 5);
      if (type === 'E') throw new WireError(`query refused: ${errorText(body)}`);
      if (type === 'D' && !row) {
        const n = body.i16be();
        row = [];
        for (let i = 0; i < n; i++) {
          const len = body.i32be();
          row.push(len < 0 ? null : body.bytes(len).toString('utf8'));
        }
      }
      if (type === 'Z') break;
    }
    session.close(TERMINATE);
    if (row?.length !== 3 || (row[0] !== 'true' && row[0] !== 'false')) throw new WireError('the server did not answer the role query');
    const lag = row[1] === null ? null : Number(row[1]);
    return {
      writable: row[0] === 'false',
      lagSeconds: lag !== null && Number.isFinite(lag) ? Math.max(0, lag) : null,
      caughtUp: row[2] === null ? null : row[2] === 'true',
    };
  } finally {
    session.close();
  }
}

/** Runs the authentication exchange up to ReadyForQuery. */
async function authenticate(session: WireSession, login: DatabaseLogin): Promise<void> {
  let scram: ScramClient | undefined;
  for (;;) {
    const m = await session.next();
    const type = String.fromCharCode(m[0]!);
    const body = new ByteReader(m, 5);
    if (type === 'E') throw new WireError(`login refused: ${errorText(body)}`);
    if (type === 'Z') {
      if (!scram || scram.verified) return;
      throw new WireError('the server skipped SCRAM verification');
    }
    if (type !== 'R') continue; // ParameterStatus, BackendKeyData, notices
    const code = body.i32be();
    if (code === 0) continue;
    // Cleartext (3) is refused as libpq's require_auth can: a server that asks for the password in clear is not trusted with it.
    if (code === 5) {
      const salt = body.bytes(4);
      const inner = createHash('md5')
        .update(login.password + login.user)
        .digest('hex');
      session.write(message('p', cstr(`md5${createHash('md5').update(inner).update(salt).digest('hex')}`)));
    } else if (code === 10) {
      const mechanisms: string[] = [];
      for (let s = body.cstring(); s; s = body.cstring()) mechanisms.push(s);
      if (!mechanisms.includes('SCRAM-SHA-256')) throw new WireError(`the server offers only ${serverText(mechanisms.join(', '))} (the check speaks SCRAM-SHA-256)`);
      scram = new ScramClient(login.password);
      const first = Buffer.from(scram.clientFirst(), 'utf8');
      const len = Buffer.alloc(4);
      len.writeInt32BE(first.length);
      session.write(message('p', Buffer.concat([cstr('SCRAM-SHA-256'), len, first])));
    } else if (code === 11 && scram) session.write(message('p', Buffer.from(await scram.clientFinal(body.rest().toString('utf8')), 'utf8')));
    else if (code === 12 && scram) scram.verify(body.rest().toString('utf8'));
    else throw new WireError(`the server asks for authentication method ${code}, which the check does not use (it logs in with SCRAM-SHA-256, md5 or trust; never a cleartext password)`);
  }
}

/** SCRAM-SHA-256 (RFC 5802/7677) without channel binding, as libpq does without TLS. */
class ScramClient {
  private readonly nonce = randomBytes(18).toString('base64');
  private expectedSignature: Buffer | undefined;
  verified = false;

  constructor(private readonly password: string) {}

  clientFirst(): string {
    return `n,,${this.bare()}`;
  }

  private bare(): string {
    return `n=,r=${this.nonce}`;
  }

  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = new Map(serverFirst.split(',').map((p) => [p.slice(0, 1), p.slice(2)]));
    const nonce = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw new WireError('the server answered SCRAM with a nonce that is not ours');
    if (!salt.length) throw new WireError('the server answered SCRAM without a salt');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_SCRAM_ITERATIONS)
      throw new WireError(`the server asks for ${serverText(String(attrs.get('i')))} SCRAM iterations (at most ${MAX_SCRAM_ITERATIONS})`);
    // pbkdf2 runs on the thread pool: a slow derivation never stalls the proxy's event loop.
    const salted = await new Promise<Buffer>((resolve, reject) => pbkdf2(this.password.normalize('NFKC'), salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key))));
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.bare()},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expectedSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** The server proves it knows the password too; a server that cannot is not the one we log in to. */
  verify(serverFinal: string): void {
    const v = serverFinal.startsWith('v=') ? Buffer.from(serverFinal.slice(2), 'base64') : Buffer.alloc(0);
    if (!this.expectedSignature || v.length !== this.expectedSignature.length || !timingSafeEqual(v, this.expectedSignature)) throw new WireError('the server failed SCRAM verification');
    this.verified = true;
  }
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
