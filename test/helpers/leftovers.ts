/**
 * What a test file leaves behind when a test fails before its own clean-up (a `before` that throws, an
 * assertion ahead of a `stop()`): at the end of the file, servers still running are killed, then PostgreSQL
 * schemas still bound to a data folder are dropped, then temporary folders still present are removed.
 */
import { rmSync } from 'node:fs';
import { after } from 'node:test';

const processes = new Set<() => Promise<unknown>>();
const schemas = new Set<() => Promise<unknown>>();
const dirs = new Set<string>();

export const leftovers = {
  /** A running server process and how to kill it; returns the function that forgets it. */
  process(kill: () => Promise<unknown>): () => void {
    processes.add(kill);
    return () => processes.delete(kill);
  },
  schema(drop: () => Promise<unknown>): () => void {
    schemas.add(drop);
    return () => schemas.delete(drop);
  },
  dir(dir: string): void {
    dirs.add(dir);
  },
};

after(async () => {
  for (const kill of processes) await kill().catch(() => undefined);
  for (const drop of schemas) await drop().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
