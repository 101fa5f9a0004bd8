'use client';

import { type TFieldErrors, flattenZodIssues } from '@fulcrum/protocol';
import { type FormEvent, useState } from 'react';
import type { z } from 'zod';
import { emptyNumberErrors } from './form-values';
import { useFirstErrorFocus } from './use-first-error-focus';

/**
 * A form's submit handler that reads the form, validates it with the API's own schema and hands
 * on only valid input; the schema's messages come back per field for display beside the inputs.
 * A required number field left empty is an error of its own (never the schema's default), and a
 * refused submit scrolls to and focuses the first error (`formRef` goes on the <form>;
 * `focusFirstError` is for the server's refusals, which arrive later).
 */
export function useSchemaSubmit<T>(schema: z.ZodType<T>, read: (form: FormData) => unknown, onValid: (value: T) => void) {
  const [clientErrors, setClientErrors] = useState<TFieldErrors>({});
  const focus = useFirstErrorFocus<HTMLFormElement>();
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
  return { clientErrors, submit, formRef: focus.ref, focusFirstError: focus.request };
}
