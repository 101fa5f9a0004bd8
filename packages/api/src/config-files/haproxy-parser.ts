import { ConfigSyntaxError } from './config-syntax-error';

export const HAPROXY_SECTIONS = ['global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'mailers', 'cache', 'program', 'http-errors', 'ring'] as const;
export type HaproxySectionKind = (typeof HAPROXY_SECTIONS)[number];

/** One configuration line, split into words as HAProxy does. */
export interface HaproxyLine {
  words: string[];
  line: number;
}

export interface HaproxySection {
  kind: HaproxySectionKind;
  name: string;
  line: number;
  lines: HaproxyLine[];
}

/** HAProxy's own limits (LINESIZE, MAX_LINE_ARGS). */
const MAX_LINE = 2048;
const MAX_WORDS = 64;
const NEEDS_NAME = new Set<HaproxySectionKind>(['frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'mailers', 'cache', 'program', 'http-errors', 'ring']);

/**
 * Reads a haproxy.cfg as HAProxy's parse_line does: one statement per line, words split on
 * blanks, `#` starts a comment, `\` escapes, "…" and '…' quote; a section keyword at the start
 * of a line opens a section. Refusals are worded as `haproxy -c` words them.
 */
export function parseHaproxy(text: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const raw = lines[index]!.replace(/\r$/, '');
    if (raw.length > MAX_LINE) throw new ConfigSyntaxError(lineNo, `line too long (more than ${MAX_LINE} characters)`);
    const words = splitWords(raw, lineNo);
    if (!words.length) continue;
    const keyword = words[0]!;
    if ((HAPROXY_SECTIONS as readonly string[]).includes(keyword)) {
      const kind = keyword as HaproxySectionKind;
      const name = words[1] ?? '';
      if (NEEDS_NAME.has(kind) && !name) throw new ConfigSyntaxError(lineNo, `'${kind}' expects <name> as an argument.`);
      if (['frontend', 'backend', 'listen'].includes(kind)) {
        const key = `${kind === 'frontend' ? 'f' : kind === 'backend' ? 'b' : 'fb'}:${name}`;
        for (const side of key.split(':')[0]!) {
          const clash = seen.get(`${side}:${name}`);
          if (clash !== undefined) throw new ConfigSyntaxError(lineNo, `${kind} '${name}' has the same name as another proxy declared at line ${clash}.`);
        }
        for (const side of key.split(':')[0]!) seen.set(`${side}:${name}`, lineNo);
      }
      sections.push({ kind, name, line: lineNo, lines: [] });
      continue;
    }
    const current = sections[sections.length - 1];
    if (!current) throw new ConfigSyntaxError(lineNo, `unknown keyword '${keyword}' out of section.`);
    current.lines.push({ words, line: lineNo });
  }
  return sections;
}

function splitWords(raw: string, lineNo: number): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < raw.length) {
        const [text, used] = escaped(raw, i + 1, lineNo);
        word += text;
        i += used;
      } else word += c;
      continue;
    }
    if (c === '#') break;
    if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
      continue;
    }
    word ??= '';
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\') {
      if (i + 1 >= raw.length) throw new ConfigSyntaxError(lineNo, 'line ends with a backslash (HAProxy has no line continuation)');
      const [text, used] = escaped(raw, i + 1, lineNo);
      word += text;
      i += used;
    } else word += c;
    if (words.length >= MAX_WORDS) throw new ConfigSyntaxError(lineNo, `too many words, truncating at word ${MAX_WORDS + 1}`);
  }
  if (quote) throw new ConfigSyntaxError(lineNo, `unmatched quote at position ${raw.lastIndexOf(quote) + 1}`);
  if (word !== null) words.push(word);
  return words;
}

/** The character a backslash sequence at `i` stands for, and how many characters it used after the backslash. */
function escaped(raw: string, i: number, lineNo: number): [string, number] {
  const c = raw[i]!;
  if (c === 'n') return ['\n', 1];
  if (c === 'r') return ['\r', 1];
  if (c === 't') return ['\t', 1];
  if (c === 'x') {
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new ConfigSyntaxError(lineNo, `truncated or invalid hexadecimal sequence at position ${i}`);
    return [String.fromCharCode(parseInt(hex, 16)), 3];
  }
  return [c, 1];
}
