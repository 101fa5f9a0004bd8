'use client';

import { LISTENER_ANSWER_LABEL, type TListenerAnswer, type TListenerStats } from '@fulcrum/protocol';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import type { TRouterOutputs } from '../lib/router-outputs';
import { useTRPC } from '../lib/trpc';

/** A listener's own answers in the last second, most first: "3 × no route matched (404)". */
function answerList(stats: TListenerStats | undefined): string {
  if (!stats) return '';
  return (Object.entries(stats.answers) as [TListenerAnswer, number][])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} × ${LISTENER_ANSWER_LABEL[k]}`)
    .join(' · ');
}

/**
 * Every listener with its own answers in the last complete second (merged over data planes,
 * pushed once a second): the subscription lives here so a push re-renders the table alone.
 */
export function ListenersTable({ listeners, pools }: { listeners: TRouterOutputs['listeners']['list']; pools: TRouterOutputs['pools']['list'] }) {
  const trpc = useTRPC();
  const answers = useSubscription(trpc.stats.listenersLive.subscriptionOptions());
  return (
    <div className="table-wrap">
      <table className="table" aria-label="listeners">
        <thead>
          <tr>
            <th>Name</th>
            <th>Listen</th>
            <th>Routes</th>
            <th>Made with pool</th>
            <th>Own answers (last 1 s)</th>
          </tr>
        </thead>
        <tbody>
          {listeners.map((l) => (
            <tr key={l.id} data-listener={l.name}>
              <td>
                <Link href={`/listeners/${l.name}`}>{l.name}</Link>
              </td>
              <td className="mono">
                {l.protocol}://{l.address}:{l.port}
              </td>
              <td>{l.routeCount}</td>
              <td>{l.poolId ? (pools.find((p) => p.id === l.poolId)?.name ?? 'yes') : '—'}</td>
              <td className="answers" data-answers={l.name}>
                {answerList(answers.data?.listeners[l.id]) || <span className="muted">none</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
