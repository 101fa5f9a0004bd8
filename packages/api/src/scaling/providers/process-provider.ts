import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { TScalingProvider } from '@fulcrum/protocol';
import { type Instance, type ScaleOptions, type ScalingProvider, pickForRemoval } from './provider';

type ProcessConfig = Extract<TScalingProvider, { kind: 'process' }>;

interface Running extends Required<Instance> {
  child: ChildProcess;
  exited: Promise<void>;
}

const STOP_GRACE_MS = 5_000;

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * Local backend processes from a command template (`node server.js --port {port}`), one per port of
 * the configured range. Run through `sh -c` in their own process group so a shell wrapper and its
 * children stop together.
 */
export class ProcessProvider implements ScalingProvider {
  readonly kind = 'process';
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly config: ProcessConfig,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async list(): Promise<Instance[]> {
    return [...this.running.values()].map(({ id, host, port }) => ({ id, host, port }));
  }

  async scaleTo(desired: number, opts: ScaleOptions = {}): Promise<Instance[]> {
    const current = [...this.running.values()];
    if (desired < current.length) {
      await Promise.all(pickForRemoval(current, current.length - desired, opts.remove).map((r) => this.stop(r)));
    }
    for (let n = this.running.size; n < desired; n++) await this.start();
    return this.list();
  }

  async close(): Promise<void> {
    // The processes belong to the pool, not to this object; closing only forgets them when stopped.
  }

  /** Stops every instance (tests and shutdown of a rule). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => this.stop(r)));
  }

  private async freePort(): Promise<number> {
    const used = new Set([...this.running.values()].map((r) => r.port));
    for (let port = this.config.portRangeStart; port <= this.config.portRangeEnd; port++) {
      if (!used.has(port) && (await portIsFree(this.config.host, port))) return port;
    }
    throw new Error(`no free port in ${this.config.portRangeStart}-${this.config.portRangeEnd} for a new instance`);
  }

  private async start(): Promise<Running> {
    const port = await this.freePort();
    const command = this.config.command.replaceAll('{port}', String(port));
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const id = `process-${port}`;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const r: Running = { id, host: this.config.host, port, child, exited };
    this.running.set(id, r);
    void exited.then(() => {
      if (this.running.get(id) === r) {
        this.running.delete(id);
        this.log(`instance ${id} exited on its own${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`);
      }
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    this.log(`started ${id}: ${command}`);
    return r;
  }

  private async stop(r: Running): Promise<void> {
    this.running.delete(r.id);
    if (r.child.exitCode !== null || r.child.signalCode !== null) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-r.child.pid!, sig);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), STOP_GRACE_MS);
    await r.exited;
    clearTimeout(timer);
    this.log(`stopped ${r.id}`);
  }
}
