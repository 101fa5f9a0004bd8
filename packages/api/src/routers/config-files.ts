import { ZConfigFormat, ZConfigImportRequest, ZImportPlan, ZPoolExport, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { exportPool } from '../services/config-files/export-pool';
import { importConfig } from '../services/config-files/import-config';
import { operatorProcedure, router, viewerProcedure } from '../trpc';

const tags = ['config files'];

export const configFilesRouter = router({
  import: operatorProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/import',
        protect: true,
        tags,
        summary: 'Import an NGINX or HAProxy file',
        description:
          'Answers the plan (pools, what became what, warnings, unsupported items and errors, each with its line). With `apply: true` the plan is applied as one revision; a pool name that exists is an error unless `replace: true`.',
      },
    })
    .input(zApiInput(ZConfigImportRequest))
    .output(ZImportPlan)
    .mutation(({ ctx, input }) => importConfig(ctx.prisma, { actor: ctx.actor, request: input })),
  export: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/pools/{id}/export', protect: true, tags, summary: 'A pool (by id or name) as an NGINX or HAProxy file' } })
    .input(zApiInput(z.object({ id: z.string().min(1, 'id is required'), format: ZConfigFormat })))
    .output(ZPoolExport)
    .query(({ ctx, input }) => exportPool(ctx.prisma, input.id, input.format)),
});
