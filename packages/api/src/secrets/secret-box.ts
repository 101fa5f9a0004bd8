import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets at rest (TLS private keys, database credentials, provider tokens): AES-256-GCM with one
 * key per control plane, each value bound to what it belongs to.
 *
 * A sealed value reads `v1.<key id>.<iv>.<ciphertext+tag>` (base64url parts). The key id is the
 * first 8 bytes of SHA-256 over the key, so a value sealed under another key is refused with a
 * message that says so instead of failing authentication with nothing to go on. The `context`
 * (e.g. `certificate:<id>:key`) is the additional authenticated data: a sealed value copied into
 * another row does not open there.
 */
export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a secret key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.keyId = keyIdOf(key);
  }

  seal(plaintext: string | Buffer, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.keyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** The plaintext as bytes; throws SecretBoxError when the value is malformed, foreign or altered. */
  openBytes(sealed: string, context: string): Buffer {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError('malformed', 'the stored secret is not a sealed value');
    const [, keyId, ivText, bodyText] = parts as [string, string, string, string];
    if (keyId !== this.keyId) {
      throw new SecretBoxError(
        'other-key',
        `the stored secret was sealed with another secret key (id ${keyId}; this control plane's is ${this.keyId}): set FULCRUM_SECRET_KEY to the key the other replicas use`,
      );
    }
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('malformed', 'the stored secret is not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SecretBoxError('altered', 'the stored secret does not open: it was altered or belongs to another record');
    }
  }

  /**
   * A keyed digest (HMAC-SHA-256 under a key derived from this one, 16 hex digits): equal for equal
   * text under one key, so replicas sharing a key agree, and it tells nothing about a secret to
   * anyone without the key (a plain hash of a password could be brute-forced).
   */
  digest(text: string): string {
    const key = createHmac('sha256', this.key).update('fulcrum secret digest v1').digest();
    return createHmac('sha256', key).update(text).digest('hex').slice(0, 16);
  }

  open(sealed: string, context: string): string {
    return this.openBytes(sealed, context).toString('utf8');
  }

  /** Whether a stored value is sealed at all (rows written before sealing existed are not). */
  static isSealed(value: string): boolean {
    return value.startsWith(`${VERSION}.`) && value.split('.').length === 4;
  }
}

export class SecretBoxError extends Error {
  constructor(
    readonly reason: 'malformed' | 'other-key' | 'altered',
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_FILE = 'secret-key';

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('hex');
}

/**
 * Parses FULCRUM_SECRET_KEY: 32 bytes as 64 hex digits or as base64 / base64url (44 or 43
 * characters). Anything else is refused with the expected forms named: a short passphrase is not
 * stretched into a key silently.
 */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new Error('FULCRUM_SECRET_KEY must be 32 bytes written as 64 hex digits or as base64 (e.g. `openssl rand -base64 32`)');
}

/**
 * The control plane's key: FULCRUM_SECRET_KEY when set, else `<data folder>/secret-key`, created
 * (mode 0600, 32 random bytes as base64) on first start. Replicas sharing one database must share
 * one key, so with several replicas set FULCRUM_SECRET_KEY on each.
 */
export function loadSecretKey(opts: { envValue?: string; dataDir: string }): { key: Buffer; source: 'env' | 'file'; file?: string } {
  if (opts.envValue !== undefined && opts.envValue !== '') return { key: parseSecretKey(opts.envValue), source: 'env' };
  const file = path.join(opts.dataDir, KEY_FILE);
  mkdirSync(opts.dataDir, { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  try {
    return { key: parseSecretKey(readFileSync(file, 'utf8')), source: 'file', file };
  } catch {
    throw new Error(`${file} does not hold a secret key (32 bytes as hex or base64); restore it, or set FULCRUM_SECRET_KEY`);
  }
}
