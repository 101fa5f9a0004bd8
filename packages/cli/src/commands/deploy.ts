import { DEPLOY_FINAL_STATUSES, type TDeployRecord, ZDeployRecord } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { parseAddress, parseDuration, table } from '../format';

function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function describeStep(s: TDeployRecord['steps'][number]): string {
  const detail = s.detail && typeof s.detail === 'object' ? (s.detail as Record<string, unknown>) : {};
  const note = typeof detail.message === 'string' ? `: ${detail.message}` : '';
  return `  [${s.seq}] ${s.name} ${s.status}${note}`;
}

function summary(d: TDeployRecord): string {
  const head = `deploy ${d.id}: ${d.strategy} of version ${d.versionLabel} — ${d.status}${d.error ? ` (${d.error})` : ''}`;
  return [head, ...d.steps.map(describeStep)].join('\n');
}

/** Follows a deploy until it ends, printing each new step once; 0 only when it succeeded. */
async function follow(ctx: CommandContext, first: TDeployRecord): Promise<number> {
  const interval = ctx.flags.interval ? usage(() => parseDuration(ctx.flags.interval!, '--interval')) : 1000;
  const timeout = ctx.flags.timeout ? usage(() => parseDuration(ctx.flags.timeout!, '--timeout')) : 30 * 60_000;
  const deadline = Date.now() + timeout;
  let d = first;
  let shown = 0;
  for (;;) {
    if (!ctx.flags.json) for (; shown < d.steps.length; shown++) ctx.io.out(describeStep(d.steps[shown]!));
    if (DEPLOY_FINAL_STATUSES.includes(d.status)) break;
    if (Date.now() > deadline) {
      ctx.io.err(`gave up waiting after ${timeout} ms; the deploy goes on (status ${d.status}): fulcrumctl deploy status ${d.id}`);
      return 3;
    }
    await new Promise((r) => setTimeout(r, interval));
    d = await ctx.api.request('GET', `/deploys/${d.id}`, ZDeployRecord);
  }
  if (ctx.flags.json) ctx.io.out(JSON.stringify(d, null, 2));
  else ctx.io.out(`deploy ${d.id} ${d.status}${d.error ? `: ${d.error}` : ''}`);
  return d.status === 'succeeded' ? 0 : 1;
}

export const deployStart: Command = async (ctx) => {
  const { flags } = ctx;
  if (!flags.pool) throw new UsageError('--pool is required');
  if (!flags.version) throw new UsageError('--version is required (the release label of the new backends)');
  const rolling = flags.strategy === 'rolling';
  if (!rolling && !flags.backend?.length) throw new UsageError('give the new backends with --backend host:port (repeat for more), or --strategy rolling to start them through the pool’s provider');
  if (rolling && flags.backend?.length) throw new UsageError('a rolling deploy starts the new version through the pool’s provider: leave out --backend');
  const backends = rolling ? undefined : usage(() => flags.backend!.map(parseAddress));
  const count = (flag: 'max-surge' | 'max-unavailable') => {
    const v = flags[flag];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${flag} is a whole number, not ${JSON.stringify(v)}`);
    return Number(v);
  };
  const body = {
    version: flags.version,
    backends,
    strategy: flags.strategy,
    steps: flags.steps === undefined ? undefined : flags.steps.split(',').map((s) => Number(s.trim().replace(/%$/, ''))),
    stepPauseMs: flags.pause === undefined ? undefined : usage(() => parseDuration(flags.pause!, '--pause')),
    maxErrorRate: flags['max-error-rate'] === undefined ? undefined : Number(flags['max-error-rate']),
    minRequests: flags['min-requests'] === undefined ? undefined : Number(flags['min-requests']),
    healthyTimeoutMs: flags['healthy-timeout'] === undefined ? undefined : usage(() => parseDuration(flags['healthy-timeout']!, '--healthy-timeout')),
    drainTimeoutMs: flags['drain-timeout'] === undefined ? undefined : usage(() => parseDuration(flags['drain-timeout']!, '--drain-timeout')),
    idempotencyKey: flags['idempotency-key'],
    rule: flags.rule,
    maxSurge: count('max-surge'),
    maxUnavailable: count('max-unavailable'),
  };
  const d = await ctx.api.request('POST', `/pools/${encodeURIComponent(flags.pool)}/deploys`, ZDeployRecord, body);
  if (!flags.wait) {
    ctx.print(d, () => `started ${summary(d)}\nfollow it with: fulcrumctl deploy status ${d.id} --wait`);
    return 0;
  }
  if (!flags.json) ctx.io.out(`started deploy ${d.id}: ${d.strategy} of version ${d.versionLabel} on ${flags.pool}`);
  return follow(ctx, d);
};

export const deployStatus: Command = async (ctx) => {
  const [id] = ctx.args;
  if (!id) throw new UsageError('give the deploy id: fulcrumctl deploy status ID');
  const d = await ctx.api.request('GET', `/deploys/${encodeURIComponent(id)}`, ZDeployRecord);
  if (ctx.flags.wait) return follow(ctx, d);
  ctx.print(d, () => summary(d));
  return d.status === 'failed' || d.status === 'rolled_back' || d.status === 'aborted' ? 1 : 0;
};

export const deployAbort: Command = async (ctx) => {
  const [id] = ctx.args;
  if (!id) throw new UsageError('give the deploy id: fulcrumctl deploy abort ID');
  const d = await ctx.api.request('POST', `/deploys/${encodeURIComponent(id)}/abort`, ZDeployRecord, { reason: ctx.flags.reason });
  ctx.print(d, () => `abort requested: ${summary(d)}`);
  return 0;
};

export const deployList: Command = async (ctx) => {
  if (!ctx.flags.pool) throw new UsageError('--pool is required');
  const list = await ctx.api.request('GET', `/pools/${encodeURIComponent(ctx.flags.pool)}/deploys`, z.array(ZDeployRecord));
  ctx.print(list, () =>
    list.length
      ? table(
          ['ID', 'VERSION', 'STRATEGY', 'STATUS', 'STARTED', 'BY'],
          list.map((d) => [d.id, d.versionLabel, d.strategy, d.status, d.createdAt.replace('T', ' ').slice(0, 19), d.startedBy]),
        )
      : 'no deploys',
  );
  return 0;
};
