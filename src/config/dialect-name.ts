/** The values DB_DIALECT accepts. `mysql` serves MySQL and MariaDB (the server is asked which it is). */
export const DIALECT_NAMES = ['sqlite', 'postgresql', 'mysql', 'oracle', 'tibero'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];
