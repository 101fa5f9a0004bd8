'use client';

/**
 * Beside a form's buttons after a refused submit: the form-level error (`_`), or how many fields
 * above need attention, so a click on Save always gets an answer where the operator looks.
 */
export function FormErrorSummary({ errors }: { errors: Record<string, string[]> }) {
  const fields = Object.keys(errors).filter((k) => k !== '_' && (errors[k]?.length ?? 0) > 0);
  const formError = errors._?.[0];
  if (!formError && fields.length === 0) return null;
  return (
    <p className="error form-error" role="alert" tabIndex={-1} data-form-error>
      {formError ??
        `${fields.length === 1 ? 'One field needs' : `${fields.length} fields need`} attention: see the message${fields.length === 1 ? '' : 's'} beside ${fields.length === 1 ? 'it' : 'them'}.`}
    </p>
  );
}
