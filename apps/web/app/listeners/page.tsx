'use client';

import { ZListenerCreate } from '@fulcrum/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import { Field } from '../../components/field';
import { FormErrorSummary } from '../../components/form-error-summary';
import { ListenerTlsFields } from '../../components/listener-tls-fields';
import { ListenersTable } from '../../components/listeners-table';
import { NumberField } from '../../components/number-field';
import { numberOf, textOf } from '../../lib/form-values';
import { useSchemaSubmit } from '../../lib/use-schema-submit';
import { useSession } from '../../lib/session';
import { useToast } from '../../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../../lib/trpc';
import { Skeleton } from '../../components/skeleton';
import { usePageTitle } from '../../lib/use-page-title';

const readListener = (f: FormData) => ({
  name: String(f.get('name') ?? ''),
  port: numberOf(f.get('port')),
  address: textOf(f.get('address')),
  protocol: textOf(f.get('protocol')),
  pool: textOf(f.get('pool')),
  tls: f.get('protocol') === 'https' ? { certificateIds: f.getAll('tls.certificateIds').map(String), minVersion: textOf(f.get('tls.minVersion')), http2: f.get('tls.http2') === 'on' } : undefined,
});

/** The plain-HTTP listener that sends everything to the https one (its catch-all route answers 308). */
const REDIRECT_LOCATION = 'https://$host$request_uri';

/** Every port the data planes serve, and a form for a new one. */
export default function ListenersPage() {
  usePageTitle('Listeners');
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const { canWrite } = useSession();
  const listeners = useQuery(trpc.listeners.list.queryOptions());
  const pools = useQuery(trpc.pools.list.queryOptions());
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const [protocol, setProtocol] = useState('http');
  const [httpsPort, setHttpsPort] = useState<number | undefined>(undefined);
  // The redirect choice is the form's but not the listener's: read beside it, used once it exists.
  const redirect = useRef<{ port: number } | null>(null);
  const createRoute = useMutation(trpc.routes.create.mutationOptions());
  const createRedirect = useMutation(trpc.listeners.create.mutationOptions());
  const create = useMutation(
    trpc.listeners.create.mutationOptions({
      onSuccess: async (l) => {
        toast('ok', `Listener ${l.name} created`);
        const plain = redirect.current;
        if (plain) {
          try {
            const http = await createRedirect.mutateAsync({ name: `${l.name}-http`, address: l.address, port: plain.port, protocol: 'http' });
            await createRoute.mutateAsync({ listener: http.name, name: 'to-https', action: { type: 'redirect', status: 308, location: REDIRECT_LOCATION } });
            toast('ok', `Listener ${http.name} redirects plain HTTP on port ${plain.port} to ${l.name}`);
          } catch (err) {
            toast('error', `${l.name} was created, the plain-HTTP redirect was not: ${describeError(err)}`);
          }
        }
        await qc.invalidateQueries();
        router.push(`/listeners/${l.name}`);
      },
      onError: (err) => {
        setServerErrors(fieldErrorsOf(err));
        toast('error', describeError(err));
      },
    }),
  );
  const { clientErrors, submit, formRef } = useSchemaSubmit(
    ZListenerCreate,
    (f) => {
      redirect.current = f.get('protocol') === 'https' && f.get('redirectHttp') === 'on' ? { port: numberOf(f.get('redirectHttpPort')) ?? 80 } : null;
      return readListener(f);
    },
    (input) => create.mutate(input),
    serverErrors,
  );
  const errors = { ...serverErrors, ...clientErrors };
  return (
    <div className="stack">
      <section className="card">
        <h1>Listeners</h1>
        <p className="muted">A listener is an address and port; its routes send each request to a pool, a redirect or an answer. A pool created with a port has a listener of its own.</p>
        {listeners.isLoading && <Skeleton label="Loading listeners" />}
        {listeners.error && <p className="error">{listeners.error.message}</p>}
        {listeners.data && <ListenersTable listeners={listeners.data} pools={pools.data ?? []} />}
        <p className="muted">
          Own answers: what a listener answers itself, without a pool (no route matched, redirects, fixed responses, rate limits, a pool being reconfigured), counted per second over every data plane.
        </p>
      </section>
      <section className="card">
        <h2>New listener</h2>
        <form ref={formRef} onSubmit={submit} noValidate aria-label="New listener">
          <fieldset disabled={!canWrite}>
            <div className="grid">
              <Field label="Name" name="name" errors={errors}>
                <input name="name" aria-invalid={Boolean(errors.name)} />
              </Field>
              <div onChange={(e) => setHttpsPort(numberOf((e.target as HTMLInputElement).value))}>
                <NumberField label="Port" name="port" errors={errors} min={1} max={65535} />
              </div>
              <Field label="Address" name="address" errors={errors}>
                <input name="address" defaultValue="0.0.0.0" />
              </Field>
              <Field label="Protocol" name="protocol" errors={errors}>
                <select name="protocol" value={protocol} onChange={(e) => setProtocol(e.target.value)}>
                  <option value="http">HTTP</option>
                  <option value="https">HTTPS (TLS)</option>
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
            {protocol === 'https' && <ListenerTlsFields errors={errors} httpsPort={httpsPort} />}
          </fieldset>
          <FormErrorSummary errors={errors} />
          <button type="submit" className="primary" disabled={!canWrite || create.isPending}>
            {create.isPending ? 'Creating…' : 'Create listener'}
          </button>
        </form>
      </section>
    </div>
  );
}
