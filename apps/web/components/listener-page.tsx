'use client';

import type { TRoute, TRouteConfig } from '@fulcrum/protocol';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useParams, useRouter } from 'next/navigation';
import { useState } from 'react';
import { ConfirmButton } from './confirm-button';
import { RouteForm } from './route-form';
import { RouteTest } from './route-test';
import { useSession } from '../lib/session';
import { useTRPC } from '../lib/trpc';
import { useMutationFeedback } from '../lib/use-mutation-feedback';
import { Skeleton } from './skeleton';
import { usePageTitle } from '../lib/use-page-title';

function describeMatch(r: TRoute, host: string | null): string {
  const m = r.match;
  const parts = [host ?? 'any host', m.path.type === 'prefix' ? (m.path.value === '/' ? 'any path' : `${m.path.value}…`) : m.path.type === 'exact' ? `= ${m.path.value}` : `~ ${m.path.value}`];
  if (m.methods.length) parts.push(m.methods.join('|'));
  for (const h of m.headers) parts.push(`${h.name}${h.value === undefined ? '' : `: ${h.value}`}`);
  for (const q of m.query) parts.push(`?${q.name}${q.value === undefined ? '' : `=${q.value}`}`);
  return parts.join(' · ');
}

/** A listener's route table in the order the data plane tries it, with a box to test a URL and forms to change routes. */
export function ListenerPage() {
  const { name } = useParams<{ name: string }>();
  const trpc = useTRPC();
  const router = useRouter();
  const { canWrite } = useSession();
  const listener = useQuery(trpc.listeners.get.queryOptions({ id: name }));
  usePageTitle(listener.data?.name ?? name, 'Listeners');
  const pools = useQuery(trpc.pools.list.queryOptions());
  const [editing, setEditing] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const closeForm = { setErrors: setServerErrors, done: () => setEditing(null) };
  const create = useMutation(trpc.routes.create.mutationOptions(useMutationFeedback(() => 'Route added as a new revision', closeForm)));
  const update = useMutation(trpc.routes.update.mutationOptions(useMutationFeedback(() => 'Route saved as a new revision', closeForm)));
  const remove = useMutation(trpc.routes.delete.mutationOptions(useMutationFeedback(() => 'Route deleted', closeForm)));
  const removeListener = useMutation(trpc.listeners.delete.mutationOptions(useMutationFeedback(() => 'Listener deleted', { done: () => router.push('/listeners') })));

  if (listener.isLoading) return <Skeleton label="Loading listener" lines={5} />;
  if (listener.error) return <p className="error">{listener.error.message}</p>;
  const l = listener.data!;
  const poolList = pools.data?.map((p) => ({ id: p.id, name: p.name })) ?? [];
  const poolName = (id: string) => poolList.find((p) => p.id === id)?.name ?? id;
  const byId = new Map(l.routes.map((r) => [r.id, r]));
  const save = (route: TRouteConfig) => {
    const current = editing ? byId.get(editing) : undefined;
    if (current) update.mutate({ listener: l.id, id: current.id, expectedVersion: current.version, patch: route });
    else create.mutate({ listener: l.id, ...route });
  };
  const editingRoute = editing ? byId.get(editing) : undefined;
  return (
    <div className="stack">
      <section className="card">
        <div className="row">
          <h1>
            {l.name}{' '}
            <span className="muted mono">
              {l.protocol}://{l.address}:{l.port}
            </span>
          </h1>
          <ConfirmButton
            label="Delete listener"
            confirmLabel={`Delete ${l.name} and its routes`}
            disabled={!canWrite}
            onConfirm={() => removeListener.mutate({ id: l.id, expectedVersion: l.version })}
          />
        </div>
        {l.poolId && <p className="muted">Made with pool {poolName(l.poolId)} in one step: it follows that pool&apos;s port and goes with it.</p>}
        <h2>Routes in match order</h2>
        <p className="muted">
          The data plane tries these top to bottom and takes the first that matches: priority first, then exact hosts before wildcards, exact and longer paths before shorter, more conditions first.
        </p>
        {l.order.length === 0 ? (
          <p className="muted">No routes: every request gets 404.</p>
        ) : (
          <table className="table" aria-label="routes in match order">
            <thead>
              <tr>
                <th>#</th>
                <th>Route</th>
                <th>Priority</th>
                <th>Match</th>
                <th>Action</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {l.order.map((o, i) => {
                const r = byId.get(o.routeId)!;
                const a = r.action;
                return (
                  <tr key={`${o.routeId}-${o.host ?? '*'}`} data-route={r.name}>
                    <td>{i + 1}</td>
                    <td>{r.name}</td>
                    <td>{r.priority}</td>
                    <td className="mono">{describeMatch(r, o.host)}</td>
                    <td>{a.type === 'pool' ? `pool ${poolName(a.poolId)}` : a.type === 'redirect' ? `redirect ${a.status} → ${a.location}` : `answer ${a.status}`}</td>
                    <td>
                      <button type="button" className="link" disabled={!canWrite} onClick={() => setEditing(r.id)}>
                        Edit
                      </button>
                      <ConfirmButton
                        label="Delete"
                        confirmLabel={`Delete route ${r.name}`}
                        className="link"
                        disabled={!canWrite}
                        onConfirm={() => remove.mutate({ listener: l.id, id: r.id, expectedVersion: r.version })}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <RouteTest listener={l.id} />
      <section className="card">
        <h2>{editingRoute ? `Edit route ${editingRoute.name}` : 'Add a route'}</h2>
        {editingRoute && (
          <button type="button" className="link" onClick={() => setEditing(null)}>
            Add a new route instead
          </button>
        )}
        <RouteForm
          key={editing ?? 'new'}
          initial={editingRoute}
          pools={poolList}
          submitLabel={editingRoute ? 'Save route' : 'Add route'}
          disabled={!canWrite}
          pending={create.isPending || update.isPending}
          serverErrors={serverErrors}
          onSubmit={save}
        />
      </section>
    </div>
  );
}
