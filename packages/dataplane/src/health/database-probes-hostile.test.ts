import { type Socket, createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { probeMysql } from './mysql-probe';
import { probePostgres } from './postgres-probe';
import { WireError } from './wire-session';

/**
 * What a hostile or broken server can answer a database check: every answer ends in a failed
 * check with a WireError and its reason, within the check's timeout, with the socket closed;
 * never another exception type (a parser running off its buffer), a hang or a crash.
 */

type Script = (socket: Socket, received: Buffer[]) => void;
const servers: { close(): void }[] = [];
afterAll(() => servers.forEach((s) => s.close()));

/** A server that answers each client write with `script` (socket, everything received so far). */
async function hostile(script: Script, onConnect?: (s: Socket) => void): Promise<number> {
  const srv = createServer((s) => {
    s.on('error', () => {});
    const received: Buffer[] = [];
    onConnect?.(s);
    s.on('data', (c) => {
      received.push(c);
      if (!s.destroyed) script(s, received);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return (srv.address() as { port: number }).port;
}

// The probe's timeout covers its whole exchange: a generous one, so a loaded machine fails each case
// on what the server sent, never on the clock (only the silent server's case is about the timeout).
const login = (port: number, timeoutMs = 10_000) => ({ host: '127.0.0.1', port, user: 'u', database: 'd', password: 'p', timeoutMs });

async function failure(p: Promise<unknown>): Promise<WireError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the probe must fail').toBeInstanceOf(WireError);
  return err as WireError;
}

// --- PostgreSQL messages ---
const pg = (type: string, body: Buffer) => {
  const h = Buffer.alloc(5);
  h.write(type, 0, 'latin1');
  h.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const AUTH_OK = pg('R', i32(0));
const READY = pg('Z', Buffer.from('I'));
const row = (...values: (string | null)[]) => pg('D', Buffer.concat([i16(values.length), ...values.map((v) => (v === null ? i32(-1) : Buffer.concat([i32(Buffer.byteLength(v)), Buffer.from(v)])))]));
/** A whole trust-auth exchange of a replica, as one answer to the startup message. */
const PG_TRANSCRIPT = Buffer.concat([
  AUTH_OK,
  pg('S', Buffer.from('server_version\x0015.1\x00')),
  READY,
  pg('T', Buffer.concat([i16(0)])),
  row('true', '0.5', 'true'),
  pg('C', Buffer.from('SELECT 1\x00')),
  READY,
]);

/** Answers the startup with `first`, the next client message with `second`. */
const pgScript =
  (first: Buffer, second?: Buffer): Script =>
  (s, received) => {
    if (received.length === 1) s.write(first);
    else if (received.length === 2 && second) s.write(second);
  };

const saslContinue = (text: string) => pg('R', Buffer.concat([i32(11), Buffer.from(text)]));

/** The client's nonce from its SASLInitialResponse. */
const clientNonce = (received: Buffer[]) => /r=([^,\s\x00]+)/.exec(received[1]!.toString('latin1'))?.[1] ?? '';

describe('a PostgreSQL check against a hostile server', () => {
  it('reads a well-formed trust exchange (the corpus below mutates it)', async () => {
    expect(await probePostgres(login(await hostile(pgScript(PG_TRANSCRIPT))))).toEqual({ writable: false, lagSeconds: 0.5, caughtUp: true });
  });

  const cases: [string, Script, RegExp][] = [
    ['an HTTP answer', pgScript(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), /not PostgreSQL's protocol/],
    ['a length below 4', pgScript(Buffer.from([0x52, 0, 0, 0, 1])), /not PostgreSQL's protocol/],
    ['a 2 GB length', pgScript(Buffer.from([0x52, 0x7f, 0xff, 0xff, 0xff])), /not PostgreSQL's protocol/],
    ['a request for the password in clear', pgScript(pg('R', i32(3))), /authentication method 3/],
    ['an unknown auth method', pgScript(pg('R', i32(99))), /authentication method 99/],
    ['a truncated md5 salt', pgScript(pg('R', Buffer.concat([i32(5), Buffer.from([1, 2])]))), /truncated/],
    ['SASL without SCRAM-SHA-256', pgScript(pg('R', Buffer.concat([i32(10), Buffer.from('SCRAM-SHA-1\x00\x00')]))), /offers only SCRAM-SHA-1/],
    ['SASL mechanisms without the end', pgScript(pg('R', Buffer.concat([i32(10), Buffer.from('SCRAM-SHA-256')]))), /truncated/],
    [
      'a billion SCRAM iterations',
      (s, r) =>
        r.length === 1 ? s.write(pg('R', Buffer.concat([i32(10), Buffer.from('SCRAM-SHA-256\x00\x00')]))) : r.length === 2 && s.write(saslContinue(`r=${clientNonce(r)}xyz,s=c2FsdA==,i=1000000000`)),
      /1000000000 SCRAM iterations/,
    ],
    [
      'a SCRAM nonce that is not ours',
      (s, r) => (r.length === 1 ? s.write(pg('R', Buffer.concat([i32(10), Buffer.from('SCRAM-SHA-256\x00\x00')]))) : r.length === 2 && s.write(saslContinue('r=other,s=c2FsdA==,i=4096'))),
      /nonce that is not ours/,
    ],
    [
      'a wrong SCRAM server signature',
      (s, r) => {
        if (r.length === 1) s.write(pg('R', Buffer.concat([i32(10), Buffer.from('SCRAM-SHA-256\x00\x00')])));
        else if (r.length === 2) s.write(saslContinue(`r=${clientNonce(r)}xyz,s=c2FsdA==,i=16`));
        else if (r.length === 3) s.write(pg('R', Buffer.concat([i32(12), Buffer.from('v=AAAA')])));
      },
      /failed SCRAM verification/,
    ],
    [
      'login OK without finishing SCRAM',
      (s, r) => (r.length === 1 ? s.write(pg('R', Buffer.concat([i32(10), Buffer.from('SCRAM-SHA-256\x00\x00')]))) : r.length === 2 && s.write(Buffer.concat([AUTH_OK, READY]))),
      /skipped SCRAM verification/,
    ],
    ['an error with control characters', pgScript(pg('E', Buffer.from('SFATAL\x00Mno\x1b[31m way\x00C28000\x00\x00'))), /login refused: no \[31m way \(28000\)/],
    ['a data row shorter than it says', pgScript(Buffer.concat([AUTH_OK, READY]), Buffer.concat([pg('D', Buffer.concat([i16(3), i32(100)])), READY])), /truncated/],
    ['a row of the wrong shape', pgScript(Buffer.concat([AUTH_OK, READY]), Buffer.concat([row('yes'), READY])), /did not answer the role query/],
    ['no row at all', pgScript(Buffer.concat([AUTH_OK, READY]), READY), /did not answer the role query/],
    ['an endless stream of notices', pgScript(Buffer.concat(Array.from({ length: 1100 }, () => pg('N', Buffer.from(`M${'x'.repeat(1000)}\x00\x00`))))), /more than 1048576 bytes/],
    ['silence', () => {}, /no answer within 300 ms/],
    ['a close', (s) => s.destroy(), /closed the connection/],
  ];
  for (const [name, script, reason] of cases) {
    it(`fails on ${name}`, async () => {
      const err = await failure(probePostgres(login(await hostile(script), name === 'silence' ? 300 : undefined)));
      expect(err.message).toMatch(reason);
    });
  }
});

// --- MySQL packets ---
const packet = (seq: number, payload: Buffer) => {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
};
const lenenc = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const HANDSHAKE = packet(
  0,
  Buffer.concat([
    Buffer.from([10]),
    Buffer.from('10.11.6-MariaDB\x00'),
    Buffer.from([1, 0, 0, 0]),
    Buffer.from('abcdefgh'),
    Buffer.from([0]),
    Buffer.from([0xff, 0xf7]), // capabilities low: PROTOCOL_41, SECURE_CONNECTION…
    Buffer.from([45, 2, 0]),
    Buffer.from([0xff, 0x81]), // capabilities high: PLUGIN_AUTH…
    Buffer.from([21]),
    Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\x00'),
    Buffer.from('mysql_native_password\x00'),
  ]),
);
const OK = (seq: number) => packet(seq, Buffer.from([0, 0, 0, 2, 0, 0, 0]));
const EOF_PACKET = (seq: number) => packet(seq, Buffer.from([0xfe, 0, 0, 2, 0]));
const column = (seq: number, name: string) =>
  packet(seq, Buffer.concat([lenenc('def'), lenenc(''), lenenc(''), lenenc(''), lenenc(name), lenenc(name), Buffer.from([0x0c, 33, 0, 0, 1, 0, 0xfd, 0, 0, 0, 0, 0])]));
const resultSet = (names: string[], rows: string[][]) => {
  let seq = 1;
  return Buffer.concat([
    packet(seq++, Buffer.from([names.length])),
    ...names.map((n) => column(seq++, n)),
    EOF_PACKET(seq++),
    ...rows.map((r) => packet(seq++, Buffer.concat(r.map(lenenc)))),
    EOF_PACKET(seq++),
  ]);
};
const VARS_WRITABLE = resultSet(['Variable_name', 'Value'], [['read_only', 'OFF']]);

/** Greets with the handshake, then answers the n-th client packet with answers[n]. */
const mysqlScript = (answers: Buffer[]): [Script, (s: Socket) => void] => [(s, r) => answers[r.length - 1] && s.write(answers[r.length - 1]!), (s) => s.write(HANDSHAKE)];

describe('a MySQL check against a hostile server', () => {
  it('reads a well-formed exchange (the corpus below mutates it)', async () => {
    const [script, greet] = mysqlScript([OK(2), VARS_WRITABLE]);
    expect(await probeMysql(login(await hostile(script, greet)))).toMatchObject({ writable: true });
  });

  const handshakeWith = (patch: (b: Buffer) => Buffer) => patch(Buffer.from(HANDSHAKE));
  const cases: [string, Buffer | null, Buffer[], RegExp][] = [
    ['handshake version 9', handshakeWith((b) => ((b[4] = 9), b)), [], /handshake 9/],
    ['a truncated handshake', packet(0, Buffer.from([10, 0x41])), [], /truncated/],
    ['an error instead of a handshake', packet(0, Buffer.concat([Buffer.from([0xff, 0x6a, 0x04]), Buffer.from('Host is blocked\x07')])), [], /login refused: Host is blocked \(1130\)/],
    ['a switch to an unknown auth plugin', null, [packet(2, Buffer.from('\xfedialog\x00xx', 'latin1'))], /auth plugin dialog/],
    ['endless auth switches', null, Array.from({ length: 8 }, (_, i) => packet(2 + 2 * i, Buffer.from('\xfemysql_native_password\x0001234567890123456789\x00', 'latin1'))), /keeps asking/],
    ['a full caching_sha2 login', null, [packet(2, Buffer.from('\xfecaching_sha2_password\x0001234567890123456789\x00', 'latin1')), packet(4, Buffer.from([1, 4]))], /wants a full login/],
    ['a column count of 200000', null, [OK(2), packet(1, Buffer.from([0xfd, 0x40, 0x0d, 0x03]))], /invalid column count/],
    ['a 2^40 length', null, [OK(2), packet(1, Buffer.from([0xfe, 0, 0, 0, 0, 1, 0, 0, 0]))], /beyond any answer/],
    ['a column list without its end', null, [OK(2), Buffer.concat([packet(1, Buffer.from([1])), column(2, 'x'), packet(3, Buffer.from([0x00]))])], /did not end the column list/],
    [
      'rows without end',
      null,
      [
        OK(2),
        resultSet(
          ['Variable_name', 'Value'],
          Array.from({ length: 100 }, () => ['read_only', 'ON']),
        ).subarray(0, -9),
      ],
      /more than 64 rows/,
    ],
    ['no read_only', null, [OK(2), resultSet(['Variable_name', 'Value'], [])], /did not report read_only/],
    ['a lag that is not a number', null, [OK(2), resultSet(['Variable_name', 'Value'], [['read_only', 'ON']]), resultSet(['Seconds_Behind_Master'], [['1e9999']])], /not a number/],
  ];
  for (const [name, greeting, answers, reason] of cases) {
    it(`fails on ${name}`, async () => {
      const [script] = mysqlScript(answers);
      const err = await failure(probeMysql(login(await hostile(script, (s) => s.write(greeting ?? HANDSHAKE)))));
      expect(err.message).toMatch(reason);
    });
  }
});

describe('database checks against mutated transcripts (fuzz)', () => {
  /** A small seeded generator, so a failure names a case that can be replayed. */
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  }
  function mutate(base: Buffer, rand: () => number): Buffer {
    const b = Buffer.from(base);
    const edits = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < edits; i++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    return rand() < 0.3 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
  }

  it('PostgreSQL: 300 mutated answers each end in facts or a WireError, never another error or a hang', async () => {
    const rand = rng(17);
    let current: Buffer = PG_TRANSCRIPT;
    const port = await hostile((s, r) => r.length === 1 && s.end(current));
    for (let i = 0; i < 300; i++) {
      current = mutate(PG_TRANSCRIPT, rand);
      const outcome = await probePostgres(login(port, 1000)).then(
        () => 'facts',
        (e: unknown) => (e instanceof WireError ? 'wire-error' : e),
      );
      expect([`case ${i}`, outcome]).toEqual([`case ${i}`, expect.stringMatching(/^(facts|wire-error)$/)]);
    }
  });

  it('MySQL: 300 mutated answers each end in facts or a WireError, never another error or a hang', async () => {
    const rand = rng(42);
    let greeting: Buffer = HANDSHAKE;
    let answers: Buffer[] = [];
    // The last answer closes the connection, so a probe left waiting ends at once rather than at its timeout.
    const port = await hostile(
      (s, r) => {
        const answer = answers[r.length - 1];
        if (answer && r.length === answers.length) s.end(answer);
        else if (answer) s.write(answer);
      },
      (s) => (answers.length ? s.write(greeting) : s.end(greeting)),
    );
    for (let i = 0; i < 300; i++) {
      const which = Math.floor(rand() * 3);
      greeting = which === 0 ? mutate(HANDSHAKE, rand) : HANDSHAKE;
      answers = which === 0 ? [] : which === 1 ? [mutate(OK(2), rand)] : [OK(2), mutate(VARS_WRITABLE, rand)];
      const outcome = await probeMysql(login(port, 1000)).then(
        () => 'facts',
        (e: unknown) => (e instanceof WireError ? 'wire-error' : e),
      );
      expect([`case ${i}`, outcome]).toEqual([`case ${i}`, expect.stringMatching(/^(facts|wire-error)$/)]);
    }
  });
});
