'use client';

import { ZLogin } from '@fulcrum/protocol';
import { useMutation } from '@tanstack/react-query';
import { CredentialsForm } from '../../components/credentials-form';
import { useTRPC } from '../../lib/trpc';
import { usePageTitle } from '../../lib/use-page-title';

export default function LoginPage() {
  usePageTitle('Sign in');
  const trpc = useTRPC();
  const login = useMutation(trpc.auth.login.mutationOptions());
  return <CredentialsForm title="Sign in to Fulcrum" submitLabel="Sign in" schema={ZLogin} submit={(input) => login.mutateAsync(input)} />;
}
