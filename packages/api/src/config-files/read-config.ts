import type { TConfigFormat } from '@fulcrum/protocol';
import { ConfigSyntaxError } from './config-syntax-error';
import { importHaproxy } from './haproxy-import';
import { ImportDraft } from './import-draft';
import { importNginx } from './nginx-import';

/** Reads a file of either format into a draft; a syntax error becomes a 400 worded as the tool would word it. */
export function readConfig(format: TConfigFormat, text: string, fileName?: string): ImportDraft {
  const draft = new ImportDraft();
  try {
    if (format === 'nginx') importNginx(text, draft);
    else importHaproxy(text, draft);
  } catch (err) {
    if (err instanceof ConfigSyntaxError) throw err.toAppError(format, fileName || (format === 'nginx' ? 'nginx.conf' : 'haproxy.cfg'));
    throw err;
  }
  return draft;
}
