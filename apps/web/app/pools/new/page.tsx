'use client';

import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { PoolForm } from '../../../components/pool-form';
import { useSession } from '../../../lib/session';
import { useTRPC } from '../../../lib/trpc';
import { useMutationFeedback } from '../../../lib/use-mutation-feedback';
import { usePageTitle } from '../../../lib/use-page-title';

export default function NewPoolPage() {
  usePageTitle('New pool', 'Pools');
  const trpc = useTRPC();
  const router = useRouter();
  const { canWrite } = useSession();
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const create = useMutation(
    trpc.pools.create.mutationOptions(useMutationFeedback((pool) => `Pool ${pool.name} created`, { setErrors: setServerErrors, done: (pool) => router.push(`/pools/${pool.id}`) })),
  );
  return (
    <section className="card">
      <h1>New pool</h1>
      <p className="muted">
        Coming from NGINX or HAProxy? <Link href="/pools/import">Import your config file</Link>.
      </p>
      <PoolForm submitLabel="Create pool" disabled={!canWrite} pending={create.isPending} serverErrors={serverErrors} onSubmit={(config) => create.mutate(config)} />
    </section>
  );
}
