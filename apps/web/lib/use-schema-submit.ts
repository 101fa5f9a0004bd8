'use client';

import { type TFieldErrors, flattenZodIssues } from '@fulcrum/protocol';
import { type FormEvent, useEffect, useState } from 'react';
import type { z } from 'zod';
import { emptyNumberErrors } from './form-values';
import { useFirstErrorFocus } from './use-first-error-focus';

/**
 * A form's submit handler that reads the form, validates it with the API's own schema and hands
 * on only valid input; the schema's messages come back per field for display beside the inputs.
 * A required number field left empty is an error of its own (never the schema's default), and a
 * refused submit scrolls to and focuses the first error (`formRef` goes on the <form>). The
 * server's refusals arrive later: pass them as `serverErrors` (a state value, so a new object
 * means a new refusal) and they are focused the same way once shown.
 */
export function useSchemaSubmit<T>(schema: z.ZodType<T>, read: (form: FormData) => unknown, onValid: (value: T) => void, serverErrors?: TFieldErrors) {
  const [clientErrors, setClientErrors] = useState<TFieldErrors>({});
  const focus = useFirstErrorFocus<HTMLFormElement>();
  const focusFirstError = focus.request;
  useEffect(() => {
    if (serverErrors && Object.keys(serverErrors).length > 0) focusFirstError();
  }, [serverErrors, focusFirstError]);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const empty = emptyNumberErrors(e.currentTarget);
    const parsed = schema.safeParse(read(new FormData(e.currentTarget)));
    if (!parsed.success || Object.keys(empty).length > 0) {
      setClientErrors({ ...(parsed.success ? {} : flattenZodIssues(parsed.error.issues)), ...empty });
      focus.request();
      return;
    }
    setClientErrors({});
    onValid(parsed.data);
  };
  return { clientErrors, submit, formRef: focus.ref, focusFirstError };
}
