'use client';

import { Field } from './field';

export interface NumberFieldProps {
  label: string;
  /** The schema path, also the input's name (`healthCheck.intervalMs`). */
  name: string;
  errors: Record<string, string[]>;
  defaultValue?: number;
  hint?: string;
  /** Empty means "not set" (e.g. a pool without its own port); otherwise an empty field is an error on submit. */
  optional?: boolean;
  step?: number | 'any';
  min?: number;
  max?: number;
  placeholder?: string;
  disabled?: boolean;
}

/**
 * The dashboard's one number input: labelled, its error beside it, and marked required unless
 * `optional`, so useSchemaSubmit reports a cleared field ("Enter a number") instead of quietly
 * sending the schema's default.
 */
export function NumberField({ label, name, errors, defaultValue, hint, optional = false, step, min, max, placeholder, disabled }: NumberFieldProps) {
  return (
    <Field label={label} name={name} errors={errors} hint={hint}>
      <input
        name={name}
        type="number"
        inputMode={step === 'any' || (typeof step === 'number' && !Number.isInteger(step)) ? 'decimal' : 'numeric'}
        step={step}
        min={min}
        max={max}
        placeholder={placeholder}
        defaultValue={defaultValue ?? ''}
        disabled={disabled}
        required={!optional}
        data-required-number={optional ? undefined : ''}
        aria-invalid={Boolean(errors[name])}
      />
    </Field>
  );
}
