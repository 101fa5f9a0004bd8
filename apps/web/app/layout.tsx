import { HydrationBoundary } from '@tanstack/react-query';
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Nav } from '../components/nav';
import { SessionGate } from '../lib/session';
import { requestApi } from '../lib/server-prefetch';
import { ToastProvider } from '../lib/toast';
import { Providers } from '../lib/trpc';
import './globals.css';

export const metadata: Metadata = { title: 'Fulcrum', description: 'Load balancer control plane' };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // A signed-in session's answer comes with the HTML, so the page renders on the server at once
  // instead of a "Loading" that waits for the browser to ask. Anonymous visitors get nothing.
  const api = await requestApi();
  const session = api && (await api.signedIn()) ? api.dehydrate() : undefined;
  return (
    <html lang="en">
      <body>
        <Providers>
          <HydrationBoundary state={session}>
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
          </HydrationBoundary>
        </Providers>
      </body>
    </html>
  );
}
