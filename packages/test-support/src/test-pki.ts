import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A leaf certificate made by the test CA: its chain (leaf, then the CA) and its private key, PEM. */
export interface TestLeaf {
  /** Leaf PEM only. */
  cert: string;
  /** Leaf then CA, as an operator uploads it. */
  chain: string;
  key: string;
}

export interface LeafOptions {
  /** DNS subjectAltNames; the first is also the CN. */
  names: string[];
  /** IP subjectAltNames (a server reached by address, e.g. 127.0.0.1). */
  ips?: string[];
  /** P-256 ECDSA instead of RSA 2048. */
  ecdsa?: boolean;
  /** Days of validity from now (30 by default); negative: already expired (it ended a day ago). */
  days?: number;
}

/**
 * A throwaway PKI made with Debian's `openssl` (node:crypto can make keys but not certificates):
 * one CA and leaf certificates with SANs. Tests trust `ca` on their clients.
 */
export class TestPki {
  private constructor(
    private readonly dir: string,
    readonly ca: string,
    private readonly caKeyPath: string,
    private readonly caPath: string,
  ) {}

  static async create(): Promise<TestPki> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-pki-'));
    const caKey = path.join(dir, 'ca.key');
    const caCert = path.join(dir, 'ca.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      caCert,
      '-days',
      '30',
      '-subj',
      '/CN=Fulcrum Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return new TestPki(dir, readFileSync(caCert, 'utf8'), caKey, caCert);
  }

  private n = 0;

  async leaf(opts: LeafOptions): Promise<TestLeaf> {
    const id = ++this.n;
    const key = path.join(this.dir, `leaf${id}.key`);
    const csr = path.join(this.dir, `leaf${id}.csr`);
    const cert = path.join(this.dir, `leaf${id}.pem`);
    const ext = path.join(this.dir, `leaf${id}.ext`);
    const keyArgs = opts.ecdsa ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
    await run('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${opts.names[0]}`]);
    writeFileSync(
      ext,
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${[...opts.names.map((n) => `DNS:${n}`), ...(opts.ips ?? []).map((ip) => `IP:${ip}`)].join(',')}\n`,
    );
    // A negative -days gives a notAfter in the past (openssl 3.0's x509 has no -not_before).
    const validity = ['-days', String(Math.max(-1, opts.days ?? 30))];
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', this.caPath, '-CAkey', this.caKeyPath, '-CAcreateserial', '-out', cert, '-extfile', ext, ...validity]);
    const leafPem = readFileSync(cert, 'utf8');
    return { cert: leafPem, chain: leafPem + this.ca, key: readFileSync(key, 'utf8') };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
