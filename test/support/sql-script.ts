/** A SQL script's statements (`npm run db:ddl`), as a tool runs them one at a time: split at `;` ending a line, BEGIN and COMMIT left out. */
export function scriptStatements(script: string): string[] {
  return script
    .split(/;\n/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '' && statement !== 'BEGIN' && statement !== 'COMMIT');
}
