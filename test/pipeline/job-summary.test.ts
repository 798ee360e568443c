import { describe, expect, it } from 'vitest';
import { bottleneck, bottleneckText, summaryLine, type JobSummary } from '../../src/pipeline/job-summary.js';
import type { StageTimes } from '../../src/pipeline/manifest.js';

const stages = (s: Partial<StageTimes>): StageTimes => ({ readMs: 0, tokenizeMs: 0, queueMs: 0, inferMs: 0, postMs: 0, writeMs: 0, ...s });

describe('bottleneck', () => {
  it('workers busy (batches queued behind others): inference, whatever the main-thread times', () => {
    // 4 workers, each batch waiting behind 2 others: queue time about twice the run time.
    const b = bottleneck(stages({ readMs: 200, tokenizeMs: 900, queueMs: 40_000, inferMs: 20_000, postMs: 500, writeMs: 300 }));
    expect(b).toEqual({ stage: 'inference', queuedShare: 40_000 / 60_500 });
    expect(bottleneckText(b!)).toBe('bottleneck: inference (batches waited 66% of their pool time for a free worker)');
  });

  it('workers busy with post-processing longer than inference: postprocessing', () => {
    expect(bottleneck(stages({ queueMs: 9000, inferMs: 4000, postMs: 6000 }))?.stage).toBe('postprocessing');
  });

  it('workers idle (batches seldom queued): the largest main-thread stage, even when worker time is larger', () => {
    // Worker time summed over 8 workers dwarfs tokenizing, but no batch waited: the workers waited for the main thread.
    const b = bottleneck(stages({ readMs: 1000, tokenizeMs: 6000, queueMs: 300, inferMs: 40_000, postMs: 1000, writeMs: 3000 }));
    expect(b).toEqual({ stage: 'tokenizing', mainShare: 0.6, queuedShare: 300 / 41_300 });
    expect(bottleneckText(b!)).toBe('bottleneck: tokenizing (60% of main-thread time; batches waited 1% of their pool time for a worker)');
    expect(bottleneck(stages({ readMs: 5000, tokenizeMs: 1000, inferMs: 10_000 }))?.stage).toBe('reading');
    expect(bottleneck(stages({ readMs: 500, tokenizeMs: 1000, writeMs: 1500, inferMs: 10_000 }))?.stage).toBe('writing');
  });

  it('the threshold: a third of pool time queued', () => {
    expect(bottleneck(stages({ tokenizeMs: 1, queueMs: 499, inferMs: 1000 }))?.stage).toBe('tokenizing');
    expect(bottleneck(stages({ tokenizeMs: 1, queueMs: 500, inferMs: 1000 }))?.stage).toBe('inference');
  });

  it('no batch ran: none', () => {
    expect(bottleneck(stages({ readMs: 10 }))).toBeNull();
  });
});

describe('summaryLine', () => {
  const summary: JobSummary = {
    task: 'embed', status: 'complete', alreadyComplete: false, out: 'out/x', manifestPath: 'out/x/manifest.json',
    rows_in: 4000, rows_out: 3998, rows_rejected: 2, rejects_by_code: { ALB_ROW_EMPTY_TEXT: 2 }, parts: 1, tokens: 500_000,
    elapsed_s: 208, docs_per_s: 19.2, tokens_per_s: 2403.8, execution_provider: 'cpu', fallback_reason: null,
    model: 'albert-mini', model_variant: null, stages_ms: stages({ readMs: 100, tokenizeMs: 400, queueMs: 300_000, inferMs: 150_000, postMs: 1000, writeMs: 200 }), counts: {}, batches: null,
  };

  it('ends with the bottleneck', () => {
    expect(summaryLine(summary)).toBe(
      'embed: 4,000 rows in, 3,998 out (2 rejected: ALB_ROW_EMPTY_TEXT 2; see rejects.jsonl) · 1 part in out/x · 3m28s · 19 docs/s · 2,404 tok/s · cpu · bottleneck: inference (batches waited 67% of their pool time for a free worker)',
    );
  });

  it('names the variant that ran', () => {
    const v = { name: 'int8-fused', precision: 'int8', fused: true, chosen_by: 'asked' };
    expect(summaryLine({ ...summary, model_variant: v })).toContain(' · cpu, int8-fused variant · bottleneck');
  });

  it('no batches (an empty input): no bottleneck', () => {
    expect(summaryLine({ ...summary, rows_in: 0, rows_out: 0, rows_rejected: 0, rejects_by_code: {}, parts: 0, stages_ms: stages({}) })).not.toContain('bottleneck');
  });
});
