'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../../lib/trpc';
import { Skeleton } from '../../components/skeleton';
import { usePageTitle } from '../../lib/use-page-title';

export default function DataplanesPage() {
  usePageTitle('Data planes');
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.dataplanes.list.queryOptions(), refetchInterval: 2000 });
  return (
    <section className="card">
      <h1>Data planes</h1>
      {list.isLoading && <Skeleton label="Loading data planes" />}
      {list.data?.length === 0 && <p className="muted">No data plane has connected yet. Start one with a token of role dataplane (see the README).</p>}
      {!!list.data?.length && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Last seen</th>
                <th>Version</th>
                <th>Applied config</th>
                <th>Lag</th>
                <th>Last error</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((d) => (
                <tr key={d.id} data-dataplane={d.name}>
                  <td>{d.name}</td>
                  <td>
                    <span className={`state ${d.connected ? 'state-active' : 'state-disabled'}`}>{d.connected ? 'connected' : 'disconnected'}</span>
                  </td>
                  <td>{new Date(d.lastSeenAt).toLocaleString()}</td>
                  <td>{d.softwareVersion}</td>
                  <td className="mono">{d.appliedConfigVersion ?? '—'}</td>
                  <td>{d.lag === null ? '—' : d.lag === 0 ? 'up to date' : `${d.lag} behind`}</td>
                  <td className="error">{d.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
