import type { EncodedRow } from '../model/padding.js';
import type { Fault } from '../workers/fault.js';

/**
 * Test-only: which batches a worker must fail, and how. The scheduler asks it for every
 * attempt, so a fault follows its row through retries and halving until the row is alone
 * and rejected, exactly as a real poison row would be.
 */
export interface FaultPlan {
  faultFor(rows: readonly EncodedRow[]): Fault | null;
}

/**
 * The plan the environment asks for: `ALBERT_FAULT_THROW_ROW`, `ALBERT_FAULT_EXIT_ROW` and
 * `ALBERT_FAULT_HANG_ROW` list input rows (seq, 0-based) whose batch makes the worker throw,
 * kill its thread, or hang. Null (the normal case) when none is set.
 *
 * @example
 * ```ts
 * faultPlanFromEnv({ ALBERT_FAULT_EXIT_ROW: '42' })?.faultFor([{ seq: 42, ... }]); // 'exit'
 * ```
 */
export function faultPlanFromEnv(env: NodeJS.ProcessEnv): FaultPlan | null {
  const bySeq = new Map<number, Fault>();
  for (const [fault, key] of [['throw', 'ALBERT_FAULT_THROW_ROW'], ['exit', 'ALBERT_FAULT_EXIT_ROW'], ['hang', 'ALBERT_FAULT_HANG_ROW']] as const) {
    for (const s of (env[key] ?? '').split(',').map((x) => x.trim()).filter(Boolean)) bySeq.set(Number(s), fault);
  }
  if (bySeq.size === 0) return null;
  return {
    faultFor(rows) {
      for (const r of rows) {
        const f = bySeq.get(r.seq);
        if (f) return f;
      }
      return null;
    },
  };
}
