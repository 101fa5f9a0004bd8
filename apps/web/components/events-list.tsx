'use client';

import type { TEventKind } from '@fulcrum/protocol';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';
import { useHydrated } from '../lib/use-hydrated';
import { Skeleton } from './skeleton';

export interface EventsListProps {
  poolId?: string;
  kind?: TEventKind;
  limit?: number;
  /** Narrows the listed events further (e.g. to one scaling rule's decisions). */
  match?: (data: unknown) => boolean;
  empty?: string;
}

export function EventsList({ poolId, kind, limit = 20, match, empty = 'No events yet.' }: EventsListProps) {
  const trpc = useTRPC();
  const events = useQuery({ ...trpc.events.list.queryOptions({ poolId, kind, limit }), refetchInterval: 5000 });
  const hydrated = useHydrated();
  if (events.isLoading) return <Skeleton label="Loading events" />;
  if (events.error) return <p className="error">{events.error.message}</p>;
  const shown = match ? (events.data ?? []).filter((e) => match(e.data)) : (events.data ?? []);
  if (!shown.length) return <p className="muted">{empty}</p>;
  return (
    <ol className="events">
      {shown.map((e) => (
        <li key={e.id} className={`event sev-${e.severity}`}>
          <time dateTime={e.createdAt}>{hydrated ? new Date(e.createdAt).toLocaleString() : `${e.createdAt.slice(0, 19).replace('T', ' ')} UTC`}</time>
          <span className="badge">{e.kind.replaceAll('_', ' ')}</span>
          <span>{e.message}</span>
        </li>
      ))}
    </ol>
  );
}
