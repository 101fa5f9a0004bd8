'use client';

import type { TConfigFormat } from '@fulcrum/protocol';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../lib/trpc';

/** The pool as an NGINX or HAProxy file, for teams that keep one in front (what it cannot express is said in comments). */
export function ConfigExport({ poolId }: { poolId: string }) {
  const trpc = useTRPC();
  const [format, setFormat] = useState<TConfigFormat | null>(null);
  const file = useQuery({ ...trpc.configFiles.export.queryOptions({ id: poolId, format: format ?? 'nginx' }), enabled: format !== null });
  return (
    <details onToggle={(e) => setFormat((e.target as HTMLDetailsElement).open ? (format ?? 'nginx') : format)}>
      <summary>Export as NGINX or HAProxy config</summary>
      <div className="actions-row">
        <button type="button" aria-pressed={format === 'nginx'} onClick={() => setFormat('nginx')}>
          NGINX
        </button>
        <button type="button" aria-pressed={format === 'haproxy'} onClick={() => setFormat('haproxy')}>
          HAProxy
        </button>
        {file.data && (
          <a className="button" download={file.data.fileName} href={`data:text/plain;charset=utf-8,${encodeURIComponent(file.data.text)}`}>
            Download {file.data.fileName}
          </a>
        )}
      </div>
      {file.error && <p className="error">{file.error.message}</p>}
      {file.data && (
        <section aria-label={`${file.data.format} config`}>
          <pre>{file.data.text}</pre>
        </section>
      )}
    </details>
  );
}
