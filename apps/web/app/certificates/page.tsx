'use client';

import { CertificatesSection } from '../../components/certificates-section';
import { usePageTitle } from '../../lib/use-page-title';

export default function CertificatesPage() {
  usePageTitle('Certificates');
  return <CertificatesSection />;
}
