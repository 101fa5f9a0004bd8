'use client';

import { ROLES, ZTokenCreate, ZTokenRole, ZUserCreate, flattenZodIssues } from '@fulcrum/protocol';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ConfirmButton } from '../../components/confirm-button';
import { Field } from '../../components/field';
import { ProviderProfilesSection } from '../../components/provider-profiles-section';
import { useSession } from '../../lib/session';
import { useTRPC } from '../../lib/trpc';
import { useMutationFeedback } from '../../lib/use-mutation-feedback';
import { usePageTitle } from '../../lib/use-page-title';
import { CopyButton } from '../../components/copy-button';

export default function SettingsPage() {
  usePageTitle('Settings');
  const { isAdmin, user } = useSession();
  return (
    <div className="stack">
      <section className="card">
        <h1>Settings</h1>
        <p>
          Signed in as <strong>{user?.email}</strong> ({user?.role}).
        </p>
        {!isAdmin && <p className="muted">Users, API tokens and provider profiles are managed by admins.</p>}
      </section>
      {isAdmin && <UsersSection />}
      {isAdmin && <TokensSection />}
      <ProviderProfilesSection />
    </div>
  );
}

function UsersSection() {
  const trpc = useTRPC();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const users = useQuery(trpc.users.list.queryOptions());
  const create = useMutation(trpc.users.create.mutationOptions(useMutationFeedback(() => 'User created', { setErrors })));
  const update = useMutation(trpc.users.update.mutationOptions(useMutationFeedback(() => 'Role changed', { setErrors })));
  const remove = useMutation(trpc.users.delete.mutationOptions(useMutationFeedback(() => 'User removed', { setErrors })));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const parsed = ZUserCreate.safeParse({ email: f.get('email'), name: f.get('name'), password: f.get('password'), role: f.get('role') });
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    setErrors({});
    create.mutate(parsed.data);
  };
  return (
    <section className="card">
      <h2>Users</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Role</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data?.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.name}</td>
                <td>
                  <select aria-label={`role of ${u.email}`} value={u.role} onChange={(e) => update.mutate({ id: u.id, role: e.target.value as (typeof ROLES)[number] })}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <ConfirmButton label="Remove" confirmLabel={`Remove ${u.email}`} onConfirm={() => remove.mutate({ id: u.id })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form onSubmit={submit} noValidate className="inline-form">
        <h3>Invite a user</h3>
        <div className="grid">
          <Field label="Email" name="email" errors={errors}>
            <input name="email" type="email" />
          </Field>
          <Field label="Name" name="name" errors={errors}>
            <input name="name" />
          </Field>
          <Field label="Initial password" name="password" errors={errors}>
            <input name="password" type="password" autoComplete="new-password" />
          </Field>
          <Field label="Role" name="role" errors={errors}>
            <select name="role" defaultValue="viewer">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </Field>
        </div>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create user
        </button>
      </form>
    </section>
  );
}

function TokensSection() {
  const trpc = useTRPC();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [fresh, setFresh] = useState<string | null>(null);
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  // The new token is shown once, in the page, instead of a toast.
  const create = useMutation(trpc.tokens.create.mutationOptions(useMutationFeedback(() => null, { setErrors, done: (t) => setFresh(t.token) })));
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions(useMutationFeedback(() => null)));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const parsed = ZTokenCreate.safeParse({ name: f.get('name'), role: f.get('role') });
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    setErrors({});
    create.mutate(parsed.data);
  };
  return (
    <section className="card">
      <h2>API tokens</h2>
      <p className="muted">For CI (operator), read-only scripts (viewer) and data planes (dataplane). A token is shown once.</p>
      {fresh && (
        <div className="notice" role="alert">
          <p>Copy this token now; it will not be shown again:</p>
          <div className="token-row">
            <code className="token" data-testid="new-token">
              {fresh}
            </code>
            <CopyButton text={fresh} />
            <button type="button" onClick={() => setFresh(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Prefix</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data?.map((t) => (
              <tr key={t.id} className={t.revokedAt ? 'revoked' : undefined}>
                <td>{t.name}</td>
                <td>{t.role}</td>
                <td className="mono">{t.prefix}…</td>
                <td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : 'never'}</td>
                <td>{t.revokedAt ? 'revoked' : <ConfirmButton label="Revoke" confirmLabel="Revoke now" onConfirm={() => revoke.mutate({ id: t.id })} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form onSubmit={submit} noValidate className="inline-form">
        <div className="grid">
          <Field label="Token name" name="name" errors={errors}>
            <input name="name" placeholder="github-actions" />
          </Field>
          <Field label="Role" name="role" errors={errors}>
            <select name="role" defaultValue="operator">
              {ZTokenRole.options.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </Field>
        </div>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
    </section>
  );
}
