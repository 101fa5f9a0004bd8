'use client';

import { ZSetupAdmin } from '@fulcrum/protocol';
import { useMutation } from '@tanstack/react-query';
import { CredentialsForm } from '../../components/credentials-form';
import { useTRPC } from '../../lib/trpc';
import { usePageTitle } from '../../lib/use-page-title';

export default function SetupPage() {
  usePageTitle('Set up');
  const trpc = useTRPC();
  const setup = useMutation(trpc.auth.setup.mutationOptions());
  return (
    <CredentialsForm
      title="Welcome to Fulcrum"
      intro="Create the first administrator. Everyone after them is invited from Settings."
      submitLabel="Create admin"
      withName
      schema={ZSetupAdmin}
      submit={(input) => setup.mutateAsync(input)}
    />
  );
}
