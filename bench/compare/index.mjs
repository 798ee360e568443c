// The one way the bench reaches transformers.js: bench/transformers-system.ts imports this
// file by path, so '@huggingface/transformers' resolves from bench/compare/node_modules (its
// own install, `npm run bench:install`), never from the main install.
export * from '@huggingface/transformers';
