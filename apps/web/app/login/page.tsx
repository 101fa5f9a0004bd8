'use client';

import { ZLogin, flattenZodIssues } from '@fulcrum/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { Field } from '../../components/field';
import { describeError, fieldErrorsOf, useTRPC } from '../../lib/trpc';

export default function LoginPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const login = useMutation(
    trpc.auth.login.mutationOptions({
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
    const parsed = ZLogin.safeParse({ email: form.get('email'), password: form.get('password') });
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    setErrors({});
    login.mutate(parsed.data);
  };
  return (
    <section className="card narrow">
      <h1>Sign in to Fulcrum</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Email" name="email" errors={errors}>
          <input name="email" type="email" autoComplete="username" required />
        </Field>
        <Field label="Password" name="password" errors={errors} >
          <input name="password" type="password" autoComplete="current-password" required />
        </Field>
        {errors._ && <p className="error">{errors._[0]}</p>}
        <button type="submit" className="primary" disabled={login.isPending}>
          Sign in
        </button>
      </form>
    </section>
  );
}
