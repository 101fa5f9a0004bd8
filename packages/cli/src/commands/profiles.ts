import { readFileSync } from 'node:fs';
import { type TProviderProfileRecord, ZOk, ZProviderProfileRecord, describeProfileTarget } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { table } from '../format';

const params = (p: TProviderProfileRecord) => p.spec.parameters.map((x) => (x.type === 'string' ? `${x.name}~${x.pattern}` : `${x.name}=${x.min}..${x.max}`)).join(' ');

function requireName(ctx: CommandContext): string {
  const [name] = ctx.args;
  if (!name) throw new UsageError('give the profile name or id');
  return name;
}

/** `--file profile.json` (or `-` for stdin): `{ name, description?, spec, secret? }` as the API takes it. */
function readBody(ctx: CommandContext): Record<string, unknown> {
  const file = ctx.flags.file;
  if (!file) throw new UsageError('--file is required: a JSON file with { name, description, spec, secret }');
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const body = JSON.parse(text) as unknown;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('expected a JSON object');
    return body as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${file} is not a JSON object: ${(err as Error).message}`);
  }
}

const get = (ctx: CommandContext, name: string) => ctx.api.request('GET', `/provider-profiles/${encodeURIComponent(name)}`, ZProviderProfileRecord);

export const profilesList: Command = async (ctx) => {
  const profiles = await ctx.api.request('GET', '/provider-profiles', z.array(ZProviderProfileRecord));
  ctx.print(profiles, () =>
    profiles.length
      ? table(
          ['NAME', 'KIND', 'RUNS OR CALLS', 'PARAMETERS', 'SECRET', 'RULES'],
          profiles.map((p) => [p.name, p.kind, describeProfileTarget(p.spec), params(p), p.hasSecret ? 'set' : '-', p.usedBy]),
        )
      : 'no provider profiles (an admin declares them: fulcrumctl profiles create --file profile.json)',
  );
  return 0;
};

export const profilesShow: Command = async (ctx) => {
  const p = await get(ctx, requireName(ctx));
  ctx.print(p, () =>
    [`${p.name} (${p.kind}, version ${p.version}, used by ${p.usedBy} rule(s))`, p.description, JSON.stringify(p.spec, null, 2), `secret: ${p.hasSecret ? 'set' : 'none'}`].filter(Boolean).join('\n'),
  );
  return 0;
};

export const profilesCreate: Command = async (ctx) => {
  const p = await ctx.api.request('POST', '/provider-profiles', ZProviderProfileRecord, readBody(ctx));
  ctx.print(p, () => `added provider profile ${p.name} (${p.kind}, id ${p.id})`);
  return 0;
};

/** Replaces a profile from the file; the version read first guards against a concurrent change. */
export const profilesUpdate: Command = async (ctx) => {
  const body = readBody(ctx);
  const current = await get(ctx, requireName(ctx));
  const p = await ctx.api.request('PUT', `/provider-profiles/${current.id}`, ZProviderProfileRecord, { name: current.name, ...body, expectedVersion: current.version });
  ctx.print(p, () => `saved provider profile ${p.name} (version ${p.version})`);
  return 0;
};

export const profilesDelete: Command = async (ctx) => {
  const current = await get(ctx, requireName(ctx));
  const res = await ctx.api.request('DELETE', `/provider-profiles/${current.id}?expectedVersion=${current.version}`, ZOk);
  ctx.print(res, () => `deleted provider profile ${current.name}`);
  return 0;
};
