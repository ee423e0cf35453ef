import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ApiApp } from './context.ts';

/**
 * The API reference at /docs: Swagger UI over /openapi.json, its files served from the
 * `swagger-ui-dist` package — not from a CDN, so the page works on a server without internet
 * access and loads nothing from third parties. (Scalar, used before, renders from a CDN script;
 * its local bundle comes with 284 npm packages, 312 MB. swagger-ui-dist is one self-contained
 * package.) The page's own script is a file too, so a strict Content-Security-Policy needs no
 * 'unsafe-inline'.
 */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>autorec API</title>
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="/docs/assets/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="docs"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/init.js"></script>
  </body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', deepLinking: true });\n`;

/** Registers GET /docs and its assets (read from disk once, on first request). */
export function registerDocs(app: ApiApp): void {
  const folder = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/assets/:file', (c) => {
    const file = c.req.param('file');
    const headers = { 'Cache-Control': 'public, max-age=86400' };
    if (file === 'init.js')
      return c.body(INIT, 200, { ...headers, 'Content-Type': ASSETS['swagger-ui-bundle.js'] });
    const type = ASSETS[file];
    if (type === undefined) return c.notFound();
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = new Uint8Array(readFileSync(join(folder, file)));
      cache.set(file, bytes);
    }
    return c.body(bytes, 200, { ...headers, 'Content-Type': type });
  });
}
