'use client';

import { useEffect } from 'react';

/** "web · Pools · Fulcrum": the most specific part first, so tabs and history tell pages apart. */
export const pageTitle = (...parts: (string | undefined)[]) => [...parts.filter((p): p is string => !!p), 'Fulcrum'].join(' · ');

/**
 * Sets the tab's title from a client page (most pages read their data in the browser, so the
 * title can name what was loaded); the layout's static title stands until then.
 */
export function usePageTitle(...parts: (string | undefined)[]): void {
  const title = pageTitle(...parts);
  useEffect(() => {
    document.title = title;
  }, [title]);
}
