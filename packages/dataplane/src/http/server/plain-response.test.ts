import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { SocketWriter } from '../../io/socket-writer';
import { PlainResponse } from './plain-response';

const owner = { socket: {} as Socket, writer: {} as SocketWriter, responseEnded() {}, arm() {}, active() {}, internalError() {} };
const response = () => new PlainResponse(owner, false, true);

describe('PlainResponse head', () => {
  it.each([
    ['a CR in a value', ['X-A', 'one\rtwo']],
    ['an LF in a value', ['X-A', 'one\ntwo']],
    ['a NUL in a value', ['X-A', 'one\0']],
    ['a space in a name', ['X A', 'v']],
    ['a colon in a name', ['X:A', 'v']],
    ['an empty name', ['', 'v']],
  ])('refuses %s unless its fields come checked (the response parser’s own)', (_, headers) => {
    expect(response().writeHead(200, 'OK', headers)).toBe(false);
    expect(response().writeHead(200, 'OK', headers, false)).toBe(false);
  });

  it('takes ordinary fields, checked or not', () => {
    const headers = ['Content-Type', 'text/plain; charset=utf-8', 'X-Tab', 'a\tb', 'X-Obs', 'caf\xe9'];
    expect(response().writeHead(200, 'OK', headers)).toBe(true);
    expect(response().writeHead(200, 'OK', headers, true)).toBe(true);
  });
});
