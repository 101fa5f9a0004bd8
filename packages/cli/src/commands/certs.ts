import { readFileSync } from 'node:fs';
import { type TCertificate, ZCertificate, ZOk } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { table } from '../format';

const DAY_MS = 86_400_000;
const daysLeft = (c: TCertificate) => Math.floor((new Date(c.notAfter).getTime() - Date.now()) / DAY_MS);
const expiry = (c: TCertificate) => {
  const d = daysLeft(c);
  return d < 0 ? `expired ${c.notAfter.slice(0, 10)}` : `${c.notAfter.slice(0, 10)} (${d} days)`;
};

function requireName(ctx: CommandContext): string {
  const [name] = ctx.args;
  if (!name) throw new UsageError('give the certificate name or id');
  return name;
}

/** `--cert chain.pem --key key.pem`: the PEM files as they are (the key is sent once and sealed by the control plane). */
function readPem(ctx: CommandContext): { chain: string; key: string } {
  const read = (flag: 'cert' | 'key') => {
    const file = ctx.flags[flag];
    if (!file) throw new UsageError(`--${flag} is required: ${flag === 'cert' ? 'the PEM chain, leaf first' : 'the PEM private key of the leaf'}`);
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return { chain: read('cert'), key: read('key') };
}

const get = (ctx: CommandContext, name: string) => ctx.api.request('GET', `/certificates/${encodeURIComponent(name)}`, ZCertificate);

export const certsList: Command = async (ctx) => {
  const certs = await ctx.api.request('GET', '/certificates', z.array(ZCertificate));
  ctx.print(certs, () =>
    certs.length
      ? table(
          ['NAME', 'NAMES', 'KEY', 'EXPIRES', 'VERSION', 'LISTENERS'],
          certs.map((c) => [c.name, c.names.join(','), c.keyType, expiry(c), c.version, c.usedBy.join(',') || '-']),
        )
      : 'no certificates (an admin uploads them: fulcrumctl certs upload NAME --cert chain.pem --key key.pem)',
  );
  return 0;
};

export const certsShow: Command = async (ctx) => {
  const c = await get(ctx, requireName(ctx));
  ctx.print(c, () =>
    [
      `${c.name} (id ${c.id}, version ${c.version})`,
      `names:       ${c.names.join(', ')}`,
      `valid:       ${c.notBefore} to ${c.notAfter} (${expiry(c)})`,
      `key:         ${c.keyType} (never shown)`,
      `issuer:      ${c.issuer}`,
      `fingerprint: ${c.fingerprint}`,
      `listeners:   ${c.usedBy.join(', ') || '-'}`,
    ].join('\n'),
  );
  return 0;
};

export const certsUpload: Command = async (ctx) => {
  const name = requireName(ctx);
  const c = await ctx.api.request('POST', '/certificates', ZCertificate, { name, ...readPem(ctx) });
  ctx.print(c, () => `uploaded certificate ${c.name} for ${c.names.join(', ')} (${c.keyType}, expires ${expiry(c)})`);
  return 0;
};

export const certsRotate: Command = async (ctx) => {
  const current = await get(ctx, requireName(ctx));
  const c = await ctx.api.request('PUT', `/certificates/${current.id}`, ZCertificate, readPem(ctx));
  ctx.print(c, () => `rotated certificate ${c.name} to version ${c.version} (${c.names.join(', ')}, expires ${expiry(c)}); data planes serve it to new connections`);
  return 0;
};

export const certsDelete: Command = async (ctx) => {
  const current = await get(ctx, requireName(ctx));
  const res = await ctx.api.request('DELETE', `/certificates/${current.id}?expectedVersion=${current.version}`, ZOk);
  ctx.print(res, () => `deleted certificate ${current.name}`);
  return 0;
};
