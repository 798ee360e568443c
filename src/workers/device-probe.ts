import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { createSession } from './create-session.js';
import { EXECUTION_PROVIDERS } from './execution-providers.js';

/** What `albert doctor` found about one separately installed execution provider. */
export interface ProviderReport {
  label: string;
  /** The provider's shared library (e.g. libonnxruntime_providers_cuda.so), and its path next to the binding if there. */
  providerLibrary: { name: string; found: string | null };
  /** Libraries the provider needs, and where the loader finds them. */
  libraries: Array<{ name: string; found: string | null }>;
  /** Whether a session could be created with the provider, and if not, why. */
  sessionOk: boolean;
  error: string | null;
}

/** What `albert doctor` reports: can this machine run the pipeline, and on what? */
export interface DeviceReport {
  node: string;
  onnxruntimeNode: string;
  platform: string;
  cpus: number;
  backends: Array<{ name: string; bundled: boolean }>;
  /** Every provider of the execution-provider table that is a separate install, by name. */
  providers: Record<string, ProviderReport>;
  gpus: string[];
}

/**
 * Probes the ONNX Runtime install and each separately installed provider of the table by
 * really creating a session on `modelPath` with it, which is the only check that covers
 * every missing piece.
 */
export async function probeDevices(modelPath: string, cpus: number): Promise<DeviceReport> {
  const require = createRequire(import.meta.url);
  const binDir = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  const providers: Record<string, ProviderReport> = {};
  for (const ep of Object.values(EXECUTION_PROVIDERS)) {
    if (!ep.probe) continue;
    let sessionOk = false;
    let error: string | null = null;
    try {
      const { session } = await createSession(modelPath, { ep: ep.name, deviceId: 0, fallbackToCpu: false }, 1, modelPath);
      await session.release();
      sessionOk = true;
    } catch (err) {
      error = (err as Error).message;
    }
    const library = join(binDir, ep.probe.providerLibrary);
    providers[ep.name] = {
      label: ep.label,
      providerLibrary: { name: ep.probe.providerLibrary, found: existsSync(library) ? library : null },
      libraries: ep.probe.libraries.map((name) => ({ name, found: findLibrary(name) })),
      sessionOk,
      error,
    };
  }
  return {
    node: process.version,
    onnxruntimeNode: ort.env.versions.node ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    cpus,
    backends: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
    providers,
    gpus: await listGpus(),
  };
}

function findLibrary(name: string): string | null {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/local/cuda/lib64', '/usr/lib64', '/usr/lib'].filter(Boolean);
  for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  return null;
}

async function listGpus(): Promise<string[]> {
  try {
    const { stdout } = await promisify(execFile)('nvidia-smi', ['--query-gpu=index,name,memory.total,driver_version', '--format=csv,noheader'], { timeout: 10_000 });
    return stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    const dir = '/proc/driver/nvidia/gpus';
    return existsSync(dir) ? readdirSync(dir).map((id) => `pci ${id}`) : [];
  }
}
