import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import CasModule from '@alicloud/cas20200407';
import * as OpenApi from '@alicloud/openapi-core';
import RPCClient from '@alicloud/pop-core';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/serve.js';
import { databaseUrlFor, dropDatabaseFor } from './database.js';
import { leftovers } from './leftovers.js';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
}

export interface TestServer extends RunningServer {
  dataDir: string;
  endpoint: string;
  rootKey: Credentials;
  config: Config;
  /** Stops the server and removes its data folder. */
  stop(): Promise<void>;
}

export const ROOT_KEY: Credentials = {
  accessKeyId: 'LTAItestroot0000000001',
  accessKeySecret: 'test-root-secret-0123456789abcdef',
};

/** A fresh temporary folder; removed at the end of the test file at the latest (leftovers.ts). */
export function tempDir(prefix = 'opencas-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  leftovers.dir(dir);
  return dir;
}

/** Starts a real server on an ephemeral port with its own data folder. */
export async function startTestServer(
  opts: { flags?: Partial<Record<keyof Config, string>>; clock?: Clock; dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir();
  const databaseUrl = await databaseUrlFor(dataDir);
  const config = loadConfig(
    {
      ...(databaseUrl ? { databaseUrl } : {}),
      host: '127.0.0.1',
      port: '0',
      dataDir,
      logLevel: 'silent',
      rateLimits: 'off',
      rootAccessKeyId: ROOT_KEY.accessKeyId,
      rootAccessKeySecret: ROOT_KEY.accessKeySecret,
      ...opts.flags,
    },
    {},
  );
  const server = await startServer(config, opts.clock);
  return {
    ...server,
    dataDir,
    config,
    endpoint: `127.0.0.1:${server.port}`,
    rootKey: ROOT_KEY,
    async stop() {
      await server.close();
      if (!opts.dataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        await dropDatabaseFor(dataDir);
      }
    },
  };
}

export type SdkSigning = 'v3' | 'v1';

/** The current official SDK (@alicloud/cas20200407 on openapi-core), default ACS3 or `signatureAlgorithm: 'v2'` (V1). */
export type CasClient = InstanceType<typeof CasModule.default>;

export function sdk(endpoint: string, key: Credentials, signing: SdkSigning = 'v3'): CasClient {
  const config = new OpenApi.$OpenApiUtil.Config({
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    endpoint,
    protocol: 'http',
    // Tests check behaviour, not latency: a loaded machine (RSA keys made on demand) must not turn a slow
    // answer into a client-side timeout.
    readTimeout: 60_000,
    connectTimeout: 60_000,
    ...(signing === 'v1' ? { signatureAlgorithm: 'v2' } : {}),
  });
  return new CasModule.default(config);
}

export function pop(endpoint: string, key: Credentials): RPCClient {
  return new RPCClient({
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    endpoint: `http://${endpoint}`,
    apiVersion: '2020-04-07',
  });
}

/** The SDK's request and response models. */
export const Models = CasModule;
