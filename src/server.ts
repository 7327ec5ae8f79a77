import http from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { ACTIONS } from './actions/index.js';
import type { Services } from './domain/context.js';
import { newRequestId } from './ids.js';
import { ApiError, Errors } from './rpc/errors.js';
import { RpcFrontEnd } from './rpc/handler.js';
import { renderError } from './rpc/render.js';
import { Throttle, type ThrottleBackend } from './rpc/throttle.js';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyRequest {
    rpcAction?: string;
    rpcAccount?: number;
    rpcCode?: string;
  }
}

/** Rate-limit counters: Redis when configured, else the shared PostgreSQL database, else this process. */
function throttleBackend(app: FastifyInstance, services: Services): ThrottleBackend {
  const { config, store } = services;
  if (config.redisUrl) {
    const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    let lastWarning = 0;
    client.on('error', (err) => {
      // Reconnects fail every few seconds while Redis is down: say so once a minute, not every time.
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      app.log.warn({ err: err.message }, 'redis unavailable: rate limits counted per server');
    });
    app.addHook('onClose', async () => {
      client.disconnect();
    });
    return { kind: 'redis', client };
  }
  if (store.conn.pgPool) return { kind: 'postgres', pool: store.conn.pgPool };
  return { kind: 'memory' };
}

/** Builds the HTTP application: the RPC front end on `/`, Alibaba-style errors everywhere else. */
export function buildApp(services: Services): FastifyInstance {
  const { config } = services;
  const app = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
    // One access-log line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => newRequestId(),
    requestIdHeader: false,
    exposeHeadRoutes: false,
    // rpc/params.ts decodes the raw query itself (Alibaba's rules, duplicates refused); nothing reads
    // request.query, so the router need not parse every query string a second time.
    routerOptions: { querystringParser: () => ({}) },
    // Requests that arrive while closing are still answered by the RPC front end.
    return503OnClosing: false,
    // Errors Fastify finds before routing (a malformed URL) get the Alibaba body too.
    frameworkErrors: (error, request, reply) => {
      const r = renderError(
        'JSON',
        Errors.invalidParameter('(request)', error.message),
        request.id,
        config.hostId,
      );
      const raw = reply as unknown as FastifyReply;
      void raw
        .status(r.status)
        .header('content-type', r.contentType)
        .header('x-acs-request-id', request.id)
        .send(r.payload);
    },
    bodyLimit: config.bodyLimit,
    // Certificates and keys travel in the query string: raise Node's 16 KiB header limit.
    serverFactory: (handler) => {
      const server = http.createServer({ maxHeaderSize: config.maxHeaderSize }, handler);
      // Longer than clients keep idle sockets, so a client never sends on a socket the server is closing
      // (Node's 5 s default makes keep-alive clients see "socket hang up" now and then).
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      return server;
    },
    // Requests Node rejects before any handler runs (a request line or headers over the limit, malformed
    // HTTP) still get an Alibaba-style body with a RequestId.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return;
      const code = (err as { code?: string }).code;
      const why =
        code === 'HPE_HEADER_OVERFLOW'
          ? `the request line and headers exceed ${config.maxHeaderSize} bytes`
          : 'the request is not valid HTTP';
      const requestId = newRequestId();
      // The catalogue's status for InvalidParameter (decisions.md 5), not Node's 431.
      const r = renderError('JSON', Errors.invalidParameter('(request)', why), requestId, config.hostId);
      const status = r.status;
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: ${r.contentType}\r\n` +
          `Content-Length: ${Buffer.byteLength(r.payload)}\r\nx-acs-request-id: ${requestId}\r\nConnection: close\r\n\r\n${r.payload}`,
      );
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const rpc = new RpcFrontEnd(
    services,
    ACTIONS,
    new Throttle(config.rateLimits, throttleBackend(app, services)),
  );

  app.route({
    method: ['GET', 'POST'],
    url: '/',
    handler: async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const out = await rpc.handle({
        requestId: request.id,
        method: request.method,
        rawUrl: request.raw.url ?? '/',
        headers: request.headers,
        body,
      });
      request.rpcAction = out.action;
      request.rpcAccount = out.accountUid;
      request.rpcCode = out.code;
      if (out.internalError !== undefined)
        request.log.error({ err: out.internalError, requestId: request.id }, 'internal error');
      return reply
        .status(out.rendered.status)
        .header('content-type', out.rendered.contentType)
        .header('x-acs-request-id', request.id)
        .send(out.rendered.payload);
    },
  });

  // Health for load balancers and orchestrators, metrics for Prometheus (no authentication, no secrets).
  app.get('/healthz', (_req, reply) =>
    reply.header('content-type', 'application/json').send('{"status":"ok"}'),
  );
  app.get('/readyz', async (_req, reply) => {
    const ok = await services.store.ping();
    return reply
      .status(ok ? 200 : 503)
      .header('content-type', 'application/json')
      .send(JSON.stringify({ status: ok ? 'ready' : 'database unreachable' }));
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await services.metrics.registry.metrics();
    return reply.header('content-type', services.metrics.registry.contentType).send(text);
  });

  // The CA certificates, for clients to trust (no authentication: they are public).
  app.get('/ca/root.pem', (_req, reply) =>
    reply.header('content-type', 'application/x-pem-file').send(services.issuer.rootPem),
  );
  app.get('/ca/chain.pem', (_req, reply) =>
    reply.header('content-type', 'application/x-pem-file').send(services.issuer.chainPem),
  );

  const sendError = (request: { id: string }, reply: import('fastify').FastifyReply, err: ApiError) => {
    const r = renderError('JSON', err, request.id, config.hostId);
    return reply
      .status(r.status)
      .header('content-type', r.contentType)
      .header('x-acs-request-id', request.id)
      .send(r.payload);
  };

  app.setNotFoundHandler((request, reply) => sendError(request, reply, Errors.pathNotFound()));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const why = status === 413 ? `it is larger than ${config.bodyLimit} bytes` : error.message;
      return sendError(request, reply, Errors.invalidParameter('(request body)', why));
    }
    request.log.error({ err: error, requestId: request.id }, 'internal error');
    return sendError(request, reply, Errors.internal());
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/')
      services.metrics.observeRequest(request.rpcAction, request.rpcCode, reply.elapsedTime / 1000);
    request.log.info(
      {
        requestId: request.id,
        action: request.rpcAction,
        account: request.rpcAccount,
        code: request.rpcCode,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
  return app;
}
