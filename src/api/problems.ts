// Every API error is an RFC 9457 problem: application/problem+json with status, title, detail and,
// for validation, the fields at fault. A client mistake is never a 500.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type FieldError, type Subject } from '../domain/errors.ts';
import { isDatabaseUnavailable } from '../storage/index.ts';
import { InvalidTokenError } from './auth.ts';
import { KeysUnavailableError } from './keys.ts';
import { fieldErrors } from './validation.ts';

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly entries?: readonly Subject[];
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

export function problem(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  return { status, title: TITLES[status] ?? 'Error', ...(detail ? { detail } : {}), ...extra };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply
    .code(body.status)
    .type('application/problem+json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send({ type: 'about:blank', ...body });
}

const DOMAIN_STATUS: Record<DomainError['kind'], number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  rule: 422,
  forbidden: 403,
};

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) {
    return sendProblem(
      reply,
      problem(DOMAIN_STATUS[error.kind], error.message, {
        ...(error.errors.length ? { errors: error.errors } : {}),
        ...(error.subjects.length ? { entries: error.subjects } : {}),
      }),
    );
  }
  if (error instanceof InvalidTokenError) {
    reply.header('www-authenticate', 'Bearer error="invalid_token"');
    return sendProblem(reply, problem(401, 'The access token is missing, expired or not valid for this API.'));
  }
  if (error instanceof KeysUnavailableError) {
    request.log.error({ err: error }, 'issuer keys unavailable');
    reply.header('retry-after', '5');
    return sendProblem(reply, problem(503, 'Access tokens cannot be checked right now. Try again shortly.'));
  }
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    return sendProblem(
      reply,
      problem(400, `The request ${part} is invalid.`, { errors: fieldErrors(error.validation as never, part) }),
    );
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, problem(413, 'The request body is too large.'));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, problem(415, 'Send the request body as application/json.'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, problem(400, 'The request body is empty; send a JSON object.'));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(reply, problem(400, 'The Content-Length header does not match the body.'));
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return sendProblem(reply, problem(400, 'The request body is not valid JSON.'));
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return sendProblem(reply, problem(error.statusCode, error.message));
  }
  if (isDatabaseUnavailable(error)) {
    request.log.error({ err: error }, 'database unavailable');
    reply.header('retry-after', '5');
    return sendProblem(reply, problem(503, 'The service is temporarily unavailable. Try again shortly.'));
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(reply, problem(500, 'Something went wrong on our side.'));
}
