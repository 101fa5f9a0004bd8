'use client';

import { useEffect, useState } from 'react';

/** Copies `text` to the clipboard and says so ("Copied") for a moment; says so too when the browser refuses. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      // No clipboard (an insecure origin, a refused permission): the text stays on screen to select by hand.
      setState('failed');
    }
  };
  return (
    <button type="button" onClick={() => void copy()} aria-live="polite" data-copy-state={state}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text' : label}
    </button>
  );
}
