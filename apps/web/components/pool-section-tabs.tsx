'use client';

import Link from 'next/link';
import { POOL_SECTIONS, type TPoolSection, poolSectionHref } from '../lib/pool-sections';

/** The pool page's sections as links (each a URL of its own: reload and share keep the section). */
export function PoolSectionTabs({ poolId, current }: { poolId: string; current: TPoolSection }) {
  return (
    <nav className="section-tabs" aria-label="Pool sections">
      {POOL_SECTIONS.map((s) => (
        <Link key={s.id} href={poolSectionHref(poolId, s.id)} aria-current={s.id === current ? 'page' : undefined} scroll={false} data-section-tab={s.id}>
          {s.label}
        </Link>
      ))}
    </nav>
  );
}
