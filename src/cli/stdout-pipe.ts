/**
 * `albert tokenize … | head -2`: once the reader of stdout has gone, nobody wants the rest,
 * so the command ends quietly with exit 0, as `cat` and `grep` do. Node ignores SIGPIPE and
 * reports the closed pipe as an EPIPE 'error' on process.stdout instead; without a listener
 * that is an uncaught exception, and a command awaiting 'drain' gets it as a rejection.
 */

/**
 * Ends the process with exit 0, printing nothing, when stdout's reader closes. Exiting at
 * once, rather than unwinding the command, is safe because nothing that writes to stdout
 * keeps state: the pipeline jobs write their data to files (their stdout stays silent) and
 * commit it crash-safely anyway, and the commands that do write to stdout (tokenize,
 * inspect, doctor, status, convert, `--json`) only read or have finished their work
 * (`submit --json --wait` stops waiting; its shards stay queued and committed).
 */
export function endQuietlyWhenStdoutCloses(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    // Any other failure (a full disk behind `> file`) must not pass for success, nor be
    // swallowed by this listener, which keeps Node from reporting it.
    process.stderr.write(`albert: ALB_OUTPUT_IO: cannot write to stdout: ${err.message}${err.code ? ` (${err.code})` : ''}\n`);
    process.exit(1);
  });
}
