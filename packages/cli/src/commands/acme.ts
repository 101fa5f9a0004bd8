import { readFileSync } from 'node:fs';
import { ZAcmeAccount, ZCertificate } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { table } from '../format';

function requireName(ctx: CommandContext, what: string): string {
  const [name] = ctx.args;
  if (!name) throw new UsageError(`give the ${what} name`);
  return name;
}

export const acmeAccounts: Command = async (ctx) => {
  const accounts = await ctx.api.request('GET', '/acme/accounts', z.array(ZAcmeAccount));
  ctx.print(accounts, () =>
    accounts.length
      ? table(
          ['NAME', 'DIRECTORY', 'EMAIL', 'CERTIFICATES'],
          accounts.map((a) => [a.name, a.directoryUrl, a.email, a.certificates.join(',') || '-']),
        )
      : 'no ACME accounts (an admin registers one: fulcrumctl certs acme-account NAME --directory URL --email EMAIL --agree-tos)',
  );
  return 0;
};

/** `certs acme-account NAME --directory URL --email EMAIL --agree-tos [--directory-ca ca.pem]`: registers at the CA; the key stays on the control plane. */
export const acmeAccountCreate: Command = async (ctx) => {
  const name = requireName(ctx, 'account');
  if (!ctx.flags.directory) throw new UsageError("--directory is required: the CA's ACME directory URL (e.g. https://acme-v02.api.letsencrypt.org/directory)");
  if (!ctx.flags.email) throw new UsageError('--email is required: the CA writes to it about your certificates');
  if (!ctx.flags['agree-tos']) throw new UsageError("--agree-tos is required: read the CA's terms of service first");
  let directoryCa: string | undefined;
  if (ctx.flags['directory-ca']) {
    try {
      directoryCa = readFileSync(ctx.flags['directory-ca'], 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${ctx.flags['directory-ca']}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const a = await ctx.api.request('POST', '/acme/accounts', ZAcmeAccount, {
    name,
    directoryUrl: ctx.flags.directory,
    email: ctx.flags.email,
    termsAgreed: true,
    ...(directoryCa ? { directoryCa } : {}),
  });
  ctx.print(a, () => `registered ACME account ${a.name} at ${a.directoryUrl} (${a.accountUrl})`);
  return 0;
};

/** `certs issue NAME --account A (--host H ... | --listener L) [--renew-before DAYS]`: runs the order now (the data planes answer HTTP-01). */
export const acmeIssue: Command = async (ctx) => {
  const name = requireName(ctx, 'certificate');
  if (!ctx.flags.account) throw new UsageError('--account is required: the ACME account (fulcrumctl certs acme-accounts)');
  if (!ctx.flags.host?.length === !ctx.flags.listener) throw new UsageError('give --host (repeat it for several names) or --listener (the hosts its routes match), one of the two');
  const renewBeforeDays = ctx.flags['renew-before'] === undefined ? undefined : Number(ctx.flags['renew-before']);
  if (renewBeforeDays !== undefined && !Number.isInteger(renewBeforeDays)) throw new UsageError('--renew-before is a whole number of days');
  const c = await ctx.api.request('POST', '/acme/certificates', ZCertificate, {
    name,
    account: ctx.flags.account,
    ...(ctx.flags.host?.length ? { hosts: ctx.flags.host } : { listener: ctx.flags.listener }),
    ...(renewBeforeDays !== undefined ? { renewBeforeDays } : {}),
  });
  ctx.print(c, () => `issued certificate ${c.name} for ${c.names.join(', ')} (expires ${c.notAfter.slice(0, 10)}; renewed from ${c.acme?.renewAfter.slice(0, 10)})`);
  return 0;
};

export const acmeRenew: Command = async (ctx) => {
  const name = requireName(ctx, 'certificate');
  const current = await ctx.api.request('GET', `/certificates/${encodeURIComponent(name)}`, ZCertificate);
  const c = await ctx.api.request('POST', `/acme/certificates/${current.id}/renew`, ZCertificate, {});
  ctx.print(c, () => `renewed certificate ${c.name} to version ${c.version} (expires ${c.notAfter.slice(0, 10)}); data planes serve it to new connections`);
  return 0;
};
