/**
 * Errors as `application/problem+json` (RFC 9457). Handlers throw `Problem`; the app's error
 * handler writes it. Anything else becomes a 500 that names only the request id: no stack
 * trace, file path or library message reaches a client (they go to the server log).
 */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `body.plays.0.count` or `query.k`. */
  field: string;
  /** The rule it broke (zod's issue code, e.g. `too_big`). */
  rule: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Problem type URIs are relative references into the API docs. */
const typeOf = (slug: string) => `/docs#problem-${slug}`;

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }

  body(instance?: string): ProblemBody {
    return {
      type: typeOf(this.slug),
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new Problem(400, 'invalid-request', detail, errors ? { errors } : {});
export const notFound = (kind: string, id: string, hint = '') =>
  new Problem(404, `unknown-${kind}`, `unknown ${kind} '${id}'${hint ? `: ${hint}` : ''}`, { [kind]: id });
export const conflict = (detail: string) => new Problem(409, 'conflict', detail);
export const unprocessable = (detail: string) => new Problem(422, 'cannot-serve', detail);
export const unavailable = (detail: string, retryAfterSeconds = 5) =>
  new Problem(503, 'not-ready', detail, {}, { 'Retry-After': String(retryAfterSeconds) });

/** Field errors from zod issues, with the part of the request (`body`, `query`, `param`) in front. */
export function fieldErrors(
  target: string,
  issues: readonly { path: readonly PropertyKey[]; code: string; message: string }[],
): FieldError[] {
  return issues.map((issue) => ({
    field: [target === 'json' ? 'body' : target, ...issue.path.map(String)].join('.'),
    rule: issue.code,
    message: issue.message,
  }));
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
