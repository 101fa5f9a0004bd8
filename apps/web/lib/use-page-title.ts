'use client';

import { useEffect } from 'react';

/** "web · Pools · Fulcrum": the most specific part first, so tabs and history tell pages apart. */
export const pageTitle = (...parts: (string | undefined)[]) => [...parts.filter((p): p is string => !!p), 'Fulcrum'].join(' · ');

/**
 * Sets the tab's title from a client page (most pages read their data in the browser, so the
 * title can name what was loaded). Next writes the layout's static title into <head> after a
 * client navigation, later than this page's effects run, so the title is put back whenever
 * something else changes it while the page is mounted.
 */
export function usePageTitle(...parts: (string | undefined)[]): void {
  const title = pageTitle(...parts);
  useEffect(() => {
    const apply = () => {
      if (document.title !== title) document.title = title;
    };
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(document.head, { subtree: true, childList: true, characterData: true });
    return () => observer.disconnect();
  }, [title]);
}
