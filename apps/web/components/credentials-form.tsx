'use client';

import { flattenZodIssues } from '@fulcrum/protocol';
import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import type { z } from 'zod';
import { describeError, fieldErrorsOf } from '../lib/trpc';
import { Field } from './field';

export interface CredentialsFormProps<T> {
  title: string;
  intro?: string;
  submitLabel: string;
  /** Name is asked only when creating the first admin. */
  withName?: boolean;
  schema: z.ZodType<T>;
  submit: (input: T) => Promise<unknown>;
}

/** Sign-in and first-admin forms: validated with the shared schema, then on to the overview. */
export function CredentialsForm<T>({ title, intro, submitLabel, withName, schema, submit }: CredentialsFormProps<T>) {
  const qc = useQueryClient();
  const router = useRouter();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [pending, setPending] = useState(false);
  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const parsed = schema.safeParse({ email: form.get('email'), password: form.get('password'), ...(withName ? { name: form.get('name') } : {}) });
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    setErrors({});
    setPending(true);
    try {
      await submit(parsed.data);
      await qc.invalidateQueries();
      router.replace('/');
    } catch (err) {
      setErrors({ ...fieldErrorsOf(err), _: [describeError(err)] });
    } finally {
      setPending(false);
    }
  };
  return (
    <section className="card narrow">
      <h1>{title}</h1>
      {intro && <p className="muted">{intro}</p>}
      <form onSubmit={onSubmit} noValidate>
        {withName && (
          <Field label="Name" name="name" errors={errors}>
            <input name="name" autoComplete="name" required />
          </Field>
        )}
        <Field label="Email" name="email" errors={errors}>
          <input name="email" type="email" autoComplete={withName ? 'email' : 'username'} required />
        </Field>
        <Field label="Password" name="password" errors={errors} hint={withName ? 'At least 8 characters' : undefined}>
          <input name="password" type="password" autoComplete={withName ? 'new-password' : 'current-password'} required />
        </Field>
        {errors._ && <p className="error">{errors._[0]}</p>}
        <button type="submit" className="primary" disabled={pending}>
          {submitLabel}
        </button>
      </form>
    </section>
  );
}
