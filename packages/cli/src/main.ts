import { parseArgs } from 'node:util';
import { configExport, configImport } from './commands/config-files';
import { credentialsCreate, credentialsDelete, credentialsList, credentialsShow, credentialsUpdate } from './commands/credentials';
import { backendsAdd, backendsDrain, backendsList, backendsRemove } from './commands/backends';
import { acmeAccountCreate, acmeAccounts, acmeIssue, acmeRenew } from './commands/acme';
import { certsDelete, certsList, certsRotate, certsShow, certsUpload } from './commands/certs';
import { deployAbort, deployList, deployStart, deployStatus } from './commands/deploy';
import { listenersCreate, listenersDelete, listenersList, listenersShow } from './commands/listeners';
import { poolsList } from './commands/pools';
import { profilesCreate, profilesDelete, profilesList, profilesShow, profilesUpdate } from './commands/profiles';
import { revisionsList, revisionsRollback } from './commands/revisions';
import { routesAdd, routesDelete, routesList, routesTest, routesUpdate } from './commands/routes';
import type { Command, Flags, Io } from './context';
import { cliEnv } from './env';
import { ApiError, UsageError } from './errors';
import { RestClient } from './rest-client';
import { caFetch } from './ca-fetch';

export const USAGE = `fulcrumctl: Fulcrum from the command line and CI (REST /api/v1)

  fulcrumctl [--url URL] [--token T] [--json] COMMAND

  pools list
  listeners list
  listeners show   NAME                      (its routes in match order)
  listeners create NAME --port N [--address A] [--protocol http|tcp] [--pool P]
                   (--pool: one catch-all route to P; a tcp listener needs it)
  listeners delete NAME
  routes list   --listener L
  routes add    --listener L NAME [--host H ...] [--path /p [--path-type prefix|exact|regex]]
                [--method M ...] [--priority N] [--file ROUTE.json]
                (--pool P | --redirect URL [--status 308] | --status N [--body TEXT])
  routes update --listener L NAME [the same flags: only what is given changes]
  routes delete --listener L NAME
  routes test   --listener L URL [--method M] [--header "Name: value" ...]
                which route the URL takes and why (exit 1: none, the proxy answers 404)
  backends list   --pool P
  backends add    --pool P HOST:PORT [--weight N] [--version LABEL] [--backup]
  backends remove --pool P HOST:PORT
  backends drain  --pool P HOST:PORT
  deploy start    --pool P --version V --backend HOST:PORT [--backend ...]
                  [--strategy canary|bluegreen] [--steps 10,50,100] [--pause 10s]
  deploy start    --pool P --version V --strategy rolling [--rule R]
                  [--max-surge 1] [--max-unavailable 0] [--pause 10s]   (the pool's provider starts V)
                  [--max-error-rate 0.05] [--min-requests 1] [--healthy-timeout 60s] [--drain-timeout 30s]
                  [--idempotency-key K] [--wait [--timeout 30m]]
  deploy status   ID [--wait]
  deploy abort    ID
  deploy list     --pool P
  revisions list  [--limit N]
  revisions rollback VERSION [--message TEXT]
  profiles list
  profiles show   NAME
  profiles create --file PROFILE.json        (admin; - reads stdin)
  profiles update NAME --file PROFILE.json   (admin; secret left out is kept)
  profiles delete NAME                       (admin; only when no rule uses it)
  credentials list                           database logins for postgres/mysql health checks
  credentials show   NAME
  credentials create NAME --user U --password-file FILE   (admin; - reads stdin)
  credentials update NAME [--user U] [--password-file FILE]  (admin)
  credentials delete NAME                    (admin; only when no pool's check uses it)
  certs list                                 (TLS certificates, days left, listeners serving them)
  certs show   NAME
  certs upload NAME --cert CHAIN.pem --key KEY.pem   (admin; chain leaf first; the key is never shown again)
  certs rotate NAME --cert CHAIN.pem --key KEY.pem   (admin; same id, new connections get it)
  certs delete NAME                          (admin; only when no listener serves it)
  certs acme-accounts                        (ACME accounts and the certificates each renews)
  certs acme-account NAME --directory URL --email EMAIL --agree-tos [--directory-ca CA.pem]   (admin; registers at the CA)
  certs issue NAME --account ACCOUNT (--host H ... | --listener L) [--renew-before DAYS]     (admin; ACME HTTP-01, renewed automatically)
  certs renew NAME                           (admin; an ACME certificate, now)
  import FILE     [--format nginx|haproxy] [--apply [--replace]]
                  an nginx.conf or haproxy.cfg as pools: prints the plan (what becomes
                  what, warnings, what is not supported, each with its line); --apply
                  applies it as one revision; --replace replaces pools that exist
  export          --format nginx|haproxy --pool P   (the pool's config on stdout)

  --url / FULCRUM_URL      the control plane, e.g. http://fulcrum.internal:3000
  --token / FULCRUM_TOKEN  an API token (operator role to change things)
  --ca / FULCRUM_CA        PEM CA that issued an https control plane's certificate (a private CA)
  --json                   machine-readable output
  --reason TEXT            why: becomes the config revision's message

Exit codes: 0 ok, 1 failed (a deploy that did not succeed, an API error), 2 usage, 3 wait timed out.`;

const COMMANDS: Record<string, Command> = {
  'pools list': poolsList,
  'listeners list': listenersList,
  'listeners show': listenersShow,
  'listeners create': listenersCreate,
  'listeners delete': listenersDelete,
  'routes list': routesList,
  'routes add': routesAdd,
  'routes update': routesUpdate,
  'routes delete': routesDelete,
  'routes test': routesTest,
  'backends list': backendsList,
  'backends add': backendsAdd,
  'backends remove': backendsRemove,
  'backends drain': backendsDrain,
  'deploy start': deployStart,
  'deploy status': deployStatus,
  'deploy abort': deployAbort,
  'deploy list': deployList,
  'revisions list': revisionsList,
  'revisions rollback': revisionsRollback,
  'profiles list': profilesList,
  'profiles show': profilesShow,
  'profiles create': profilesCreate,
  'profiles update': profilesUpdate,
  'profiles delete': profilesDelete,
  'credentials list': credentialsList,
  'credentials show': credentialsShow,
  'credentials create': credentialsCreate,
  'credentials update': credentialsUpdate,
  'credentials delete': credentialsDelete,
  'certs list': certsList,
  'certs show': certsShow,
  'certs upload': certsUpload,
  'certs rotate': certsRotate,
  'certs delete': certsDelete,
  'certs acme-accounts': acmeAccounts,
  'certs acme-account': acmeAccountCreate,
  'certs issue': acmeIssue,
  'certs renew': acmeRenew,
};

/** Commands of one word; what follows them are its arguments. */
const SINGLE_COMMANDS: Record<string, Command> = { import: configImport, export: configExport };

const stringFlags = [
  'url',
  'token',
  'ca',
  'pool',
  'version',
  'strategy',
  'steps',
  'pause',
  'max-error-rate',
  'min-requests',
  'healthy-timeout',
  'drain-timeout',
  'idempotency-key',
  'rule',
  'max-surge',
  'max-unavailable',
  'weight',
  'timeout',
  'interval',
  'limit',
  'message',
  'reason',
  'file',
  'format',
  'user',
  'password-file',
  'cert',
  'key',
  'directory',
  'email',
  'directory-ca',
  'account',
  'renew-before',
  'listener',
  'port',
  'address',
  'protocol',
  'path',
  'path-type',
  'priority',
  'redirect',
  'status',
  'body',
] as const;

const defaultIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Runs one command line; returns the exit code (never exits the process itself, so tests can call it). */
export async function main(argv: string[], io: Io = defaultIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(stringFlags.map((f) => [f, { type: 'string' as const }])),
        backend: { type: 'string', multiple: true },
        host: { type: 'string', multiple: true },
        method: { type: 'string', multiple: true },
        header: { type: 'string', multiple: true },
        backup: { type: 'boolean' },
        'agree-tos': { type: 'boolean' },
        apply: { type: 'boolean' },
        replace: { type: 'boolean' },
        wait: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const values = parsed.values as Flags & { url?: string; token?: string; ca?: string; help?: boolean };
  const [group, verb, ...rest] = parsed.positionals;
  if (values.help || !group) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  const single = SINGLE_COMMANDS[group];
  const command = single ?? COMMANDS[`${group} ${verb ?? ''}`];
  const args = single ? parsed.positionals.slice(1) : rest;
  if (!command) {
    io.err(`unknown command "${[group, verb].filter(Boolean).join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  const env_ = cliEnv(env);
  const url = values.url ?? env_.url;
  const token = values.token ?? env_.token;
  if (!url || !token) {
    io.err('say where and who: --url and --token, or FULCRUM_URL and FULCRUM_TOKEN');
    return 2;
  }
  const json = values.json ?? false;
  const caFile = values.ca ?? env_.ca;
  let fetchImpl: typeof fetch = fetch;
  try {
    if (caFile) fetchImpl = caFetch(caFile);
  } catch (err) {
    io.err((err as Error).message);
    return 2;
  }
  try {
    return await command({
      api: new RestClient(url, token, fetchImpl),
      flags: values,
      args,
      io,
      print: (value, human) => io.out(json ? JSON.stringify(value, null, 2) : human()),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n(fulcrumctl --help shows every command)`);
      return 2;
    }
    if (err instanceof ApiError) {
      io.err(json ? JSON.stringify({ error: err.message, status: err.status, fieldErrors: err.fieldErrors }) : err.describe());
      return 1;
    }
    throw err;
  }
}
