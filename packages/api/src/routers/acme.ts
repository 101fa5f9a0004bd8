import { ZAcmeAccount, ZAcmeAccountCreate, ZAcmeAccountDelete, ZAcmeCertificateRequest, ZAcmeRenew, ZCertificate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createAcmeAccount, deleteAcmeAccount, listAcmeAccounts } from '../services/acme/acme-accounts';
import { renewAcmeCertificateNow, requestAcmeCertificate } from '../services/acme/acme-certificates';
import { adminProcedure, router, viewerProcedure } from '../trpc';
import { ZOk } from './schemas';

const tags = ['acme'];

/** ACME accounts and the certificates they issue: admins only write (an account key is a secret); its key is never returned. */
export const acmeRouter = router({
  accounts: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/acme/accounts', protect: true, tags, summary: 'ACME accounts: CA directory, contact, the certificates each renews (keys are never returned)' } })
    .input(zApiInput(z.object({}).strict()))
    .output(z.array(ZAcmeAccount))
    .query(({ ctx }) => listAcmeAccounts(ctx.prisma)),
  createAccount: adminProcedure
    .meta({
      openapi: { method: 'POST', path: '/acme/accounts', protect: true, tags, summary: 'Register an account at an ACME CA (admin): its terms agreed, a new key made here and sealed' },
    })
    .input(zApiInput(ZAcmeAccountCreate))
    .output(ZAcmeAccount)
    .mutation(({ ctx, input }) => createAcmeAccount(ctx.prisma, { actor: ctx.actor, input })),
  deleteAccount: adminProcedure
    .meta({ openapi: { method: 'DELETE', path: '/acme/accounts/{id}', protect: true, tags, summary: 'Delete an ACME account no certificate is renewed by (admin)' } })
    .input(zApiInput(ZAcmeAccountDelete))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteAcmeAccount(ctx.prisma, { actor: ctx.actor, input });
      return { ok: true as const };
    }),
  issue: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/acme/certificates',
        protect: true,
        tags,
        summary: "Issue a certificate by ACME HTTP-01 for hosts or a listener's hosts (admin); data planes answer the challenge; renewed automatically",
      },
    })
    .input(zApiInput(ZAcmeCertificateRequest))
    .output(ZCertificate)
    .mutation(({ ctx, input }) => requestAcmeCertificate(ctx.prisma, { actor: ctx.actor, input })),
  renew: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/acme/certificates/{id}/renew', protect: true, tags, summary: 'Renew an ACME certificate now, whatever its renewal window (admin)' } })
    .input(zApiInput(ZAcmeRenew))
    .output(ZCertificate)
    .mutation(({ ctx, input }) => renewAcmeCertificateNow(ctx.prisma, { actor: ctx.actor, id: input.id })),
});
