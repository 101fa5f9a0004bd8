import { ZCertificate, ZCertificateDelete, ZCertificateRotate, ZCertificateUpload, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { deleteCertificate, getCertificate, listCertificates, rotateCertificate, uploadCertificate } from '../services/certificates/certificates';
import { adminProcedure, router, viewerProcedure } from '../trpc';
import { ZOk } from './schemas';

const tags = ['certificates'];

/** Admins upload, rotate and delete certificates (their keys are secrets, as provider profiles' are); everyone signed in may read them, never a key. */
export const certificatesRouter = router({
  list: viewerProcedure
    .meta({
      openapi: { method: 'GET', path: '/certificates', protect: true, tags, summary: 'TLS certificates: names, validity, fingerprint, the listeners serving them (private keys are never returned)' },
    })
    .input(zApiInput(z.object({}).strict()))
    .output(z.array(ZCertificate))
    .query(({ ctx }) => listCertificates(ctx.prisma)),
  get: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/certificates/{id}', protect: true, tags, summary: 'One certificate, by id or name' } })
    .input(zApiInput(z.object({ id: z.string().min(1).max(64) }).strict()))
    .output(ZCertificate)
    .query(({ ctx, input }) => getCertificate(ctx.prisma, input.id)),
  upload: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/certificates',
        protect: true,
        tags,
        summary: 'Upload a certificate: PEM chain (leaf first) and its private key (admin; the key is sealed and never returned)',
      },
    })
    .input(zApiInput(ZCertificateUpload))
    .output(ZCertificate)
    .mutation(({ ctx, input }) => uploadCertificate(ctx.prisma, { actor: ctx.actor, input })),
  rotate: adminProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/certificates/{id}',
        protect: true,
        tags,
        summary: 'Rotate a certificate: a new chain and key under the same id (admin); data planes serve it to new connections',
      },
    })
    .input(zApiInput(ZCertificateRotate))
    .output(ZCertificate)
    .mutation(({ ctx, input }) => rotateCertificate(ctx.prisma, { actor: ctx.actor, input })),
  delete: adminProcedure
    .meta({ openapi: { method: 'DELETE', path: '/certificates/{id}', protect: true, tags, summary: 'Delete a certificate no listener serves (admin)' } })
    .input(zApiInput(ZCertificateDelete))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteCertificate(ctx.prisma, { actor: ctx.actor, input });
      return { ok: true as const };
    }),
});
