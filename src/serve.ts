import type { FastifyInstance } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Services } from './domain/context.js';
import { bootstrapRoot, openServices, type RootCredentialsResult } from './runtime.js';
import { ServerLock } from './server-lock.js';
import { sqlitePath } from './store/db.js';
import { buildApp } from './server.js';
import { startHousekeeping } from './workers/housekeeping.js';
import { OrderWorker } from './workers/orders.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  port: number;
  root: RootCredentialsResult;
  close(): Promise<void>;
}

/** Opens the store, bootstraps the root account, starts background work and listens. */
export async function startServer(config: Config, clock?: Clock): Promise<RunningServer> {
  const sqliteFile = config.databaseUrl.startsWith('sqlite:') ? sqlitePath(config.databaseUrl) : undefined;
  const lock =
    sqliteFile !== undefined && sqliteFile !== ':memory:' ? ServerLock.acquire(sqliteFile) : undefined;
  let services: Services;
  try {
    services = await openServices(config, clock);
  } catch (err) {
    lock?.release();
    throw err;
  }
  let app: FastifyInstance | undefined;
  try {
    const root = await bootstrapRoot(services);
    app = buildApp(services);
    services.keys.onError = (err) => app!.log.error({ err }, 'key pool failed');
    const stopHousekeeping = startHousekeeping(services, (err) =>
      app!.log.error({ err }, 'housekeeping failed'),
    );
    // One SQLite file serves one server: leases left by a killed predecessor are stale.
    if (services.store.conn.dialect === 'sqlite') await services.store.orders.releaseAllLeases();
    const worker = new OrderWorker(services, (err, orderId) =>
      app!.log.error({ err, orderId }, 'order work failed'),
    );
    worker.start();
    // The key pool tops up the kinds it holds to their size, in the background (key threads, low priority).
    services.keys.start();
    // Recent nonces back in memory (SQLite) before the first request, which would otherwise wait for them.
    services.store.nonces.load();
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    let closed = false;
    return {
      app,
      services,
      url: `http://${host}:${port}`,
      port,
      root,
      async close() {
        if (closed) return;
        closed = true;
        stopHousekeeping();
        await app!.close();
        // Keys first: the worker's batch then makes no new service key and waits only for those under way.
        await services.keys.close();
        await worker.stop();
        await services.issuer.close();
        await services.store.close();
        lock?.release();
      },
    };
  } catch (err) {
    await app?.close();
    await services.keys.close();
    await services.issuer.close();
    await services.store.close();
    lock?.release();
    throw err;
  }
}
