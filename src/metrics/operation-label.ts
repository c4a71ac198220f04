// Operation names come from clients: only plain names become label values, so a caller cannot blow
// up a metric's cardinality with random strings (they count as "invalid").
const LABEL_SAFE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** An operation's name as a metric label (and trace field): `anonymous`, the name, or `invalid`. */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return LABEL_SAFE.test(name) ? name : 'invalid';
}
