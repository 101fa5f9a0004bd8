'use client';

import { EventsList } from '../../components/events-list';

export default function EventsPage() {
  return (
    <section className="card">
      <h1>Events</h1>
      <EventsList limit={200} />
    </section>
  );
}
