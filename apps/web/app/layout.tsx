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
            {/* First in the tab order: past the navigation straight to the page. */}
            <a href="#main" className="skip-link">
              Skip to content
            </a>
            <SessionGate>
              <Nav />
              <main id="main" className="main" tabIndex={-1}>
                {children}
              </main>
            </SessionGate>
          </ToastProvider>
        </Providers>
      </body>
    </html>
  );
}
