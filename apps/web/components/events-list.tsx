'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';

export function EventsList({ poolId, limit = 20 }: { poolId?: string; limit?: number }) {
  const trpc = useTRPC();
  const events = useQuery({ ...trpc.events.list.queryOptions({ poolId, limit }), refetchInterval: 5000 });
  if (events.isLoading) return <p className="muted">Loading events…</p>;
  if (events.error) return <p className="error">{events.error.message}</p>;
  if (!events.data?.length) return <p className="muted">No events yet.</p>;
  return (
    <ol className="events">
      {events.data.map((e) => (
        <li key={e.id} className={`event sev-${e.severity}`}>
          <time dateTime={e.createdAt}>{new Date(e.createdAt).toLocaleString()}</time>
          <span className="badge">{e.kind.replaceAll('_', ' ')}</span>
          <span>{e.message}</span>
        </li>
      ))}
    </ol>
  );
}
