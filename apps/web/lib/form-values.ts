/** Readers for FormData values: empty inputs become undefined so the schema's defaults apply. */
export const numberOf = (v: FormDataEntryValue | null) => (v === null || v === '' ? undefined : Number(v));
export const textOf = (v: FormDataEntryValue | null) => (v === null || v === '' ? undefined : String(v));
