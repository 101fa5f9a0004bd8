'use client';

import { CertificatesSection } from '../../components/certificates-section';

export default function CertificatesPage() {
  return <CertificatesSection />;
}
