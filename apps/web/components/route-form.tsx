'use client';

import { REDIRECT_STATUSES, type TRouteConfig, type TRouteConfigInput, ZRouteConfig } from '@fulcrum/protocol';
import { useState } from 'react';
import { listOf, numberOf, textOf } from '../lib/form-values';
import { useSchemaSubmit } from '../lib/use-schema-submit';
import { Field } from './field';
import { FormErrorSummary } from './form-error-summary';
import { NumberField } from './number-field';

type ActionType = TRouteConfig['action']['type'];

/**
 * Reads the form into the shape ZRouteConfig validates. Header rules, rewrite, rate limit and
 * timeouts are kept from the route being edited (set them with the API or fulcrumctl --file).
 */
export function readRouteForm(form: FormData, kept: Partial<TRouteConfigInput> = {}): TRouteConfigInput {
  const type = (textOf(form.get('action.type')) ?? 'pool') as ActionType;
  const pathValue = textOf(form.get('match.path.value'));
  const action =
    type === 'pool'
      ? { type, poolId: String(form.get('action.poolId') ?? '') }
      : type === 'redirect'
        ? { type, location: String(form.get('action.location') ?? ''), status: numberOf(form.get('action.status')) as 301 }
        : { type, status: numberOf(form.get('action.status')) as number, body: textOf(form.get('action.body')) };
  return {
    ...kept,
    name: String(form.get('name') ?? ''),
    priority: numberOf(form.get('priority')),
    match: {
      hosts: listOf(form.get('match.hosts')),
      path: pathValue === undefined ? undefined : { type: (textOf(form.get('match.path.type')) ?? 'prefix') as 'prefix', value: pathValue },
      methods: listOf(form.get('match.methods')),
      headers: kept.match?.headers,
      query: kept.match?.query,
    },
    action,
  };
}

export interface RouteFormProps {
  initial?: TRouteConfig;
  pools: { id: string; name: string }[];
  submitLabel: string;
  disabled?: boolean;
  pending?: boolean;
  serverErrors?: Record<string, string[]>;
  onSubmit: (route: TRouteConfig) => void;
}

/** A route's match and action, validated with the API's own schema before it is sent. */
export function RouteForm({ initial, pools, submitLabel, disabled, pending, serverErrors, onSubmit }: RouteFormProps) {
  const kept = initial ? { headers: initial.headers, rewrite: initial.rewrite, rateLimit: initial.rateLimit, timeouts: initial.timeouts, match: initial.match } : {};
  const { clientErrors, submit, formRef } = useSchemaSubmit(ZRouteConfig, (f) => readRouteForm(f, kept), onSubmit, serverErrors);
  const [type, setType] = useState<ActionType>(initial?.action.type ?? 'pool');
  const errors = { ...(serverErrors ?? {}), ...clientErrors };
  const a = initial?.action;
  const m = initial?.match;
  return (
    <form ref={formRef} className="route-form" onSubmit={submit} noValidate aria-label={submitLabel}>
      <fieldset disabled={disabled}>
        <div className="grid">
          <Field label="Route name" name="name" errors={errors}>
            <input name="name" defaultValue={initial?.name ?? ''} aria-invalid={Boolean(errors.name)} />
          </Field>
          <NumberField label="Priority" name="priority" errors={errors} hint="Higher first; equal: the most specific first" defaultValue={initial?.priority ?? 0} />
          <Field label="Hosts" name="match.hosts" errors={errors} hint="api.example.com or *.example.com, one per line; empty: any host">
            <textarea name="match.hosts" rows={2} defaultValue={m?.hosts.join('\n') ?? ''} />
          </Field>
          <Field label="Path match" name="match.path.type" errors={errors}>
            <select name="match.path.type" defaultValue={m?.path.type ?? 'prefix'}>
              <option value="prefix">prefix</option>
              <option value="exact">exact</option>
              <option value="regex">regex</option>
            </select>
          </Field>
          <Field label="Path" name="match.path.value" errors={errors} hint="Empty: any path">
            <input name="match.path.value" defaultValue={m && !(m.path.type === 'prefix' && m.path.value === '/') ? m.path.value : ''} />
          </Field>
          <Field label="Methods" name="match.methods" errors={errors} hint="GET, POST…; empty: any">
            <input name="match.methods" defaultValue={m?.methods.join(', ') ?? ''} />
          </Field>
          <Field label="Action" name="action.type" errors={errors}>
            <select name="action.type" value={type} onChange={(e) => setType(e.target.value as ActionType)}>
              <option value="pool">send to a pool</option>
              <option value="redirect">redirect</option>
              <option value="fixed">answer</option>
            </select>
          </Field>
          {type === 'pool' && (
            <Field label="Pool" name="action.poolId" errors={errors}>
              <select name="action.poolId" defaultValue={a?.type === 'pool' ? a.poolId : (pools[0]?.id ?? '')}>
                {pools.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </Field>
          )}
          {type === 'redirect' && (
            <>
              <Field label="Location" name="action.location" errors={errors} hint="May use $host $request_uri $path $scheme">
                <input name="action.location" defaultValue={a?.type === 'redirect' ? a.location : 'https://$host$request_uri'} />
              </Field>
              <Field label="Status" name="action.status" errors={errors}>
                <select name="action.status" defaultValue={a?.type === 'redirect' ? a.status : 302}>
                  {REDIRECT_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </Field>
            </>
          )}
          {type === 'fixed' && (
            <>
              <NumberField label="Status" name="action.status" errors={errors} min={100} max={599} defaultValue={a?.type === 'fixed' ? a.status : 404} />
              <Field label="Body" name="action.body" errors={errors}>
                <textarea name="action.body" rows={2} defaultValue={a?.type === 'fixed' ? a.body : ''} />
              </Field>
            </>
          )}
        </div>
      </fieldset>
      <FormErrorSummary errors={errors} />
      <button type="submit" className="primary" disabled={disabled || pending}>
        {pending ? 'Saving…' : submitLabel}
      </button>
    </form>
  );
}
