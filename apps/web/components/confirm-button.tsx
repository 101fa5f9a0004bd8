'use client';

import { useEffect, useRef, useState } from 'react';

/**
 * A destructive action asks once more before it runs. Focus follows the question: to the confirm
 * button when asked, back to the first button on Cancel or Escape, so a keyboard user never lands
 * at the top of the page.
 */
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled, className }: { label: string; confirmLabel: string; onConfirm: () => void; disabled?: boolean; className?: string }) {
  const [asking, setAsking] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  // Set by a cancel: the next render hands focus back to the first button (not on first mount).
  const refocus = useRef(false);
  useEffect(() => {
    if (asking) confirm.current?.focus();
    else if (refocus.current) {
      refocus.current = false;
      trigger.current?.focus();
    }
  }, [asking]);
  const cancel = () => {
    refocus.current = true;
    setAsking(false);
  };
  if (!asking) {
    return (
      <button ref={trigger} type="button" className={className ?? 'danger'} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    // biome-ignore lint/a11y/useSemanticElements: a button and its confirmation, inline in text, not form fields
    <span
      className="confirm"
      role="group"
      aria-label={label}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          cancel();
        }
      }}
    >
      <button
        ref={confirm}
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={cancel}>
        Cancel
      </button>
    </span>
  );
}
