'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from './toast';
import { describeError, useTRPC } from './trpc';

/** Restores an earlier revision as a new one, says so, and re-reads everything. */
export function useRollback() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation(
    trpc.revisions.rollback.mutationOptions({
      onSuccess: async (r) => {
        toast('ok', `Rolled back: revision ${r.version} restores ${r.rollbackOf}`);
        await qc.invalidateQueries();
      },
      onError: (err) => toast('error', describeError(err)),
    }),
  );
}
