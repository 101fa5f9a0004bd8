import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { type TProcessProfileSpec, fillTemplate } from '@fulcrum/protocol';
import { CpuSampler, averageOf } from './cpu-sampler';
import { portOwner } from './port-owner';
import { cpuMsByProcessGroup, processGroupMembers } from './proc-stat';
import { type Instance, type ScaleOptions, type ScalingProvider, type StartOptions, type StopNotes, pickForRemoval } from './provider';

/** What to run: an admin's profile and a rule's checked values for its declared parameters. */
export interface ProcessLaunch {
  spec: Omit<TProcessProfileSpec, 'kind' | 'parameters'> & Partial<Pick<TProcessProfileSpec, 'parameters'>>;
  params?: Record<string, string>;
}

interface Running extends Required<Omit<Instance, 'version'>>, Pick<Instance, 'version'> {
  /** The program we spawned; its process group is the instance. */
  pid: number;
  exited: Promise<void>;
}

/** Whose instance a record is: its rule, the rule's pool, and the database both are in. */
export interface RecordOwner {
  database: string;
  ruleId: string;
  rule: string;
  poolId: string;
  pool: string;
}

/** What is written per instance, so a restarted control plane can take its processes back. */
interface InstanceRecord {
  pid: number;
  port: number;
  argv: string[];
  version?: string;
  /** The host it serves at; records written before it have none (the profile's host then). */
  host?: string;
  /** Records written before it have none: whatever went, nothing tells whose the instance is. */
  owner?: RecordOwner;
}

/** The records in `stateDir` by file name, null for one that cannot be read; none when there is no such folder. */
function readRecords(stateDir: string): [string, InstanceRecord | null][] {
  let files: string[];
  try {
    files = readdirSync(stateDir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((file) => {
    try {
      return [file, JSON.parse(readFileSync(path.join(stateDir, file), 'utf8')) as InstanceRecord];
    } catch {
      return [file, null];
    }
  });
}

/**
 * Whose instances the records in `stateDir` are (a folder holds one rule's) and the host they
 * serve at; undefined when there are no records, no owner when none names one.
 */
export function recordedOwner(stateDir: string): { owner?: RecordOwner; host?: string } | undefined {
  const records = readRecords(stateDir).flatMap(([, r]) => (r ? [r] : []));
  if (!records.length) return undefined;
  const named = records.find((r) => isRecordOwner(r.owner));
  return named ? { owner: named.owner!, host: typeof named.host === 'string' ? named.host : undefined } : {};
}

/**
 * An owner as records write it: five strings. A record of another shape (damaged, or written by
 * something else) names no owner, rather than reaching the database with a wrong type and failing
 * every pass of the evaluator.
 */
function isRecordOwner(o: unknown): o is RecordOwner {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as Record<string, unknown>;
  return ['database', 'ruleId', 'rule', 'poolId', 'pool'].every((k) => typeof r[k] === 'string' && r[k] !== '');
}

const STOP_GRACE_MS = 5_000;
// After SIGKILL, how long the process group has to be gone before the stop counts as failed.
const KILL_GRACE_MS = 2_000;
const STOP_POLL_MS = 50;
// How long a new instance has to listen on its port before it counts as started anyway (the pool's
// health checks judge it from then on), and how often its socket is looked for meanwhile.
const STARTUP_MS = 15_000;
const STARTUP_POLL_MS = 50;
// A start whose port was taken between probe and spawn is tried again on another port, this often at most.
const START_ATTEMPTS = 5;
const ADDRESS_IN_USE = /EADDRINUSE|address already in use/i;
// At most this long for an exited instance's last stderr lines (its reason) to arrive.
const STDERR_DRAIN_MS = 2_000;
// How often an adopted process (not our child, so no exit event) is checked for being gone.
const ADOPTED_POLL_MS = 500;

/** SIGKILL to a whole instance (its process group); nothing when it is gone already. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The processes of the group `pgid` that still run (from /proc; where there is none, its leader if it does). */
function groupPids(pgid: number): number[] {
  try {
    return processGroupMembers(pgid);
  } catch {
    return alive(pgid) ? [pgid] : [];
  }
}

const groupRuns = (pgid: number) => groupPids(pgid).length > 0;

/** Until the process group is gone (true) or `ms` pass (false). */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!groupRuns(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, STOP_POLL_MS));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid still runs the argv we started (and is not a reused pid of something else). */
function runs(pid: number, argv: unknown): boolean {
  if (!Array.isArray(argv) || !argv.length) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `${argv.join('\0')}\0`;
  } catch {
    return false;
  }
}

// The control plane's own environment (database URL, secrets) is not the instances' business.
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * Local backend processes from an admin's argv template (`["node", "server.js", "--port", "{port}"]`),
 * one per port of the profile's range. Spawned directly, never through a shell: `{port}` and the
 * declared parameters fill argv elements and nothing else. Each runs in its own process group so
 * a program and its children stop together.
 */
export class ProcessProvider implements ScalingProvider {
  readonly kind = 'process';
  readonly ownsInstances = true;
  private readonly running = new Map<string, Running>();
  /** Instances asked to stop whose process group has not gone yet: no longer listed, stopped again when asked. */
  private readonly stopping = new Map<string, Running>();
  private adopted = false;
  private readonly cpu = new CpuSampler();

  /**
   * `stateDir` keeps one record per running instance: without it, a control plane that restarts
   * would not know the processes it started, and would start more beyond the rule's maximum.
   */
  private readonly config: ProcessLaunch['spec'];
  private readonly params: Record<string, string>;

  constructor(
    launch: ProcessLaunch,
    private readonly log: (line: string) => void = () => {},
    private readonly stateDir?: string,
    /** Written with every record: what a control plane that starts after the rule went reads. */
    private owner?: RecordOwner,
  ) {
    this.config = launch.spec;
    this.params = launch.params ?? {};
  }

  /**
   * The instances recorded in `stateDir` of a rule that is gone, with no profile to start more:
   * lists and stops them, and starts none.
   */
  static ofRecords(stateDir: string, owner: RecordOwner, host: string, log?: (line: string) => void): ProcessProvider {
    return new ProcessProvider({ spec: { argv: [], env: {}, host, portRangeStart: 1, portRangeEnd: 0 } }, log, stateDir, owner);
  }

  async list(): Promise<Instance[]> {
    this.adopt();
    return [...this.running.values()].map(({ id, host, port, version }) => ({ id, host, port, ...(version === undefined ? {} : { version }) }));
  }

  /** The pid (and process group) of a running instance, for operators' tools and tests. */
  pidOf(id: string): number | undefined {
    return this.running.get(id)?.pid;
  }

  /** From /proc: each instance's process group (its program and every child) between two calls. */
  async cpuPercent(): Promise<number | null> {
    this.adopt();
    const running = [...this.running.values()];
    this.cpu.keepOnly(running.map((r) => r.id));
    const totals = cpuMsByProcessGroup(running.map((r) => r.pid));
    const at = performance.now();
    return averageOf(running.map((r) => (totals.has(r.pid) ? this.cpu.sample(r.id, totals.get(r.pid)!, at) : null)));
  }

  async startOne(overrides: Record<string, string> = {}, opts: StartOptions = {}): Promise<Instance> {
    this.adopt();
    const r = await this.start(overrides, opts.avoidPorts);
    return { id: r.id, host: r.host, port: r.port, ...(r.version === undefined ? {} : { version: r.version }) };
  }

  async stopInstances(ids: string[]): Promise<StopNotes> {
    this.adopt();
    return this.stopEach(ids.map((id) => this.running.get(id) ?? this.stopping.get(id)).filter((r): r is Running => !!r));
  }

  async scaleTo(desired: number, opts: ScaleOptions = {}): Promise<Instance[]> {
    this.adopt();
    const current = [...this.running.values()];
    if (desired < current.length) await this.stopEach(pickForRemoval(current, current.length - desired, opts.remove));
    for (let n = this.running.size; n < desired; n++) await this.start({}, opts.avoidPorts);
    return this.list();
  }

  /** The records name the rule and pool by their new names (they are matched by id; the names are what events of a gone pool say). */
  renamed(names: { pool: string; rule: string }): void {
    if (!this.owner || !this.stateDir || (this.owner.pool === names.pool && this.owner.rule === names.rule)) return;
    this.owner = { ...this.owner, ...names };
    for (const [file, record] of readRecords(this.stateDir)) if (record) writeFileSync(path.join(this.stateDir, file), JSON.stringify({ ...record, owner: this.owner }));
  }

  async close(): Promise<void> {
    // The processes belong to the pool, not to this object; closing only forgets them when stopped.
  }

  /** Stops every instance (tests and shutdown of a rule). */
  async stopAll(): Promise<void> {
    this.adopt();
    await this.stopEach([...this.running.values(), ...this.stopping.values()]);
  }

  private async freePort(skip: ReadonlySet<number>): Promise<number> {
    const used = new Set([...this.running.values(), ...this.stopping.values()].map((r) => r.port));
    for (let port = this.config.portRangeStart; port <= this.config.portRangeEnd; port++) {
      if (!used.has(port) && !skip.has(port) && (await portIsFree(this.config.host, port))) return port;
    }
    throw new Error(`no free port in ${this.config.portRangeStart}-${this.config.portRangeEnd} for a new instance`);
  }

  /**
   * Starts one instance on a free port of the range. The port is probed before the spawn, so
   * another process can bind it in between: the instance then fails to listen (EADDRINUSE) while
   * the port still answers, for someone else. An instance counts as started once its own process
   * group listens on the port; one that exits first saying the address is in use is started
   * again on the next free port.
   */
  private async start(overrides: Record<string, string> = {}, avoidPorts: number[] = []): Promise<Running> {
    if (!this.config.argv.length) throw new Error('the rule that started these instances is gone: they can be stopped, no more started');
    const values = { ...this.params, ...overrides };
    const taken = new Set<number>(avoidPorts);
    for (let attempt = 1; ; attempt++) {
      const port = await this.freePort(taken);
      const launched = await this.spawnOn(port, values);
      const outcome = await this.settle(launched.pid, port, launched.exited);
      if (outcome === 'exited') await launched.stderrRead();
      const portTaken = outcome === 'taken' || (outcome === 'exited' && ADDRESS_IN_USE.test(launched.stderr()));
      if (portTaken) {
        killGroup(launched.pid);
        await launched.exited;
        if (attempt >= START_ATTEMPTS) throw new Error(`no instance could listen: ${START_ATTEMPTS} ports in a row were taken by other processes after they were probed`);
        this.log(`instance on port ${port} could not listen there (another process took the port after it was probed); starting it on another port`);
        taken.add(port);
        continue;
      }
      const why = () => (launched.stderr() ? `: ${launched.stderr().trim().split('\n').pop()}` : '');
      const r = this.track({ pid: launched.pid, port, argv: launched.argv, ...(values.version === undefined ? {} : { version: values.version }) }, launched.exited, why);
      this.log(`started ${r.id}: ${JSON.stringify(launched.argv)}${outcome === 'slow' ? ` (not listening on ${port} after ${STARTUP_MS} ms)` : ''}`);
      return r;
    }
  }

  private async spawnOn(port: number, values: Record<string, string>): Promise<{ pid: number; argv: string[]; exited: Promise<void>; stderr: () => string; stderrRead: () => Promise<void> }> {
    // One pass over each element with every value at once: a value holding `{port}` stays literal.
    const argv = this.config.argv.map((a) => fillTemplate(a, { ...values, port: String(port) }));
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      detached: true,
      cwd: this.config.cwd,
      env: { ...BASE_ENV, ...this.config.env } as Record<string, string> as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // 'close' comes once stderr is read to its end: an exit's reason is in `stderr` by then (a
    // grandchild still holding stderr open would delay it, hence the bound where it is awaited).
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const stderrRead = () => Promise.race([closed, new Promise<void>((r) => setTimeout(r, STDERR_DRAIN_MS).unref())]);
    return { pid: child.pid!, argv, exited, stderr: () => stderr, stderrRead };
  }

  /**
   * Waits until the instance's process group listens on `port` ('listening'), another process is
   * found listening there ('taken': the instance cannot bind it), the instance exits, or
   * STARTUP_MS pass ('slow': left to the pool's health checks).
   */
  private async settle(pgid: number, port: number, exited: Promise<void>): Promise<'listening' | 'taken' | 'exited' | 'slow'> {
    let done = false;
    const gone = exited.then(() => 'exited' as const);
    const deadline = Date.now() + STARTUP_MS;
    const watch = (async () => {
      while (!done && Date.now() < deadline) {
        const owner = await portOwner(pgid, port, this.config.host);
        if (owner === 'group') return 'listening' as const;
        if (owner === 'other') return 'taken' as const;
        await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
      }
      return 'slow' as const;
    })();
    const outcome = await Promise.race([gone, watch]);
    done = true;
    return outcome;
  }

  /** Keeps an instance in the running set (and on disk) until it exits. */
  private track(record: InstanceRecord, exited: Promise<void>, why: () => string = () => ''): Running {
    const id = `process-${record.port}`;
    const host = record.host ?? this.config.host;
    const r: Running = { id, host, port: record.port, pid: record.pid, exited, ...(typeof record.version === 'string' ? { version: record.version } : {}) };
    this.running.set(id, r);
    if (this.stateDir) {
      mkdirSync(this.stateDir, { recursive: true });
      writeFileSync(path.join(this.stateDir, `${record.port}.json`), JSON.stringify({ ...record, host, ...(this.owner ? { owner: this.owner } : {}) }));
    }
    void exited.then(() => {
      // An instance being stopped keeps its record until its whole process group is gone (see stop).
      if (this.stopping.get(id) !== r) this.forget(record.port);
      if (this.running.get(id) === r) {
        this.running.delete(id);
        this.log(`instance ${id} exited on its own${why()}`);
      }
    });
    return r;
  }

  private forget(port: number): void {
    if (this.stateDir) rmSync(path.join(this.stateDir, `${port}.json`), { force: true });
  }

  /** Once per provider: takes back the instances an earlier control-plane process started and recorded. */
  private adopt(): void {
    if (this.adopted || !this.stateDir) return;
    this.adopted = true;
    for (const [file, record] of readRecords(this.stateDir)) {
      if (!record) {
        rmSync(path.join(this.stateDir, file), { force: true });
        continue;
      }
      if (!alive(record.pid) || !runs(record.pid, record.argv)) {
        this.forget(record.port);
        continue;
      }
      const exited = new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (alive(record.pid)) return;
          clearInterval(timer);
          resolve();
        }, ADOPTED_POLL_MS).unref();
      });
      this.track(record, exited);
      this.log(`took back process-${record.port} (pid ${record.pid}) started before a restart`);
    }
  }

  /** Stops every one, each tried even when another fails; the first failure is thrown once all were tried. */
  private async stopEach(rs: Running[]): Promise<StopNotes> {
    const outcomes = await Promise.allSettled(rs.map((r) => this.stop(r)));
    const notes: StopNotes = {};
    outcomes.forEach((o, i) => {
      if (o.status === 'fulfilled' && o.value) notes[rs[i]!.id] = o.value;
    });
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    return notes;
  }

  /**
   * SIGTERM to the instance's process group, SIGKILL to what is left of it after STOP_GRACE_MS:
   * the stop is done when no process of the group runs, not when the program exits (a child that
   * ignores SIGTERM would run on, unowned). Answers what it took when SIGTERM was not enough;
   * throws when the group outlives SIGKILL, keeping the instance (and its record) for a later stop.
   */
  private async stop(r: Running): Promise<string | undefined> {
    this.running.delete(r.id);
    this.stopping.set(r.id, r);
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-r.pid, sig);
      } catch {
        // already gone
      }
    };
    let note: string | undefined;
    if (groupRuns(r.pid)) {
      signal('SIGTERM');
      // A stopped (SIGSTOP) instance only acts on the TERM once it runs again.
      signal('SIGCONT');
      if (!(await groupGone(r.pid, STOP_GRACE_MS))) {
        const left = groupPids(r.pid);
        signal('SIGKILL');
        note = `pid ${left.join(', ')} of its process group ${r.pid} ran on ${STOP_GRACE_MS / 1000} s after SIGTERM: killed with SIGKILL`;
        if (!(await groupGone(r.pid, KILL_GRACE_MS))) throw new Error(`${r.id}: pid ${groupPids(r.pid).join(', ')} of its process group ${r.pid} still runs after SIGKILL`);
      }
    }
    if (this.stopping.get(r.id) === r) this.stopping.delete(r.id);
    this.forget(r.port);
    this.log(note ? `stopped ${r.id}: ${note}` : `stopped ${r.id}`);
    return note;
  }
}
