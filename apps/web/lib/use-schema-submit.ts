'use client';

import { type TFieldErrors, flattenZodIssues } from '@fulcrum/protocol';
import { type FormEvent, useState } from 'react';
import type { z } from 'zod';

/**
 * A form's submit handler that reads the form, validates it with the API's own schema and hands
 * on only valid input; the schema's messages come back per field for display beside the inputs.
 */
export function useSchemaSubmit<T>(schema: z.ZodType<T>, read: (form: FormData) => unknown, onValid: (value: T) => void) {
  const [clientErrors, setClientErrors] = useState<TFieldErrors>({});
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const parsed = schema.safeParse(read(new FormData(e.currentTarget)));
    if (!parsed.success) return setClientErrors(flattenZodIssues(parsed.error.issues));
    setClientErrors({});
    onValid(parsed.data);
  };
  return { clientErrors, submit };
}
