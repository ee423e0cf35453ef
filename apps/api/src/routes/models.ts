import { normalize } from 'node:path';
import { describeParams, MODEL_NAMES } from '@autorec/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp, AppDeps } from '../context.ts';
import { badRequest, conflict, notFound } from '../problem.ts';
import { Version } from '../schemas.ts';
import { VersionUnusableError } from '../serving.ts';
import { type VersionFileReader, versionFileReader } from '../storage/model-files.ts';
import type { ModelVersion } from '../storage/repository.ts';
import { errors, json, security } from './shared.ts';

const Params = z.object({
  name: z.string().min(1).max(64).openapi({ example: 'ials' }),
  version: z.coerce.number().int().min(1).openapi({ example: 1 }),
});

const LABEL = /^[a-z][a-z0-9-]{0,63}$/;

export function registerModels(app: ApiApp, deps: AppDeps): void {
  const { repo } = deps;
  const files = versionFileReader(deps.models);
  const withLabels = async (versions: ModelVersion[]) => {
    const labels = await repo.labels();
    return versions.map((v) => {
      const names = [...labels]
        .filter(([, to]) => to.model === v.model && to.version === v.version)
        .map(([l]) => l);
      const { path: _path, eventWatermark: _w, ...rest } = v;
      return { ...rest, labels: names };
    });
  };
  const find = async (name: string, version: number) => {
    const v = await repo.version(name, version);
    if (!v) throw notFound('version', `${name}/${version}`, `see GET /v1/models`);
    return v;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models',
      tags: ['models'],
      summary: 'The models this build can train (with their hyper-parameters), their versions and labels',
      security,
      responses: {
        200: json(
          z.object({
            serving: z.object({ model: z.string(), version: z.number().int() }).optional(),
            labels: z.record(z.string(), z.object({ model: z.string(), version: z.number().int() })),
            models: z.array(
              z.object({
                name: z.string(),
                hyperParameters: z.array(
                  z.object({ name: z.string(), value: z.unknown(), description: z.string() }),
                ),
                versions: z.array(Version),
              }),
            ),
          }),
          'the models',
        ),
        ...errors(),
      },
    }),
    async (c) => {
      const versions = await withLabels(await repo.versions());
      const served = deps.server.current?.version;
      return c.json(
        {
          serving: served && { model: served.model, version: served.version },
          labels: Object.fromEntries(await repo.labels()),
          models: MODEL_NAMES.map((name) => ({
            name,
            hyperParameters: describeParams(name),
            versions: versions.filter((v) => v.model === name),
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models/{name}/versions/{version}',
      tags: ['models'],
      summary: 'A version: hyper-parameters, data, metrics, created, labels, status',
      security,
      request: { params: Params },
      responses: { 200: json(Version, 'the version'), ...errors(404) },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      return c.json((await withLabels([await find(name, version)]))[0], 200);
    },
  );

  // `…/{version}:promote` is a custom method (AIP-136); Hono matches `3:promote` as the version
  // segment, so this route is registered by hand and added to the document below.
  app.post('/v1/models/:name/versions/:version{[0-9]+:promote}', async (c) => {
    const name = c.req.param('name');
    const version = Number(c.req.param('version').split(':')[0]);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw badRequest('the request body is not valid JSON');
    }
    const label = (body as { label?: unknown })?.label ?? 'production';
    if (typeof label !== 'string' || !LABEL.test(label))
      throw badRequest('body.label: a label is lowercase letters, digits and dashes, e.g. production', [
        { field: 'body.label', rule: 'pattern', message: LABEL.source },
      ]);
    const v = await find(name, version);
    if (v.status !== 'ready') throw conflict(`${name} v${version} is unusable: ${v.reason}`);
    const current = (await repo.labels()).get(label);
    if (current?.model === name && current.version === version)
      throw conflict(`${name} v${version} already has the label '${label}'`);
    try {
      await deps.promote(name, version, label);
    } catch (error) {
      if (error instanceof VersionUnusableError)
        throw conflict(`${name} v${version} cannot serve and is now marked unusable: ${error.reason}`);
      throw error;
    }
    return c.json((await withLabels([await find(name, version)]))[0], 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/models/{name}/versions/{version}:promote',
    tags: ['models'],
    summary:
      'Give a version a label; `production` swaps the served model atomically (rollback = promote an older one)',
    security,
    request: {
      params: Params,
      body: {
        content: {
          'application/json': {
            schema: z
              .object({ label: z.string().default('production') })
              .openapi({ example: { label: 'production' } }),
          },
        },
      },
    },
    responses: { 200: json(Version, 'the version with its labels'), ...errors(404, 409) },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models/{name}/versions/{version}/artifact',
      tags: ['models'],
      summary: "The version's folder: its file list (files.json); each file at …/artifact/{file}",
      description:
        'A browser or the CLI loads the model with `loadModel(fetchStore(base + "/artifact/"))` from @autorec/core.',
      security,
      request: { params: Params },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'files.json'), ...errors(404) },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      const v = await find(name, version);
      const index = JSON.parse(
        new TextDecoder().decode(await readArtifact(files, v, 'files.json')),
      ) as Record<string, unknown>;
      return c.json(index, 200);
    },
  );

  app.get('/v1/models/:name/versions/:version{[0-9]+}/artifact/:file', async (c) => {
    const v = await find(c.req.param('name'), Number(c.req.param('version')));
    const file = c.req.param('file');
    const type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    return c.body(await readArtifact(files, v, file), 200, { 'Content-Type': type });
  });
}

async function readArtifact(
  files: VersionFileReader,
  v: ModelVersion,
  file: string,
): Promise<Uint8Array<ArrayBuffer>> {
  if (file.includes('/') || file.includes('\\') || normalize(file) !== file || file.startsWith('.'))
    throw notFound('file', file);
  try {
    return new Uint8Array(await files.read(v.path, file, v.status === 'ready'));
  } catch {
    throw notFound('file', file, `not in ${v.model} v${v.version}`);
  }
}
