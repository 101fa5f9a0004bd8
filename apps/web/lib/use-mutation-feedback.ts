'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useToast } from './toast';
import { describeError, fieldErrorsOf } from './trpc';

/**
 * What a page's mutations do when they answer: on success the form's errors are cleared, a
 * toast says what happened (no toast when `okMessage` gives null), `saved` runs at once (a form
 * that must close before the page refreshes, so its unsaved-changes guard is already off), every
 * query is refreshed and then `done` runs (close the form, go to the new page); on failure the
 * fields' errors go to `setErrors` and a toast says why.
 */
export function useMutationFeedback<T>(
  okMessage: (result: T) => string | null,
  { setErrors, saved, done }: { setErrors?: (errors: Record<string, string[]>) => void; saved?: (result: T) => void; done?: (result: T) => unknown } = {},
) {
  const qc = useQueryClient();
  const toast = useToast();
  return {
    onSuccess: async (result: T) => {
      setErrors?.({});
      saved?.(result);
      const message = okMessage(result);
      if (message !== null) toast('ok', message);
      await qc.invalidateQueries();
      await done?.(result);
    },
    onError: (err: unknown) => {
      setErrors?.(fieldErrorsOf(err));
      toast('error', describeError(err));
    },
  };
}
