import { type TBackendConfig, type TConfigFormat, type TImportPlan, type TImportedPool, ZBackendConfig, ZPoolConfig, backendAddress } from '@fulcrum/protocol';
import { MAX_BACKENDS_PER_POOL, MAX_POOLS } from './config-syntax-error';
import type { ImportDraft, PoolDraft } from './import-draft';

export interface ExistingPool {
  name: string;
  /** Absent: a pool reached only through other listeners' routes. */
  listenPort: number | undefined;
  /** Backends a scaling rule or a deploy runs: a replace keeps them (the file cannot describe them). */
  managed?: { host: string; port: number; managedBy: string }[];
}

/** Where a pool no server or frontend listens for gets its port: the first free one from here. */
export const FIRST_ASSIGNED_PORT = 8080;

/**
 * The plan for a draft against the pools that exist: Fulcrum names, listen ports (kept from a
 * replaced pool, else assigned), every value checked by the shared schemas, and the conflicts
 * that block applying (a name or port taken, a value out of range, a duplicate backend).
 */
export function buildImportPlan(format: TConfigFormat, draft: ImportDraft, existing: ExistingPool[], replace: boolean): TImportPlan {
  const errors = [...draft.errors];
  const warnings = [...draft.warnings];
  if (draft.pools.length > MAX_POOLS) {
    errors.push({ line: draft.pools[MAX_POOLS]!.from.line, directive: draft.pools[MAX_POOLS]!.from.block, message: `more than ${MAX_POOLS} pools in one file; split it` });
  }
  const byName = new Map(existing.map((p) => [p.name, p]));
  const names = new Map<string, PoolDraft>();
  const planned = draft.pools.slice(0, MAX_POOLS).map((d) => ({ d, name: fulcrumName(d) }));
  for (const { d, name } of planned) {
    const clash = names.get(name);
    if (clash) errors.push({ line: d.from.line, directive: d.from.block, message: `becomes pool ${name}, as ${clash.from.block} at line ${clash.from.line} does; rename one` });
    names.set(name, d);
  }
  // Ports held by pools this import leaves alone; a replaced pool's port is free for the file.
  const held = new Map<number, string>();
  for (const p of existing) if (p.listenPort !== undefined && !(replace && names.has(p.name))) held.set(p.listenPort, p.name);
  const usedByFile = new Map<number, string>();
  for (const { d, name } of planned) if (d.listen) usedByFile.set(d.listen.port, name);
  let next = FIRST_ASSIGNED_PORT;
  const freePort = () => {
    while (held.has(next) || usedByFile.has(next)) next++;
    return next;
  };

  const pools: TImportedPool[] = [];
  for (const { d, name } of planned) {
    const mappings = [...d.mappings];
    if (name !== d.sourceName) mappings.unshift({ line: d.from.line, directive: d.from.block, message: `pool ${name} (pool names are lowercase letters, digits and dashes)` });
    else mappings.unshift({ line: d.from.line, directive: d.from.block, message: `pool ${name}` });
    const before = byName.get(name);
    if (before && !replace) errors.push({ line: d.from.line, directive: d.from.block, message: `a pool named ${name} exists; import with replace (--replace) to replace its settings and backends` });
    let listen = d.listen;
    if (!listen) {
      const keep = before && replace ? before.listenPort : undefined;
      const port = keep ?? freePort();
      if (keep === undefined) usedByFile.set(port, name);
      listen = { host: '0.0.0.0', port, line: d.from.line };
      warnings.push({
        line: d.from.line,
        directive: d.from.block,
        message: keep !== undefined ? `nothing in the file listens for it; it keeps port ${port}` : `nothing in the file listens for it; it gets port ${port} (change it before or after applying)`,
      });
    }
    const holder = held.get(listen.port);
    if (holder !== undefined && holder !== name) errors.push({ line: listen.line, directive: `listen ${listen.port}`, message: `port ${listen.port} is already used by pool ${holder}` });
    const parsed = ZPoolConfig.safeParse({ ...d.settings, name, listenHost: listen.host, listenPort: listen.port });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] as keyof typeof d.settingLines | undefined;
        const line = (field && d.settingLines[field]) ?? (field === 'listenHost' || field === 'listenPort' ? listen.line : d.from.line);
        errors.push({ line, directive: d.from.block, message: `${issue.path.join('.') || 'pool'}: ${issue.message}` });
      }
      continue;
    }
    if (d.backends.length > MAX_BACKENDS_PER_POOL) {
      errors.push({ line: d.backends[MAX_BACKENDS_PER_POOL]!.line, directive: d.from.block, message: `more than ${MAX_BACKENDS_PER_POOL} servers in one pool` });
      continue;
    }
    const backends: TBackendConfig[] = [];
    const seen = new Map<string, number>();
    const managed = new Map((before && replace ? (before.managed ?? []) : []).map((m) => [backendAddress(m), m.managedBy]));
    if (managed.size) {
      warnings.push({
        line: d.from.line,
        directive: d.from.block,
        message: `keeps ${managed.size} backend(s) that scaling or a deploy manages (${[...managed.keys()].slice(0, 5).join(', ')}${managed.size > 5 ? ', …' : ''}); the file's servers replace the others`,
      });
    }
    for (const b of d.backends) {
      const r = ZBackendConfig.safeParse(b.config);
      if (!r.success) {
        for (const issue of r.error.issues) errors.push({ line: b.line, directive: 'server', message: `${issue.path.join('.') || 'server'}: ${issue.message}` });
        continue;
      }
      const address = backendAddress(r.data);
      const dup = seen.get(address);
      if (dup !== undefined) {
        errors.push({ line: b.line, directive: `server ${address}`, message: `${address} is already a server of this pool (line ${dup}); a pool has one backend per address` });
        continue;
      }
      seen.set(address, b.line);
      if (managed.has(address)) {
        warnings.push({ line: b.line, directive: `server ${address}`, message: `${address} is managed by ${managed.get(address)}; it stays as it is` });
        continue;
      }
      backends.push(r.data);
      mappings.push({ line: b.line, directive: `server ${address}`, message: describeBackend(r.data) });
    }
    pools.push({ name, action: before ? 'replace' : 'create', from: d.from, config: parsed.data, backends, mappings: mappings.sort((a, b) => a.line - b.line) });
  }
  const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;
  return { format, pools, warnings: warnings.sort(byLine), unsupported: [...draft.unsupported].sort(byLine), errors: errors.sort(byLine), applied: null };
}

function describeBackend(b: TBackendConfig): string {
  const parts = [`backend ${backendAddress(b)}`, `weight ${b.weight}`];
  if (b.backup) parts.push('backup');
  if (b.maxConnections) parts.push(`at most ${b.maxConnections} connections`);
  if (b.adminState !== 'active') parts.push(b.adminState);
  return parts.join(', ');
}

/** A Fulcrum pool name (lowercase slug) for a source name such as `backend_servers` or `Web.App`. */
export function fulcrumName(d: PoolDraft): string {
  const slug = d.sourceName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || `pool-line-${d.from.line}`;
}
