// Domain failures, free of HTTP: the API maps each kind to a status, the CLI to a message.

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** A record that blocked the operation, and why (e.g. the entries a batch decision cannot touch). */
export interface Subject {
  readonly id: string;
  readonly message: string;
}

export class DomainError extends Error {
  readonly kind: 'invalid' | 'not_found' | 'conflict' | 'rule' | 'forbidden';
  readonly errors: readonly FieldError[];
  readonly subjects: readonly Subject[];
  constructor(
    kind: DomainError['kind'],
    message: string,
    options: { errors?: readonly FieldError[]; subjects?: readonly Subject[] } = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.errors = options.errors ?? [];
    this.subjects = options.subjects ?? [];
  }
}

export const invalid = (message: string, errors: readonly FieldError[] = []) =>
  new DomainError('invalid', message, { errors });
export const notFound = (message: string) => new DomainError('not_found', message);
export const conflict = (message: string, subjects: readonly Subject[] = []) =>
  new DomainError('conflict', message, { subjects });
export const ruleViolation = (message: string, errors: readonly FieldError[] = []) =>
  new DomainError('rule', message, { errors });
export const forbidden = (message: string, subjects: readonly Subject[] = []) =>
  new DomainError('forbidden', message, { subjects });
