import type { ClientRequest } from '../client-exchange';
import { headerValue } from '../headers';
import type { RequestHead } from '../request-head';

/**
 * Whether the listener serves a checked request itself: HTTP/1.1 without a body, an upgrade
 * or `Expect`. Anything else goes to node:http on the same connection.
 */
export function isPlain(head: RequestHead): boolean {
  return head.minor === 1 && head.length === 0 && head.upgrade === undefined && !head.expectContinue;
}

/** A bodiless HTTP/1.1 request the listener serves itself (see `isPlain`). */
export class PlainRequest implements ClientRequest {
  readonly body = undefined;
  readonly chunked = false;
  readonly protocol = 'HTTP/1.1';
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly framing: string[];
  /** The client asked to close after this answer (`Connection: close`). */
  readonly close: boolean;
  readonly lines: string | undefined;

  constructor(
    head: RequestHead,
    readonly clientIp: string,
    readonly secure = false,
  ) {
    this.method = head.method;
    this.url = head.url;
    this.rawHeaders = head.rawHeaders;
    this.framing = head.framing;
    this.close = head.close;
    this.lines = head.lines;
  }

  header(lowerName: string): string | undefined {
    return headerValue(this.rawHeaders, lowerName);
  }
}
