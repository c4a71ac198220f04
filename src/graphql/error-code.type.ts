import { ERROR_CATALOGUE } from '../errors/catalogue';
import { listEnum } from './list-enum';

/** Every code of the error catalogue, as fields that report a stored error (RunError, PublishError) serve it. */
export const ErrorCodeEnum = listEnum(
  'ErrorCode',
  'A code of the error catalogue (docs/errors.md), the same codes as in extensions.code of GraphQL errors.',
  ERROR_CATALOGUE,
);
