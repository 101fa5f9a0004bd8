import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';

/** Every API body (REST and tRPC, signed in or not) is refused past this size, before parsing. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Deeper JSON than any API input needs is refused before parsing (5,000 levels used to answer 500). */
export const JSON_DEPTH_LIMIT = 32;

export function bodyTooLarge(limit = BODY_LIMIT_BYTES): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`);
}

/**
 * The body as text, read up to `limit` bytes. A Content-Length over the limit is refused before
 * a byte is read; a chunked body is refused as soon as it passes the limit, and what was read
 * is dropped. Invalid UTF-8 is refused rather than replaced.
 */
export async function readBodyText(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<string> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw bodyTooLarge(limit);
  // Events rather than `for await`: leaving an async iterator destroys the socket, and the
  // client should get its 413 (the response closes the connection instead).
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (err) {
        req.pause();
        reject(err);
      } else resolve();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done(bodyTooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(err);
    const onAborted = () => done(new AppError('BAD_REQUEST', 'the request body was cut off'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
  } catch {
    throw new AppError('BAD_REQUEST', 'the request body is not valid UTF-8');
  }
}

/**
 * Refuses JSON nested deeper than `max` (arrays and objects), scanning the text once without
 * building anything: the check that protects the parser has to be cheaper than the parse.
 */
export function assertJsonDepth(text: string, max = JSON_DEPTH_LIMIT): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) throw new AppError('BAD_REQUEST', `JSON is nested deeper than ${max} levels`);
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
}

/** JSON text to a value: depth-checked, and a syntax error is a 400 that says so. */
export function parseJsonText(text: string): unknown {
  assertJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'the request body is not valid JSON');
  }
}
