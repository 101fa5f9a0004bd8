'use client';

import { ZSetupAdmin, flattenZodIssues } from '@fulcrum/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Field } from '../../components/field';
import { describeError, fieldErrorsOf, useTRPC } from '../../lib/trpc';

export default function SetupPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const setup = useMutation(
    trpc.auth.setup.mutationOptions({
      onSuccess: async () => {
        await qc.invalidateQueries();
        router.replace('/');
      },
      onError: (err) => setErrors({ ...fieldErrorsOf(err), _: [describeError(err)] }),
    }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const parsed = ZSetupAdmin.safeParse({ email: form.get('email'), name: form.get('name'), password: form.get('password') });
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    setErrors({});
    setup.mutate(parsed.data);
  };
  return (
    <section className="card narrow">
      <h1>Welcome to Fulcrum</h1>
      <p className="muted">Create the first administrator. Everyone after them is invited from Settings.</p>
      <form onSubmit={submit} noValidate>
        <Field label="Name" name="name" errors={errors}>
          <input name="name" autoComplete="name" required />
        </Field>
        <Field label="Email" name="email" errors={errors}>
          <input name="email" type="email" autoComplete="email" required />
        </Field>
        <Field label="Password" name="password" errors={errors} hint="At least 8 characters">
          <input name="password" type="password" autoComplete="new-password" required />
        </Field>
        {errors._ && <p className="error">{errors._[0]}</p>}
        <button type="submit" className="primary" disabled={setup.isPending}>
          Create admin
        </button>
      </form>
    </section>
  );
}
