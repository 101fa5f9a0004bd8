'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { PoolForm } from '../../../components/pool-form';
import { useSession } from '../../../lib/session';
import { useToast } from '../../../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../../../lib/trpc';
import { usePageTitle } from '../../../lib/use-page-title';

export default function NewPoolPage() {
  usePageTitle('New pool', 'Pools');
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const { canWrite } = useSession();
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const create = useMutation(
    trpc.pools.create.mutationOptions({
      onSuccess: async (pool) => {
        toast('ok', `Pool ${pool.name} created`);
        await qc.invalidateQueries();
        router.push(`/pools/${pool.id}`);
      },
      onError: (err) => {
        setServerErrors(fieldErrorsOf(err));
        toast('error', describeError(err));
      },
    }),
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
