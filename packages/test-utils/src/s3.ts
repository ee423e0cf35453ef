// An S3 emulator on loopback for tests: s3rver (from npm) speaks the S3 REST API and checks
// Signature V4 with its one key, as MinIO or AWS would answer the same requests.
import { join } from 'node:path';
import S3rver from 's3rver';

/** The access key s3rver accepts (any other is refused as unknown, as AWS and MinIO do). */
export const S3_EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Emulator {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Where it keeps each object, as `<key>._S3rver_object`. */
  directory: string;
  close(): Promise<void>;
}

/**
 * Starts s3rver on a free loopback port, its objects under `dir/objects`, with `buckets` made.
 *
 * @example
 * const s3 = await startS3Emulator(tmp, ['models']);
 * const store = s3Store({ url: 's3://models/svd', endpoint: s3.endpoint, credentials: S3_EMULATOR_CREDENTIALS });
 * await s3.close();
 */
export async function startS3Emulator(dir: string, buckets: readonly string[]): Promise<S3Emulator> {
  const directory = join(dir, 'objects');
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, directory, close: () => server.close() };
}
