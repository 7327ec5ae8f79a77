import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config.js';

/**
 * One server per SQLite file. The embedded store keeps state only one process can own (recent nonces in
 * memory, the order worker's leases), so a second `opencas serve` on the same file is refused at start
 * instead of quietly accepting replays. The lock is a file next to the database holding the server's pid;
 * one left by a killed server (its pid gone) is taken over. The admin CLI takes no lock: it runs beside the
 * server.
 */
export class ServerLock {
  private constructor(private readonly file: string) {}

  static acquire(databaseFile: string): ServerLock {
    const file = `${databaseFile}.lock`;
    mkdirSync(path.dirname(file), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        return new ServerLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = ServerLock.holder(file);
      if (holder !== undefined && holder !== process.pid && alive(holder)) {
        throw new ConfigError(
          `another OpenCAS server (pid ${holder}) already serves ${databaseFile}; one server per SQLite ` +
            'file (several servers share a PostgreSQL database instead)',
        );
      }
      // Stale: its server is gone.
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new ConfigError(`could not take the server lock ${file}: another server is starting`);
  }

  private static holder(file: string): number | undefined {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  release(): void {
    if (ServerLock.holder(this.file) !== process.pid) return;
    try {
      unlinkSync(this.file);
    } catch {
      // Already gone.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed server whose parent has not reaped it yet (a zombie) still answers signal 0, but serves
  // nothing: on Linux its state in /proc says so. Elsewhere the pid alone decides.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    // Gone since the signal (ENOENT), or no /proc here.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}
