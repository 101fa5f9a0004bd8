import process from 'node:process';
let failedWrites = 0;
let guarded = false;

/**
 * A data plane never dies because a log line could not be written: stdout and stderr may be a
 * pipe whose reader is gone (EPIPE, the control plane that started it was killed), a terminal
 * that went away (EIO) or a full disk (ENOSPC). Without a listener, the stream's error event
 * would be thrown and end the process; here it is counted (shown by the admin /health) and
 * the stream's later writes are dropped.
 */
export function guardLogOutput(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      failedWrites++;
    });
  }
}

/** How many log writes failed since the process started. */
export function failedLogWrites(): number {
  return failedWrites;
}
