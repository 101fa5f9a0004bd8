'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useToast } from './toast';
import { describeError, fieldErrorsOf } from './trpc';

/**
 * What an admin section's mutations do when they answer: a toast and fresh data on success
 * (`done` after, e.g. closing the form), a toast and the fields' errors (`setErrors`) on failure.
 */
export function useMutationFeedback<T>(okMessage: (result: T) => string, { setErrors, done }: { setErrors?: (errors: Record<string, string[]>) => void; done?: () => void } = {}) {
  const qc = useQueryClient();
  const toast = useToast();
  return {
    onSuccess: async (result: T) => {
      toast('ok', okMessage(result));
      await qc.invalidateQueries();
      done?.();
    },
    onError: (err: unknown) => {
      setErrors?.(fieldErrorsOf(err));
      toast('error', describeError(err));
    },
  };
}
