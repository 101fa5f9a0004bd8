'use client';

import { KINDS_WITH_SECRET, type TProviderKind, type TProviderProfileRecord, type TProviderProfileSpec, ZProviderProfileCreate, describeProfileTarget, flattenZodIssues } from '@fulcrum/protocol';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { foldListErrors } from '../lib/field-errors';
import { numberOf, textOf } from '../lib/form-values';
import { useSession } from '../lib/session';
import { useTRPC } from '../lib/trpc';
import { useMutationFeedback } from '../lib/use-mutation-feedback';
import { ConfirmButton } from './confirm-button';
import { Field } from './field';
import { FormActions } from './form-actions';
import { PROVIDER_LABELS } from './scaling-rule-form';

const SECRET_LABEL: Partial<Record<TProviderKind, string>> = { kubernetes: 'Bearer token', webhook: 'Signing secret' };

const lines = (v: FormDataEntryValue | null) =>
  String(v ?? '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');

function parseJson(v: FormDataEntryValue | null): unknown {
  const text = String(v ?? '').trim();
  if (!text) return [];
  try {
    return JSON.parse(text);
  } catch {
    return text; // the schema says what is wrong with it
  }
}

/** Reads the form into what ZProviderProfileCreate validates: per kind, only that kind's fields. */
function readForm(form: FormData, kind: TProviderKind): Record<string, unknown> {
  const spec: Record<string, unknown> = { kind, parameters: parseJson(form.get('spec.parameters')) };
  const text = (k: string) => textOf(form.get(`spec.${k}`));
  const num = (k: string) => numberOf(form.get(`spec.${k}`));
  if (kind === 'process') {
    Object.assign(spec, { argv: lines(form.get('spec.argv')), cwd: text('cwd'), host: text('host'), portRangeStart: num('portRangeStart'), portRangeEnd: num('portRangeEnd') });
    spec.env = Object.fromEntries(lines(form.get('spec.env')).map((l) => [l.slice(0, l.includes('=') ? l.indexOf('=') : l.length), l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
  } else if (kind === 'docker') Object.assign(spec, { image: text('image'), containerPort: num('containerPort'), socketPath: text('socketPath'), baseUrl: text('baseUrl'), network: text('network') });
  else if (kind === 'kubernetes') Object.assign(spec, { apiUrl: text('apiUrl'), namespace: text('namespace'), deployment: text('deployment'), servicePort: num('servicePort') });
  else spec.url = text('url');
  return { name: String(form.get('name') ?? ''), description: String(form.get('description') ?? ''), spec, secret: textOf(form.get('secret')) };
}

/** The fields a kind declares: [key, label, type, hint]. */
const KIND_FIELDS: Record<TProviderKind, [key: string, label: string, type: 'text' | 'number' | 'lines', hint?: string][]> = {
  process: [
    ['argv', 'Command (one argument per line)', 'lines', 'Run without a shell; {port} and declared parameters fill arguments'],
    ['cwd', 'Working directory', 'text'],
    ['env', 'Environment (NAME=value per line)', 'lines', 'The only variables the process gets besides PATH'],
    ['host', 'Instance address', 'text'],
    ['portRangeStart', 'First port', 'number'],
    ['portRangeEnd', 'Last port', 'number'],
  ],
  docker: [
    ['image', 'Image', 'text', 'May hold declared parameters, e.g. ghcr.io/acme/web:{tag}'],
    ['containerPort', 'Container port', 'number'],
    ['socketPath', 'Docker socket', 'text', 'Default /var/run/docker.sock'],
    ['baseUrl', 'Engine API URL', 'text', 'Instead of the socket'],
    ['network', 'Network', 'text'],
  ],
  kubernetes: [
    ['apiUrl', 'Kubernetes API URL', 'text'],
    ['namespace', 'Namespace', 'text'],
    ['deployment', 'Deployment', 'text'],
    ['servicePort', 'Service port', 'number'],
  ],
  webhook: [['url', 'Webhook URL', 'text', 'Receives POST { pool, rule, desired, current, params }']],
};

function initialValue(spec: TProviderProfileSpec | undefined, key: string): string | number | undefined {
  if (!spec) return key === 'host' ? '127.0.0.1' : key === 'namespace' ? 'default' : undefined;
  const v = (spec as Record<string, unknown>)[key];
  if (key === 'argv' && Array.isArray(v)) return v.join('\n');
  if (key === 'env' && v && typeof v === 'object')
    return Object.entries(v)
      .map(([k, val]) => `${k}=${String(val)}`)
      .join('\n');
  return v as string | number | undefined;
}

function ProfileForm({ initial, onDone }: { initial?: TProviderProfileRecord; onDone: () => void }) {
  const trpc = useTRPC();
  const [kind, setKind] = useState<TProviderKind>(initial?.kind ?? 'process');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const shown = foldListErrors(foldListErrors(errors, 'spec.argv', 'line'), 'spec.parameters', 'parameter');
  const { onSuccess, onError } = useMutationFeedback((p: TProviderProfileRecord) => `Provider profile ${p.name} ${initial ? 'saved' : 'added'}`, { setErrors, done: onDone });
  const create = useMutation(trpc.providerProfiles.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.providerProfiles.update.mutationOptions({ onSuccess, onError }));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = readForm(form, kind);
    const parsed = ZProviderProfileCreate.safeParse(value);
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    setErrors({});
    if (!initial) return create.mutate(parsed.data);
    // Left empty, the stored secret is kept; the checkbox removes it.
    const secret = form.get('removeSecret') === 'on' ? null : parsed.data.secret;
    update.mutate({ ...parsed.data, id: initial.id, expectedVersion: initial.version, secret });
  };
  const input = (name: string, value: string | number | undefined, type: 'text' | 'number' | 'lines') =>
    type === 'lines' ? (
      <textarea name={name} rows={4} defaultValue={value ?? ''} aria-invalid={Boolean(shown[name])} />
    ) : (
      <input name={name} type={type} defaultValue={value ?? ''} aria-invalid={Boolean(shown[name])} />
    );
  const secretLabel = SECRET_LABEL[kind];
  return (
    <form className="inline-form" aria-label={initial ? `Edit profile ${initial.name}` : 'New provider profile'} onSubmit={submit} noValidate>
      <div className="grid">
        <Field label="Profile name" name="name" errors={shown}>
          {input('name', initial?.name, 'text')}
        </Field>
        <Field label="Description" name="description" errors={shown}>
          {input('description', initial?.description, 'text')}
        </Field>
        <Field label="Kind" name="spec.kind" errors={shown}>
          <select name="spec.kind" value={kind} onChange={(e) => setKind(e.target.value as TProviderKind)}>
            {Object.entries(PROVIDER_LABELS).map(([k, text]) => (
              <option key={k} value={k}>
                {text}
              </option>
            ))}
          </select>
        </Field>
        {KIND_FIELDS[kind].map(([key, label, type, hint]) => (
          <Field key={`${kind}.${key}`} label={label} name={`spec.${key}`} errors={shown} hint={hint}>
            {input(`spec.${key}`, initialValue(initial?.kind === kind ? initial.spec : undefined, key), type)}
          </Field>
        ))}
        <Field label="Parameters (JSON)" name="spec.parameters" errors={shown} hint='What a rule may fill in, e.g. [{"name":"version","type":"string","pattern":"[0-9]+\.[0-9]+"}]'>
          {input('spec.parameters', initial?.spec.parameters.length ? JSON.stringify(initial.spec.parameters) : '', 'lines')}
        </Field>
        {secretLabel && (
          <Field label={secretLabel} name="secret" errors={shown} hint={initial?.hasSecret ? 'Stored; write-only. Leave empty to keep it.' : 'Write-only: never shown again'}>
            <input name="secret" type="password" autoComplete="off" />
          </Field>
        )}
        {secretLabel && initial?.hasSecret && (
          <Field label="Remove the stored secret" name="removeSecret" errors={shown}>
            <input name="removeSecret" type="checkbox" />
          </Field>
        )}
      </div>
      <FormActions errors={shown} submitLabel={initial ? 'Save profile' : 'Add profile'} pending={create.isPending || update.isPending} onCancel={onDone} />
    </form>
  );
}

/**
 * Settings → Provider profiles: what scaling may execute or call. Admins declare them; operators
 * pick them in scaling rules; everyone signed in reads them (never their secret).
 */
export function ProviderProfilesSection() {
  const trpc = useTRPC();
  const { isAdmin } = useSession();
  const [open, setOpen] = useState<'new' | string | null>(null);
  const profiles = useQuery(trpc.providerProfiles.list.queryOptions({}));
  const remove = useMutation(trpc.providerProfiles.delete.mutationOptions(useMutationFeedback(() => 'Provider profile deleted')));
  const list = profiles.data ?? [];
  const editing = list.find((p) => p.id === open);
  return (
    <section className="card">
      <h2>Provider profiles</h2>
      <p className="muted">
        What autoscaling may run or call: a command, a Docker image, a Kubernetes Deployment, a webhook. Admins declare them; scaling rules pick one and fill in only its parameters.
      </p>
      {profiles.error && <p className="error">{profiles.error.message}</p>}
      {list.length === 0 ? (
        <p className="muted">No provider profiles yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Runs or calls</th>
                <th>Parameters</th>
                <th>Secret</th>
                <th>Rules</th>
                {isAdmin && <th />}
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id} data-profile={p.name}>
                  <td>{p.name}</td>
                  <td>{PROVIDER_LABELS[p.kind]}</td>
                  <td className="mono">{describeProfileTarget(p.spec)}</td>
                  <td className="mono">{p.spec.parameters.map((x) => (x.type === 'string' ? `${x.name} ~ ${x.pattern}` : `${x.name} ${x.min}–${x.max}`)).join(', ') || '—'}</td>
                  <td>{KINDS_WITH_SECRET.includes(p.kind) ? (p.hasSecret ? 'set' : 'none') : '—'}</td>
                  <td>{p.usedBy}</td>
                  {isAdmin && (
                    <td className="actions">
                      <button type="button" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? null : p.id)}>
                        Edit
                      </button>
                      <ConfirmButton label="Delete" confirmLabel={`Delete ${p.name}`} disabled={p.usedBy > 0} onConfirm={() => remove.mutate({ id: p.id, expectedVersion: p.version })} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {isAdmin && editing && <ProfileForm key={`${editing.id}@${editing.version}`} initial={editing} onDone={() => setOpen(null)} />}
      {isAdmin &&
        (open === 'new' ? (
          <ProfileForm onDone={() => setOpen(null)} />
        ) : (
          <button type="button" className="primary" onClick={() => setOpen('new')}>
            New provider profile
          </button>
        ))}
    </section>
  );
}
