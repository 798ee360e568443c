// Resolved from here, so the interop dependencies come from test/interop/node_modules.
export { DuckDBInstance } from '@duckdb/node-api';
