import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors.js';
import { checkModelInputs, requireOutput } from '../../src/model/model-spec.js';

const io = (name: string, type = 'int64') => ({ name, type, shape: ['batch', 'sequence'] });

describe('model spec', () => {
  it('accepts ALBERT inputs and refuses others with ALB_MODEL_IO_MISMATCH, naming what the model has', () => {
    expect(() => checkModelInputs({ name: 'm', inputs: [io('input_ids'), io('attention_mask'), io('token_type_ids')] })).not.toThrow();
    let err: ModelError | null = null;
    try {
      checkModelInputs({ name: 'm', inputs: [io('input_ids', 'int32'), io('attention_mask')] });
    } catch (e) {
      err = e as ModelError;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect(err!.code).toBe('ALB_MODEL_IO_MISMATCH');
    expect(err!.message).toContain('input input_ids is int32, not int64');
    expect(err!.message).toContain('missing input token_type_ids');
    expect(err!.message).toContain('model has inputs [input_ids:int32, attention_mask:int64]');
  });

  it('requireOutput names the outputs the model has', () => {
    expect(() => requireOutput({ name: 'albert-mini', outputs: [io('last_hidden_state', 'float32'), io('pooler_output', 'float32')] }, 'label', 'logits')).toThrow(
      'model albert-mini has outputs [last_hidden_state, pooler_output]; `label` needs `logits`',
    );
  });
});
