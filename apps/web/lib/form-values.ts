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
