'use client';

import { FormErrorSummary } from './form-error-summary';

/** A form's foot: what is wrong (if anything), the submit button and Cancel. */
export function FormActions({ errors, submitLabel, pending, onCancel }: { errors: Record<string, string[]>; submitLabel: string; pending: boolean; onCancel: () => void }) {
  return (
    <>
      <FormErrorSummary errors={errors} />
      <div className="actions-row">
        <button type="submit" className="primary" disabled={pending}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}
