import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, REPO } from './cli.js';
import { databaseUrlFor } from './database.js';
import { leftovers } from './leftovers.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  endpoint: string;
  /** Every log line the server printed so far. */
  output: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `opencas serve` as its own process (as `npm start` does) and waits for its listening line. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const databaseUrl =
    env['OPENCAS_DATA_DIR'] && !env['OPENCAS_DATABASE_URL']
      ? await databaseUrlFor(env['OPENCAS_DATA_DIR'])
      : undefined;
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: REPO,
    env: {
      ...process.env,
      OPENCAS_HOST: '127.0.0.1',
      OPENCAS_PORT: '0',
      OPENCAS_RATE_LIMITS: 'off',
      ...(databaseUrl ? { OPENCAS_DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Killed at the end of the test file if the test never stops it (it would keep the file running).
  const forget = leftovers.process(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  void exited.then(forget);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /OpenCAS listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const url = m[1]!;
        resolve({
          child,
          url,
          endpoint: url.replace('http://', ''),
          output: () => out,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}
