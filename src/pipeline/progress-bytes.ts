/** What {@link DoneBytes} needs from a progress snapshot. */
export interface ReadAndDone {
  rowsRead: number;
  bytesRead: number;
  rowsDone: number;
  /** Tokens of the rows with an output. */
  tokens: number;
  /** Input bytes of the windows tokenized so far (done or in flight), counted like `bytesRead`, when the pipeline reports it. */
  bytesTokenized?: number;
  /** Tokens of the rows of those windows. */
  tokensTokenized?: number;
}

/**
 * How many input bytes are done: the bytes of the rows that have an output or a reject,
 * not the bytes read (reading runs up to three windows ahead of inference, and reads a
 * small input whole in its first second).
 *
 * The reader only reports a byte count for all rows read so far, so this keeps a map of
 * (rows read, bytes read) as they grow, one point per {@link observe}, and reads the
 * bytes of the first `n` rows off it by linear interpolation.
 *
 * Rows done are not a prefix of the rows read, though: each window runs its longest rows
 * first, so counting done rows as if they were average rows credits too few bytes early in
 * a window (a one-window job would look like its docs/s, climbing 8x), and the map is a
 * straight line over whatever the reader took in one burst (three windows at the start).
 * So when the pipeline also reports the bytes and tokens of the windows it has tokenized,
 * those bytes are split by tokens instead (bytes tokenized x tokens done / tokens
 * tokenized): a row's tokens, unlike its count, follow its bytes, and window ends are
 * exact byte positions. Rows truncated to the model's max length break "tokens follow
 * bytes" (a long head of truncated rows reads as fast bytes); nothing short of reading
 * ahead can see that.
 *
 * @example
 * ```ts
 * const done = new DoneBytes();
 * done.observe({ rowsRead: 1000, bytesRead: 500_000, rowsDone: 0, tokens: 0 }); // 0
 * done.observe({ rowsRead: 2000, bytesRead: 600_000, rowsDone: 1000, tokens: 90_000 }); // 500000
 * ```
 */
export class DoneBytes {
  /** Points of (rows read, bytes read), both non-decreasing; starts at the origin. */
  private readonly points: { rows: number; bytes: number }[] = [{ rows: 0, bytes: 0 }];
  /** Rows the reader took in its opening burst (the first snapshot that saw any): the map is one straight line over them. */
  private burstRows: number | null = null;
  private rowsDone = 0;
  private byTokens = false;

  /**
   * Whether the last {@link observe} is good enough for an ETA. Split by tokens: yes. By
   * rows: only once the rows done are past the reader's opening burst, where the map has a
   * point per snapshot; an input the reader took whole in that burst (three windows or
   * less) never gets there, and its ETA stays pending. In simulations of long-rows-first
   * jobs the rows-based ETA was 1.6-5.5x off inside the burst.
   */
  get trustworthy(): boolean {
    return this.byTokens || (this.burstRows !== null && this.rowsDone > this.burstRows);
  }

  /** Adds the snapshot's read position to the map; returns the bytes done. */
  observe(p: ReadAndDone): number {
    const last = this.points[this.points.length - 1]!;
    if (p.rowsRead > last.rows) this.points.push({ rows: p.rowsRead, bytes: Math.max(p.bytesRead, last.bytes) });
    else if (p.bytesRead > last.bytes) last.bytes = p.bytesRead;
    if (this.burstRows === null && p.rowsRead > 0) this.burstRows = p.rowsRead;
    this.rowsDone = p.rowsDone;
    // Rows done only grow: points wholly below them are never needed again.
    while (this.points.length > 2 && this.points[1]!.rows <= p.rowsDone) this.points.shift();
    const { bytesTokenized, tokensTokenized } = p;
    this.byTokens = bytesTokenized !== undefined && tokensTokenized !== undefined && tokensTokenized > 0;
    if (this.byTokens) return bytesTokenized! * Math.min(p.tokens / tokensTokenized!, 1);
    return this.bytesOf(p.rowsDone);
  }

  /** Bytes of the first `rows` rows read, interpolated between the two points around it. */
  private bytesOf(rows: number): number {
    const pts = this.points;
    let i = 0;
    while (i + 1 < pts.length && pts[i + 1]!.rows < rows) i++;
    const a = pts[i]!;
    const b = pts[i + 1];
    // Rows at or below the first point cannot be asked for: the first point is never above rows done.
    if (!b || rows <= a.rows) return a.bytes;
    return a.bytes + ((b.bytes - a.bytes) * (rows - a.rows)) / (b.rows - a.rows);
  }
}
