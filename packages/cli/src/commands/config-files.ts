import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CONFIG_TEXT_LIMIT, type TConfigNote, type TImportPlan, ZConfigFormat, ZImportPlan, ZPoolExport, guessConfigFormat } from '@fulcrum/protocol';
import type { Command } from '../context';
import { UsageError } from '../errors';

function formatFlag(value: string | undefined) {
  if (value === undefined) return undefined;
  const parsed = ZConfigFormat.safeParse(value);
  if (!parsed.success) throw new UsageError(`--format must be nginx or haproxy (got "${value}")`);
  return parsed.data;
}

/** `fulcrumctl import FILE [--format nginx|haproxy] [--apply [--replace]]`: the server plans (and applies) it. */
export const configImport: Command = async ({ api, flags, args, print }) => {
  const [file, extra] = args;
  if (!file || extra !== undefined) throw new UsageError('give one file: fulcrumctl import nginx.conf (- reads stdin)');
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (text.length > CONFIG_TEXT_LIMIT) throw new UsageError(`${file} is longer than ${CONFIG_TEXT_LIMIT} characters`);
  const fileName = file === '-' ? 'stdin' : basename(file);
  const format = formatFlag(flags.format) ?? guessConfigFormat(fileName, text);
  if (!format) throw new UsageError(`cannot tell whether ${file} is NGINX or HAProxy: say --format nginx or --format haproxy`);
  if (flags.replace && !flags.apply) throw new UsageError('--replace goes with --apply (the dry run already shows which pools would be replaced)');
  const plan = await api.request('POST', '/import', ZImportPlan, {
    format,
    text,
    fileName,
    apply: flags.apply ?? false,
    replace: flags.replace ?? false,
    ...(flags.reason ? { reason: flags.reason } : {}),
  });
  print(plan, () => describePlan(plan, fileName));
  return plan.errors.length ? 1 : 0;
};

const note = (n: TConfigNote) => `  line ${String(n.line).padEnd(4)} ${n.directive}: ${n.message}`;

export function describePlan(plan: TImportPlan, fileName: string): string {
  const out = [`${fileName} (${plan.format}): ${plan.pools.length} pool${plan.pools.length === 1 ? '' : 's'}`];
  for (const p of plan.pools) {
    const c = p.config;
    out.push(
      '',
      `${p.action === 'create' ? '+' : '~'} pool ${p.name} from ${p.from.block} (line ${p.from.line}) — ${p.action}`,
      `    ${c.protocol} on ${c.listenHost}:${c.listenPort}, ${c.algorithm}, ${p.backends.length} backend(s)`,
    );
    for (const m of p.mappings) out.push(`    line ${String(m.line).padEnd(4)} ${m.directive}  →  ${m.message}`);
  }
  if (plan.warnings.length) out.push('', 'Warnings (imported, but behaves differently):', ...plan.warnings.map(note));
  if (plan.unsupported.length) out.push('', 'Not supported (not imported):', ...plan.unsupported.map(note));
  if (plan.errors.length) out.push('', 'Errors (fix these before --apply):', ...plan.errors.map(note));
  out.push('', plan.applied ? `Applied as revision ${plan.applied.revision}.` : 'Dry run: nothing changed. Run again with --apply to apply it as one revision.');
  return out.join('\n');
}

/** `fulcrumctl export --format nginx|haproxy --pool NAME`: the file on stdout. */
export const configExport: Command = async ({ api, flags, args, io, print }) => {
  if (args.length) throw new UsageError('export takes no positional arguments: fulcrumctl export --format nginx --pool web');
  const format = formatFlag(flags.format);
  if (!format) throw new UsageError('--format nginx or --format haproxy is required');
  if (!flags.pool) throw new UsageError('--pool is required');
  const file = await api.request('GET', `/pools/${encodeURIComponent(flags.pool)}/export?format=${format}`, ZPoolExport);
  if (flags.json) print(file, () => '');
  else io.out(file.text.replace(/\n$/, ''));
  return 0;
};
