'use client';

import { EventsList } from '../../components/events-list';
import { usePageTitle } from '../../lib/use-page-title';

export default function EventsPage() {
  usePageTitle('Events');
  return (
    <section className="card">
      <h1>Events</h1>
      <EventsList limit={200} />
    </section>
  );
}
