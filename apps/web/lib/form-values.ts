import type { TFieldErrors } from '@fulcrum/protocol';

/** Readers for FormData values: empty inputs become undefined so the schema's defaults apply. */
export const numberOf = (v: FormDataEntryValue | null) => (v === null || v === '' ? undefined : Number(v));
export const textOf = (v: FormDataEntryValue | null) => (v === null || v === '' ? undefined : String(v));
/** A list typed one item per line (or comma-separated); blanks dropped, so an empty box is an empty list. */
export const listOf = (v: FormDataEntryValue | null) =>
  v === null
    ? []
    : String(v)
        .split(/[\s,]+/)
        .filter((item) => item !== '');

export const EMPTY_NUMBER_MESSAGE = 'Enter a number';
export const BAD_NUMBER_MESSAGE = 'Enter a number (digits only)';

/**
 * Required number fields (NumberField without `optional`) that are empty or hold what the browser
 * cannot read as a number: an error each, so a cleared field never falls back to a default.
 */
export function emptyNumberErrors(form: HTMLFormElement): TFieldErrors {
  const errors: TFieldErrors = {};
  for (const input of form.querySelectorAll<HTMLInputElement>('input[data-required-number]')) {
    if (input.matches(':disabled')) continue;
    if (input.validity.badInput) errors[input.name] = [BAD_NUMBER_MESSAGE];
    else if (input.value.trim() === '') errors[input.name] = [EMPTY_NUMBER_MESSAGE];
  }
  return errors;
}
