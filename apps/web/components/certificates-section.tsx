'use client';

import { CERTIFICATE_EXPIRY_NOTICE_DAYS, type TCertificate, ZCertificateUpload, flattenZodIssues } from '@fulcrum/protocol';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSession } from '../lib/session';
import { useTRPC } from '../lib/trpc';
import { useMutationFeedback } from '../lib/use-mutation-feedback';
import { ConfirmButton } from './confirm-button';
import { Field } from './field';
import { FormActions } from './form-actions';
import { Skeleton } from './skeleton';

const DAY_MS = 86_400_000;

/** Days left, and how urgent: expired, within the 14-day notice, or fine. */
function expiry(c: TCertificate, now: number): { text: string; state: string } {
  const days = Math.floor((Date.parse(c.notAfter) - now) / DAY_MS);
  if (days < 0) return { text: `expired ${c.notAfter.slice(0, 10)}`, state: 'state-disabled' };
  const text = `${days} day${days === 1 ? '' : 's'} left (${c.notAfter.slice(0, 10)})`;
  return { text, state: days < CERTIFICATE_EXPIRY_NOTICE_DAYS ? 'state-draining' : 'state-active' };
}

/** Upload (new name) or rotate (an existing certificate): a PEM chain and its key, both pasted. */
function CertificateForm({ rotating, onDone }: { rotating?: TCertificate; onDone: () => void }) {
  const trpc = useTRPC();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const { onSuccess, onError } = useMutationFeedback((c: TCertificate) => `Certificate ${c.name} ${rotating ? `rotated to version ${c.version}` : 'uploaded'}`, { setErrors, done: onDone });
  const upload = useMutation(trpc.certificates.upload.mutationOptions({ onSuccess, onError }));
  const rotate = useMutation(trpc.certificates.rotate.mutationOptions({ onSuccess, onError }));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = { name: rotating?.name ?? String(form.get('name') ?? ''), chain: String(form.get('chain') ?? ''), key: String(form.get('key') ?? '') };
    const parsed = ZCertificateUpload.safeParse(value);
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    setErrors({});
    if (rotating) rotate.mutate({ id: rotating.id, chain: parsed.data.chain, key: parsed.data.key });
    else upload.mutate(parsed.data);
  };
  return (
    <form className="inline-form" aria-label={rotating ? `Rotate certificate ${rotating.name}` : 'Upload a certificate'} onSubmit={submit} noValidate>
      <div className="grid">
        {!rotating && (
          <Field label="Certificate name" name="name" errors={errors}>
            <input name="name" aria-invalid={Boolean(errors.name)} />
          </Field>
        )}
        <Field label="Certificate chain (PEM)" name="chain" errors={errors} hint="The server certificate first, then each intermediate">
          <textarea name="chain" rows={8} className="mono" spellCheck={false} aria-invalid={Boolean(errors.chain)} />
        </Field>
        <Field label="Private key (PEM)" name="key" errors={errors} hint="Write-only: sealed at rest, never shown again">
          <textarea name="key" rows={6} className="mono" spellCheck={false} autoComplete="off" aria-invalid={Boolean(errors.key)} />
        </Field>
      </div>
      <FormActions errors={errors} submitLabel={rotating ? 'Rotate certificate' : 'Upload certificate'} pending={upload.isPending || rotate.isPending} onCancel={onDone} />
    </form>
  );
}

/**
 * Certificates: what https listeners serve, with the days each has left. Admins upload, rotate and
 * delete them (the key is a secret, as a provider profile's is); everyone signed in reads them.
 */
export function CertificatesSection() {
  const trpc = useTRPC();
  const { isAdmin } = useSession();
  const [open, setOpen] = useState<'new' | string | null>(null);
  const certificates = useQuery({ ...trpc.certificates.list.queryOptions({}), refetchInterval: 60_000 });
  const remove = useMutation(trpc.certificates.delete.mutationOptions(useMutationFeedback(() => 'Certificate deleted')));
  const list = certificates.data ?? [];
  const rotating = list.find((c) => c.id === open);
  const now = Date.now();
  return (
    <section className="card">
      <h1>Certificates</h1>
      <p className="muted">
        TLS certificates https listeners serve, chosen by the name a client asks for (exact, then wildcard, then the listener&apos;s first). An event is recorded {CERTIFICATE_EXPIRY_NOTICE_DAYS} days
        before one expires.
      </p>
      {certificates.isLoading && <Skeleton label="Loading certificates" />}
      {certificates.error && <p className="error">{certificates.error.message}</p>}
      {!certificates.isLoading && list.length === 0 && <p className="muted">No certificates yet.</p>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Serves</th>
                <th>Expires</th>
                <th>Key</th>
                <th>Issuer</th>
                <th>Version</th>
                <th>Listeners</th>
                {isAdmin && <th />}
              </tr>
            </thead>
            <tbody>
              {list.map((c) => {
                const e = expiry(c, now);
                return (
                  <tr key={c.id} data-certificate={c.name}>
                    <td>{c.name}</td>
                    <td className="mono">{c.names.join(', ')}</td>
                    <td>
                      <span className={`state ${e.state}`}>{e.text}</span>
                    </td>
                    <td>{c.keyType}</td>
                    <td className="muted">{c.issuer}</td>
                    <td className="mono" title={`SHA-256 ${c.fingerprint}`}>
                      {c.version}
                    </td>
                    <td>{c.usedBy.join(', ') || '—'}</td>
                    {isAdmin && (
                      <td className="actions">
                        <button type="button" aria-expanded={open === c.id} onClick={() => setOpen(open === c.id ? null : c.id)}>
                          Rotate
                        </button>
                        <ConfirmButton label="Delete" confirmLabel={`Delete ${c.name}`} disabled={c.usedBy.length > 0} onConfirm={() => remove.mutate({ id: c.id, expectedVersion: c.version })} />
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {isAdmin && rotating && <CertificateForm key={`${rotating.id}@${rotating.version}`} rotating={rotating} onDone={() => setOpen(null)} />}
      {isAdmin &&
        (open === 'new' ? (
          <CertificateForm onDone={() => setOpen(null)} />
        ) : (
          <button type="button" className="primary" onClick={() => setOpen('new')}>
            Upload certificate
          </button>
        ))}
    </section>
  );
}
