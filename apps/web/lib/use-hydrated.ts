'use client';

import { useSyncExternalStore } from 'react';

const never = () => () => {};

/**
 * False while rendering on the server and while hydrating that HTML, true after: what depends on
 * the browser's time zone or locale (clock faces, dates) renders in UTC until then, so the server's
 * HTML and the browser's first render agree (no hydration mismatch, which would re-render the page).
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    never,
    () => true,
    () => false,
  );
}
