/**
 * Why the prepared device run stopped or counts as failed, by code, so the record in
 * gpu-run.json and the last line on stderr say which gate it was, not only a message.
 */
export type GpuRunErrorCode =
  /** An environment setting is malformed, or would put the work files under $OUT. */
  | 'GPU_RUN_SETTINGS'
  /** A step the rest depend on (doctor, checkpoint, convert, the input rows) did not finish. */
  | 'GPU_RUN_STEP'
  /** `albert doctor` says the asked provider does not start here. */
  | 'GPU_RUN_PROVIDER'
  /** A job ran on another execution provider or variant than asked (no silent CPU fallback). */
  | 'GPU_RUN_FALLBACK'
  /** A step printed something other than what it promises (JSON on stdout, a manifest). */
  | 'GPU_RUN_OUTPUT'
  /** The run got SIGTERM or SIGINT (the outer `timeout` of run.sh, or a person). */
  | 'GPU_RUN_SIGNAL';

export class GpuRunError extends Error {
  constructor(
    readonly code: GpuRunErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  override get name(): string {
    return 'GpuRunError';
  }
}
