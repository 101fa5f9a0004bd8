'use client';

import { ConfigImportForm } from '../../../components/config-import-form';
import { usePageTitle } from '../../../lib/use-page-title';

export default function ImportConfigPage() {
  usePageTitle('Import config', 'Pools');
  return (
    <section className="card">
      <h1>Import from NGINX or HAProxy</h1>
      <p className="muted">
        Each <code>upstream</code> or <code>backend</code> becomes a pool; the <code>server</code> or <code>frontend</code> in front of it gives its address. Nothing changes until you apply the plan.
      </p>
      <ConfigImportForm />
    </section>
  );
}
