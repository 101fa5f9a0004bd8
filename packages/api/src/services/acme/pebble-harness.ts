import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@fulcrum/db/testing';
import { TestPki } from '@fulcrum/test-support';

/** Whether Debian's pebble is installed (`apt-get install pebble`; CI installs it). */
export function hasPebble(): boolean {
  return spawnSync('pebble', ['-h'], { stdio: 'ignore' }).error === undefined;
}

export interface Pebble {
  /** https://localhost:<port>/dir */
  directoryUrl: string;
  /** The CA its own HTTPS (directory, management) is served with: the test's. */
  directoryCa: string;
  /** PEM of pebble's root, which signs what it issues (read from its management interface). */
  root(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's pebble for one test: its HTTPS with a certificate for `localhost` from a
 * throwaway CA, HTTP-01 validation against `httpPort` (the data plane's http listener), names
 * resolved by the system resolver (`localhost` is in /etc/hosts: no network, no DNS server),
 * no random validation sleeps, no rejected nonces and no reused authorizations (every order,
 * renewals too, is validated through the data plane). Its listening ports are probed free and
 * taken again on a clash (pebble cannot bind port 0 and say which it got).
 */
export async function startPebble(opts: { httpPort: number; validityDays?: number }): Promise<Pebble> {
  const pki = await TestPki.create();
  const leaf = await pki.leaf({ names: ['localhost'], ecdsa: true, days: 2 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-pebble-'));
  writeFileSync(path.join(dir, 'cert.pem'), leaf.chain);
  writeFileSync(path.join(dir, 'key.pem'), leaf.key);
  for (let attempt = 1; ; attempt++) {
    const [port, mgmt] = [await freePort(), await freePort()];
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: path.join(dir, 'cert.pem'),
        privateKey: path.join(dir, 'key.pem'),
        httpPort: opts.httpPort,
        tlsPort: 1,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        certificateValidityPeriod: (opts.validityDays ?? 90) * 86_400,
      },
    };
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const child = spawn('pebble', ['-config', path.join(dir, 'config.json'), '-strict'], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = await waitForLine(child, /ACME directory available at/, 30_000);
    if (ready.ok) {
      const stop = async () => {
        if (child.exitCode === null) {
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await gone;
        }
        rmSync(dir, { recursive: true, force: true });
        pki.dispose();
      };
      return {
        directoryUrl: `https://localhost:${port}/dir`,
        directoryCa: pki.ca,
        async root() {
          const { Agent, get } = await import('node:https');
          return new Promise<string>((resolve, reject) => {
            get(`https://localhost:${mgmt}/roots/0`, { agent: new Agent({ ca: pki.ca }), timeout: 10_000 }, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (c) => (body += c));
              res.on('end', () => resolve(body));
            }).on('error', reject);
          });
        },
        stop,
      };
    }
    child.kill('SIGKILL');
    if (!/address already in use/.test(ready.output) || attempt >= 5) {
      rmSync(dir, { recursive: true, force: true });
      pki.dispose();
      throw new Error(`pebble did not start: ${ready.output.slice(-2000)}`);
    }
  }
}

function waitForLine(child: ChildProcess, line: RegExp, ms: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      resolve({ ok, output });
    };
    const timer = setTimeout(() => done(false), ms);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (line.test(output)) done(true);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    // 'close', not 'exit': 'exit' can come before the last of its output (the reason it stopped) is read.
    child.once('close', () => done(false));
  });
}
