import type { TFieldErrors } from '@fulcrum/protocol';

/** Wrappers of an API input that mean nothing to the person at the form (`patch.weight` is the weight). */
const WRAPPERS = new Set(['patch', 'rule', 'config', 'spec', 'input']);

/** Words for a schema path: `healthCheck.intervalMs` → "Health check interval (ms)", `backends.1.port` → "Backends line 2 port". */
export function humanPath(path: string): string {
  const words = path
    .split('.')
    .filter((seg, i) => !(i === 0 && WRAPPERS.has(seg)))
    .map((seg) => {
      if (/^\d+$/.test(seg)) return `line ${Number(seg) + 1}`;
      const unit = /(Ms|Seconds|Percent|Bytes)$/.exec(seg)?.[1];
      const base = unit ? seg.slice(0, -unit.length) : seg;
      const spaced = base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
      return unit ? `${spaced} (${unit === 'Percent' ? '%' : unit.toLowerCase()})` : spaced;
    })
    .join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One field's message as a sentence: "Weight must be at least 1", never "patch.weight: must be at least 1". */
export function humanFieldMessage(path: string, message: string): string {
  if (path === '_' || path === '') return message.charAt(0).toUpperCase() + message.slice(1);
  const last = path.split('.').pop() ?? path;
  // The schema's message often names the field already ("port must be a number").
  if (message.toLowerCase().startsWith(last.toLowerCase())) return humanPath(path) + message.slice(last.length);
  return /^(must|is|may|cannot|should|needs?)\b/.test(message) ? `${humanPath(path)} ${message}` : `${humanPath(path)}: ${message}`;
}

/** The first messages of a refusal, for a toast (the fields themselves show theirs beside them). */
export function humanFieldErrors(errors: TFieldErrors, most = 2): string {
  const lines = Object.entries(errors).flatMap(([path, messages]) => (messages[0] ? [humanFieldMessage(path, messages[0])] : []));
  const shown = lines.slice(0, most).join('; ');
  return lines.length > most ? `${shown} (and ${lines.length - most} more)` : shown;
}
