'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useSession } from '../lib/session';
import { useTRPC } from '../lib/trpc';

const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/listeners', label: 'Listeners' },
  { href: '/dataplanes', label: 'Data planes' },
  { href: '/certificates', label: 'Certificates' },
  { href: '/revisions', label: 'Revisions' },
  { href: '/events', label: 'Events' },
  { href: '/settings', label: 'Settings' },
];

export function Nav() {
  const { user } = useSession();
  const pathname = usePathname();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: async () => {
        await qc.invalidateQueries();
        router.replace('/login');
      },
    }),
  );
  if (!user) return null;
  return (
    <header className="nav">
      <Link href="/" className="brand">
        Fulcrum
      </Link>
      <nav aria-label="main">
        {LINKS.map((l) => (
          <Link key={l.href} href={l.href} className={pathname === l.href || (l.href !== '/' && pathname.startsWith(`${l.href}/`)) ? 'active' : undefined}>
            {l.label}
          </Link>
        ))}
      </nav>
      <span className="who">
        {user.email} <span className="badge">{user.role}</span>
        <button type="button" className="link" onClick={() => logout.mutate()}>
          Sign out
        </button>
      </span>
    </header>
  );
}
