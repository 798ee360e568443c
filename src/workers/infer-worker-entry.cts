/**
 * The file piscina loads in each worker thread. piscina loads its worker file with
 * `require()`, and on Node 20 `require()` of an ES module graph (require(esm)) can abort the
 * whole process in native code (`v8::Module::IsGraphAsync must be used on an instantiated
 * module`, seen in CI on a worker restarted after a crash). This file is CommonJS, so
 * `require()` stays plain, and the ES-module worker is loaded the ordinary way, by `import()`.
 */
type Handle = (request: unknown) => Promise<unknown>;

let loaded: Promise<Handle> | undefined;

async function handle(request: unknown): Promise<unknown> {
  loaded ??= import('./infer-worker.js').then((m) => m.default as Handle);
  return (await loaded)(request);
}

export = handle;
