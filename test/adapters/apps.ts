/**
 * The same protected app on every supported stack, for the adapter tests: `GET /open` without
 * authentication, `GET /items` protected with the given options and answering
 * `{ sub, via, source }` from the handler, `POST /items` the same with form-body tokens allowed.
 * Every app shares the one verifier it is given.
 */
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5, { type ErrorRequestHandler } from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { requireToken as expressToken } from '../../src/adapters/express.js';
import { oidcVerifier } from '../../src/adapters/fastify.js';
import { requireToken as honoToken } from '../../src/adapters/hono.js';
import { errorResponse, RequestError, type Verifier, type VerifyRequestOptions } from '../../src/index.js';
import type { App } from '../http/helpers.js';

export type Starter = (verifier: Verifier, options: VerifyRequestOptions, customErrors?: boolean) => Promise<App>;

function serverApp(server: HttpServer): App {
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** verifyRequest on a bare node:http server: the IncomingMessage itself is the request. */
export const startNodeApp: Starter = async (verifier, options) => {
  const server = createServer((req, res) => {
    if (req.url === '/open') {
      res.end('{}');
      return;
    }
    verifier.verifyRequest(req, options).then(
      (auth) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ sub: auth.payload.sub, via: auth.via, source: auth.source }));
      },
      (err: unknown) => {
        const { status, headers, body } = errorResponse(err);
        res.writeHead(status, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return serverApp(server);
};

type ExpressFactory = typeof express5;

function expressStarter(express: ExpressFactory): Starter {
  return async (verifier, options, customErrors = false) => {
    const app = express();
    app.set('env', 'test'); // finalhandler logs every error outside env "test"
    app.get('/open', (_req, res) => void res.json({}));
    // Typed req.auth through declaration merging: no cast.
    app.get(
      '/items',
      expressToken(verifier, options),
      (req, res) => void res.json({ sub: req.auth?.payload.sub, via: req.auth?.via, source: req.auth?.source }),
    );
    app.post(
      '/items',
      express.urlencoded({ extended: false }),
      expressToken(verifier, { ...options, allowBodyToken: true }),
      (req, res) => {
        res.json({ sub: req.auth?.payload.sub, via: req.auth?.via, source: req.auth?.source });
      },
    );
    if (customErrors) {
      const handler: ErrorRequestHandler = (err, _req, res, _next) => {
        const r = errorResponse(err);
        res
          .status(r.status)
          .set(r.headers)
          .json({ ...r.body, custom: true });
      };
      app.use(handler);
    }
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return serverApp(server);
  };
}

export const startExpress5: Starter = expressStarter(express5);
export const startExpress4: Starter = expressStarter(express4);

export const startFastify: Starter = async (verifier, options, customErrors = false) => {
  const app = Fastify();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, new URLSearchParams(body as string)),
  );
  const { requiredScopes, ...defaults } = options;
  // Plugin-level defaults (realm, methods); the route adds its scopes.
  await app.register(oidcVerifier, { verifier, ...defaults });
  // Routes in a child scope: the plugin's decorators reach it (skip-override).
  await app.register(async (child) => {
    child.get('/open', async () => ({}));
    // request.auth is typed through declaration merging: no cast.
    child.get('/items', { preHandler: child.requireToken({ requiredScopes }) }, async (request) => ({
      sub: request.auth?.payload.sub,
      via: request.auth?.via,
      source: request.auth?.source,
    }));
    child.post('/items', { preHandler: child.requireToken({ requiredScopes, allowBodyToken: true }) }, async (request) => ({
      sub: request.auth?.payload.sub,
      via: request.auth?.via,
      source: request.auth?.source,
    }));
    if (customErrors) {
      child.setErrorHandler((err, _request, reply) => {
        const r = errorResponse(err);
        return reply
          .code(r.status)
          .headers(r.headers)
          .send({ ...r.body, custom: true });
      });
    }
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => app.close() };
};

export const startHono: Starter = async (verifier, options, customErrors = false) => {
  const app = new Hono();
  app.get('/open', (c) => c.json({}));
  // c.get('auth') is typed through ContextVariableMap: no cast.
  app.get('/items', honoToken(verifier, options), (c) =>
    c.json({ sub: c.get('auth').payload.sub, via: c.get('auth').via, source: c.get('auth').source }),
  );
  app.post('/items', honoToken(verifier, { ...options, allowBodyToken: true }), async (c) => {
    // The middleware read a clone: the handler can still read the body.
    const form = await c.req.parseBody();
    return c.json({ sub: c.get('auth').payload.sub, via: c.get('auth').via, source: c.get('auth').source, body: form.x });
  });
  if (customErrors) {
    app.onError((err, c) => {
      const r = errorResponse(err);
      return c.json({ ...r.body, custom: err instanceof RequestError }, r.status as 400, r.headers);
    });
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return serverApp(server as unknown as HttpServer);
};

export const STACKS: readonly [string, Starter][] = [
  ['node:http', startNodeApp],
  ['express 5', startExpress5],
  ['express 4', startExpress4],
  ['fastify', startFastify],
  ['hono', startHono],
];
