'use client';

import { useCallback, useEffect, useRef, useState } from 'react';

/** The controls of fields showing an error, and a form-level error, in page order. */
const ERRORED = '.field.has-error input:not([type=hidden]), .field.has-error select, .field.has-error textarea, [data-form-error]';

/**
 * After a refused save the first error may sit far above the button: `request()` scrolls it into
 * view and focuses it, once the errors are rendered (the effect runs after the render that shows
 * them). Called for the client's own validation and for the server's answer alike.
 */
export function useFirstErrorFocus<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [requests, setRequests] = useState(0);
  useEffect(() => {
    if (requests === 0) return;
    const first = ref.current?.querySelector<HTMLElement>(ERRORED);
    if (!first) return;
    first.scrollIntoView({ block: 'center' });
    first.focus({ preventScroll: true });
  }, [requests]);
  const request = useCallback(() => setRequests((n) => n + 1), []);
  return { ref, request };
}
