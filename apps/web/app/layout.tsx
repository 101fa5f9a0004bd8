import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Nav } from '../components/nav';
import { SessionGate } from '../lib/session';
import { ToastProvider } from '../lib/toast';
import { Providers } from '../lib/trpc';
import './globals.css';

export const metadata: Metadata = { title: 'Fulcrum', description: 'Load balancer control plane' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <ToastProvider>
            <SessionGate>
              <Nav />
              <main className="main">{children}</main>
            </SessionGate>
          </ToastProvider>
        </Providers>
      </body>
    </html>
  );
}
