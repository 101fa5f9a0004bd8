'use client';

import { type ReactNode, useEffect, useId, useRef, useState } from 'react';

/**
 * A row's actions: laid out inline on wide screens, behind one "Actions" button on a phone
 * (CSS decides, see .actions-menu in globals.css: one set of controls, never two). The menu
 * closes on Escape (focus back on its button) and on a click outside it.
 */
export function ActionsMenu({ label, children }: { label: string; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const listId = useId();
  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of action buttons, not form fields (a fieldset is for those)
    <div
      ref={box}
      className="actions-menu"
      role="group"
      data-open={open || undefined}
      onKeyDown={(e) => {
        // A two-step button inside handles its own Escape first (it stops it).
        if (e.key === 'Escape' && open) {
          setOpen(false);
          toggle.current?.focus();
        }
      }}
    >
      <button ref={toggle} type="button" className="actions-toggle" aria-expanded={open} aria-controls={listId} aria-label={label} onClick={() => setOpen((o) => !o)}>
        ⋯
      </button>
      <div id={listId} className="actions-list">
        {children}
      </div>
    </div>
  );
}
