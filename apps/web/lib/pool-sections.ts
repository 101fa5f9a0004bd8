/** The pool page's sections, in tab order; the chosen one lives in the URL (`?section=`), so it survives a reload and can be linked. */
export const POOL_SECTIONS = [
  { id: 'overview', label: 'Overview' },
  { id: 'backends', label: 'Backends' },
  { id: 'config', label: 'Config' },
  { id: 'scaling', label: 'Scaling' },
  { id: 'deploys', label: 'Deploys' },
  { id: 'events', label: 'Events' },
] as const;

export type TPoolSection = (typeof POOL_SECTIONS)[number]['id'];

/** The section a `?section=` value names; anything else (absent, misspelt) is the overview. */
export function poolSectionOf(value: string | null | undefined): TPoolSection {
  return POOL_SECTIONS.find((s) => s.id === value)?.id ?? 'overview';
}

export const poolSectionHref = (poolId: string, section: TPoolSection) => (section === 'overview' ? `/pools/${poolId}` : `/pools/${poolId}?section=${section}`);
