'use client';

import { ZListenerCreate } from '@fulcrum/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Field } from '../../components/field';
import { numberOf, textOf } from '../../lib/form-values';
import { useSchemaSubmit } from '../../lib/use-schema-submit';
import { useSession } from '../../lib/session';
import { useToast } from '../../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../../lib/trpc';

const readListener = (f: FormData) => ({
  name: String(f.get('name') ?? ''),
  port: numberOf(f.get('port')),
  address: textOf(f.get('address')),
  protocol: textOf(f.get('protocol')),
  pool: textOf(f.get('pool')),
});

/** Every port the data planes serve, and a form for a new one. */
export default function ListenersPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const { canWrite } = useSession();
  const listeners = useQuery(trpc.listeners.list.queryOptions());
  const pools = useQuery(trpc.pools.list.queryOptions());
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const create = useMutation(
    trpc.listeners.create.mutationOptions({
      onSuccess: async (l) => {
        toast('ok', `Listener ${l.name} created`);
        await qc.invalidateQueries();
        router.push(`/listeners/${l.name}`);
      },
      onError: (err) => {
        setServerErrors(fieldErrorsOf(err));
        toast('error', describeError(err));
      },
    }),
  );
  const { clientErrors, submit } = useSchemaSubmit(ZListenerCreate, readListener, (input) => create.mutate(input));
  const errors = { ...serverErrors, ...clientErrors };
  return (
    <div className="stack">
      <section className="card">
        <h1>Listeners</h1>
        <p className="muted">A listener is an address and port; its routes send each request to a pool, a redirect or an answer. A pool created with a port has a listener of its own.</p>
        {listeners.isLoading && <p className="muted">Loading listeners…</p>}
        {listeners.error && <p className="error">{listeners.error.message}</p>}
        {listeners.data && (
          <table className="table" aria-label="listeners">
            <thead>
              <tr>
                <th>Name</th>
                <th>Listen</th>
                <th>Routes</th>
                <th>Made with pool</th>
              </tr>
            </thead>
            <tbody>
              {listeners.data.map((l) => (
                <tr key={l.id} data-listener={l.name}>
                  <td>
                    <Link href={`/listeners/${l.name}`}>{l.name}</Link>
                  </td>
                  <td className="mono">
                    {l.protocol}://{l.address}:{l.port}
                  </td>
                  <td>{l.routeCount}</td>
                  <td>{l.poolId ? (pools.data?.find((p) => p.id === l.poolId)?.name ?? 'yes') : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card">
        <h2>New listener</h2>
        <form onSubmit={submit} noValidate aria-label="New listener">
          <fieldset disabled={!canWrite}>
            <div className="grid">
              <Field label="Name" name="name" errors={errors}>
                <input name="name" aria-invalid={Boolean(errors.name)} />
              </Field>
              <Field label="Port" name="port" errors={errors}>
                <input name="port" type="number" aria-invalid={Boolean(errors.port)} />
              </Field>
              <Field label="Address" name="address" errors={errors}>
                <input name="address" defaultValue="0.0.0.0" />
              </Field>
              <Field label="Protocol" name="protocol" errors={errors}>
                <select name="protocol" defaultValue="http">
                  <option value="http">HTTP</option>
                  <option value="tcp">TCP</option>
                </select>
              </Field>
              <Field label="Everything to pool" name="pool" errors={errors} hint="Optional: starts with one catch-all route (a TCP listener needs it)">
                <select name="pool" defaultValue="">
                  <option value="">— no route yet —</option>
                  {pools.data?.map((p) => (
                    <option key={p.id} value={p.name}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
          </fieldset>
          <button type="submit" className="primary" disabled={!canWrite || create.isPending}>
            {create.isPending ? 'Creating…' : 'Create listener'}
          </button>
        </form>
      </section>
    </div>
  );
}
