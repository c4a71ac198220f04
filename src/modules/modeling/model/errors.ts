/**
 * Errors the modeling core throws. They are plain classes (not AppError) so this folder stays free of
 * service concerns; the service layer maps ModelInputError to BAD_USER_INPUT and RunCancelledError to
 * its own cancellation outcome.
 */

/** Why the input or the options cannot be modeled; stable strings a run ends with (each is in the error catalogue). */
export const MODEL_INPUT_REASONS = [
  'SHAPE_MISMATCH', // values.length !== rows * columns, or no columns
  'EMPTY_INPUT', // no rows at all, or none left after dropping rows with missing values
  'COLUMN_ALL_MISSING', // a column has no non-missing value
  'NON_FINITE_VALUE', // ±Infinity in the input, or a value too large to compute with
  'INVALID_K', // k < 2, k > rows, or not an integer
  'INVALID_K_RANGE', // min > max, min < 2, min > rows - 1
  'K_RANGE_TOO_WIDE', // more than MAX_K_RANGE_WIDTH values of k requested
  'INVALID_OPTION', // any other option outside its documented range
  'DUPLICATE_KEY', // two rows of the table have the same entity key (the run stores one assignment per key)
  'NULL_KEY', // a row of the table has a NULL key part: no entity key names it
] as const;
export type ModelInputReason = (typeof MODEL_INPUT_REASONS)[number];

export class ModelInputError extends Error {
  constructor(
    readonly reason: ModelInputReason,
    message: string,
  ) {
    super(message);
    this.name = 'ModelInputError';
  }
}

/** Thrown between iterations when the caller's shouldCancel() hook returns true. */
export class RunCancelledError extends Error {
  constructor(message = 'the modeling run was cancelled') {
    super(message);
    this.name = 'RunCancelledError';
  }
}
