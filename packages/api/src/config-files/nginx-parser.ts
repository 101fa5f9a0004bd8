import { ConfigSyntaxError, MAX_NESTING } from './config-syntax-error';

/** One NGINX directive: `name args...;` or `name args... { block }`. */
export interface NginxDirective {
  name: string;
  args: string[];
  /** The line its name is on (1-based). */
  line: number;
  block: NginxDirective[] | null;
}

/** NGINX checks arguments per directive; none the importer reads takes more than a handful. */
const MAX_WORDS = 64;

/** Directives that take a block, by the block they appear in (`server` inside `upstream` does not). */
const BLOCK_DIRECTIVES = new Set(['http', 'events', 'stream', 'mail', 'server', 'upstream', 'location', 'if', 'map', 'geo', 'types', 'limit_except', 'split_clients', 'match']);
function takesBlock(name: string, parent: string | null): boolean | null {
  if (name === 'server') return parent !== 'upstream';
  if (BLOCK_DIRECTIVES.has(name)) return true;
  return KNOWN_SIMPLE.has(name) ? false : null;
}
// Directives whose block form would be a mistake the tool itself reports; unknown ones are
// accepted either way and reported as unsupported by the importer.
const KNOWN_SIMPLE = new Set([
  'proxy_pass',
  'listen',
  'server_name',
  'include',
  'least_conn',
  'ip_hash',
  'hash',
  'random',
  'keepalive',
  'proxy_connect_timeout',
  'proxy_read_timeout',
  'proxy_send_timeout',
  'proxy_timeout',
  'proxy_set_header',
  'root',
  'expires',
  'worker_processes',
  'user',
  'pid',
  'error_log',
  'access_log',
  'worker_connections',
  'zone',
  'sticky',
  'least_time',
  'ntlm',
]);

/**
 * Reads an nginx.conf as NGINX's ngx_conf_read_token does: words separated by blanks, `;` ends
 * a directive, `{`/`}` open and close blocks, `#` starts a comment where a word could start,
 * `"…"` / `'…'` quote with backslash escapes, `${var}` keeps its braces. One pass, no
 * backtracking; every refusal names its line the way `nginx -t` words it.
 */
export function parseNginx(text: string): NginxDirective[] {
  const root: NginxDirective[] = [];
  const stack: { list: NginxDirective[]; name: string | null }[] = [{ list: root, name: null }];
  let words: string[] = [];
  let firstLine = 0;
  let line = 1;
  let i = 0;
  const n = text.length;

  const finish = (withBlock: boolean, at: number) => {
    const top = stack[stack.length - 1]!;
    const [name, ...args] = words;
    if (name === undefined) throw new ConfigSyntaxError(at, `unexpected "${withBlock ? '{' : ';'}"`);
    const block = takesBlock(name, top.name);
    if (withBlock && block === false) throw new ConfigSyntaxError(at, `directive "${name}" is not terminated by ";"`);
    if (!withBlock && block === true) throw new ConfigSyntaxError(at, `directive "${name}" has no opening "{"`);
    const d: NginxDirective = { name, args, line: firstLine, block: withBlock ? [] : null };
    top.list.push(d);
    words = [];
    if (withBlock) {
      if (stack.length > MAX_NESTING) throw new ConfigSyntaxError(at, `blocks are nested deeper than ${MAX_NESTING} levels`);
      stack.push({ list: d.block!, name });
    }
  };

  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === ';' || c === '{') {
      finish(c === '{', line);
      i++;
      continue;
    }
    if (c === '}') {
      if (words.length) throw new ConfigSyntaxError(line, 'unexpected "}"');
      if (stack.length === 1) throw new ConfigSyntaxError(line, 'unexpected "}"');
      stack.pop();
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (words.length === 0) firstLine = line;
    if (words.length >= MAX_WORDS) throw new ConfigSyntaxError(line, `too many arguments (more than ${MAX_WORDS - 1})`);
    if (c === '"' || c === "'") {
      const start = line;
      let word = '';
      i++;
      for (;;) {
        if (i >= n) throw new ConfigSyntaxError(start, 'unexpected end of file, expecting ";" or "}"');
        const q = text[i]!;
        if (q === '\\' && i + 1 < n) {
          word += unescapeChar(text[i + 1]!);
          if (text[i + 1] === '\n') line++;
          i += 2;
          continue;
        }
        if (q === c) break;
        if (q === '\n') line++;
        word += q;
        i++;
      }
      i++;
      const next = text[i];
      if (next !== undefined && !/[\s;{})]/.test(next)) throw new ConfigSyntaxError(line, `unexpected "${next}"`);
      words.push(word);
      continue;
    }
    let word = '';
    while (i < n) {
      const w = text[i]!;
      if (w === '\\' && i + 1 < n && text[i + 1] !== '\n') {
        word += unescapeChar(text[i + 1]!);
        i += 2;
        continue;
      }
      if (w === '{' && word.endsWith('$')) {
        // `${name}`: the braces belong to the variable.
        const close = text.indexOf('}', i);
        if (close < 0 || /[\s;]/.test(text.slice(i + 1, close))) throw new ConfigSyntaxError(line, 'the closing bracket in variable name is missing');
        word += text.slice(i, close + 1);
        i = close + 1;
        continue;
      }
      if (/[\s;{}]/.test(w)) break;
      word += w;
      i++;
    }
    words.push(word);
  }
  if (words.length) throw new ConfigSyntaxError(line, 'unexpected end of file, expecting ";" or "}"');
  if (stack.length > 1) throw new ConfigSyntaxError(line, 'unexpected end of file, expecting "}"');
  return root;
}

function unescapeChar(c: string): string {
  if (c === 't') return '\t';
  if (c === 'r') return '\r';
  if (c === 'n') return '\n';
  if (c === '"' || c === "'" || c === '\\') return c;
  return `\\${c}`;
}
