import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { allows, type Scope } from './auth.ts';
import type { ApiApp, AppDeps, AppEnv } from './context.ts';
import { registerDocs } from './docs.ts';
import { fieldErrors, PROBLEM_CONTENT_TYPE, Problem } from './problem.ts';
import { RateLimiter } from './rate-limit.ts';
import { registerCatalogue } from './routes/catalogue.ts';
import { registerEvents } from './routes/events.ts';
import { registerModels } from './routes/models.ts';
import { registerOps } from './routes/ops.ts';
import { registerRecommend } from './routes/recommend.ts';
import { registerScoring } from './routes/scoring.ts';
import { registerSearch } from './routes/search.ts';
import { registerTraining } from './routes/training.ts';

/** Which scope each route needs, by method and path prefix (first match wins). */
function neededScope(method: string, path: string): Scope {
  if (path.startsWith('/v1/models') && (method !== 'GET' || path.includes('/artifact'))) return 'admin';
  if (/^\/v1\/(training-jobs|scoring-jobs|search-jobs|events)/.test(path)) return 'write';
  if (method === 'GET' || method === 'HEAD') return 'read';
  // Reads with a body (recommend, batch, rank) are reads; metadata and erasure are writes.
  if (/^\/v1\/(recommendations|rank)/.test(path)) return 'read';
  return 'write';
}

/**
 * The Hono app: middleware (request id, access log, secure headers, CORS, body limit, auth,
 * rate limit, metrics) and the routes under /v1, with problem+json errors. No I/O of its own
 * beyond `deps`, so tests drive it in-process with `app.request`.
 *
 * @example
 * const app = createApp(deps);
 * const res = await app.request('/v1/songs/popular?k=5', { headers: { authorization: `Bearer ${key}` } });
 */
export function createApp(deps: AppDeps): ApiApp {
  const { options, metrics, log } = deps;
  const app: ApiApp = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const errors = fieldErrors(result.target, result.error.issues);
        throw new Problem(400, 'invalid-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
          errors,
        });
      }
    },
  });
  const limiter = new RateLimiter(options.rateLimit);

  app.use(requestId({ headerName: 'X-Request-Id' }));
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    metrics.requests.inc(labels);
    metrics.latency.observe(labels, seconds);
    if (c.res.status >= 500 || c.req.method !== 'GET' || !c.req.path.startsWith('/v1/'))
      log({
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(seconds * 10000) / 10,
        key: c.get('key')?.name,
      });
  });
  app.use(
    secureHeaders({
      crossOriginResourcePolicy: options.corsOrigins.length > 0 ? 'cross-origin' : 'same-origin',
    }),
  );
  if (options.corsOrigins.length > 0)
    app.use(
      cors({
        origin: options.corsOrigins,
        allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
        exposeHeaders: [
          'X-Request-Id',
          'Location',
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
        ],
        maxAge: 600,
      }),
    );
  app.use(
    bodyLimit({
      maxSize: options.bodyLimit,
      onError: () => {
        throw new Problem(
          413,
          'body-too-large',
          `the request body is larger than ${options.bodyLimit} bytes`,
        );
      },
    }),
  );
  app.use('/v1/*', async (c, next) => {
    const needed = neededScope(c.req.method, c.req.path);
    const header = c.req.header('authorization');
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (header !== undefined && token === undefined)
      throw new Problem(
        401,
        'unauthorized',
        "the Authorization header must be 'Bearer <api key>'",
        {},
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    const key = token === undefined ? undefined : deps.keys.verify(token);
    if (token !== undefined && !key)
      throw new Problem(
        401,
        'unauthorized',
        'the API key is not valid',
        {},
        { 'WWW-Authenticate': 'Bearer' },
      );
    if (!key && !(needed === 'read' && options.anonymousRead))
      throw new Problem(
        401,
        'unauthorized',
        `this endpoint needs an API key with the '${needed}' scope`,
        {},
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    if (key && !allows(key.scopes, needed))
      throw new Problem(
        403,
        'forbidden',
        `the key '${key.name}' lacks the '${needed}' scope this endpoint needs`,
      );
    c.set('key', key);
    c.set('scope', needed);
    if (limiter.limit > 0) {
      const id = key ? `key:${key.name}` : `anonymous`;
      const { allowed, remaining, resetSeconds } = limiter.take(id);
      c.header('RateLimit-Limit', String(limiter.limit));
      c.header('RateLimit-Remaining', String(remaining));
      c.header('RateLimit-Reset', String(resetSeconds));
      c.header('RateLimit-Policy', `${limiter.limit};w=${limiter.windowSeconds}`);
      if (!allowed)
        throw new Problem(
          429,
          'rate-limited',
          `more than ${limiter.limit} requests a minute for this key`,
          {},
          {
            'Retry-After': String(resetSeconds),
            'RateLimit-Limit': String(limiter.limit),
            'RateLimit-Remaining': '0',
            'RateLimit-Reset': String(resetSeconds),
          },
        );
    }
    await next();
  });

  app.onError((error, c) => {
    let problem: Problem;
    if (error instanceof Problem) problem = error;
    else if (error instanceof HTTPException && error.status < 500)
      problem = new Problem(error.status, 'http-error', error.message || 'the request was not accepted');
    else if (error instanceof SyntaxError && /JSON/.test(error.message))
      problem = new Problem(400, 'invalid-json', 'the request body is not valid JSON');
    else {
      log({ requestId: c.get('requestId'), level: 'error', error: (error as Error).stack ?? String(error) });
      problem = new Problem(
        500,
        'internal',
        `the server failed on this request (request id ${c.get('requestId')})`,
      );
    }
    for (const [name, value] of Object.entries(problem.headers)) c.header(name, value);
    return c.body(JSON.stringify(problem.body(c.req.path)), problem.status as ContentfulStatusCode, {
      'Content-Type': PROBLEM_CONTENT_TYPE,
    });
  });
  app.notFound((c) => {
    const problem = new Problem(404, 'no-route', `no endpoint ${c.req.method} ${c.req.path}; see /docs`);
    return c.body(JSON.stringify(problem.body(c.req.path)), 404, { 'Content-Type': PROBLEM_CONTENT_TYPE });
  });

  registerRecommend(app, deps);
  registerCatalogue(app, deps);
  registerEvents(app, deps);
  registerTraining(app, deps);
  registerScoring(app, deps);
  registerSearch(app, deps);
  registerModels(app, deps);
  registerOps(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'autorec API',
      version: '1',
      description:
        'Music recommendations from play counts: recommend for listeners and anonymous play lists, similar and popular songs, listening events, background training, model versions. Errors are application/problem+json (RFC 9457).',
    },
    security: [{ apiKey: [] }],
  });
  registerDocs(app);
  return app;
}
