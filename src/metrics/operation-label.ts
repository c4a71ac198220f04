// Operation names come from clients: only plain names become label values, so a caller cannot blow
// up a metric's cardinality with random strings (they count as "invalid").
const LABEL_SAFE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** An operation's name as a metric label (and trace field): `anonymous`, the name, or `invalid`. */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return LABEL_SAFE.test(name) ? name : 'invalid';
}

/** Distinct operation names one process gives a metric label at most (OperationLabels). */
export const MAX_OPERATION_LABELS = 200;

/**
 * Operation names as metric labels, bounded: the first `max` distinct names this process sees from
 * callers with a role keep their own label, any later new name is `other`. Plain names alone would not
 * bound the series: any caller can send a new one with every request. A caller without a role (no
 * credentials in production, or refused ones) gets a name's label only once a caller with one has
 * used it: otherwise 205 requests with no key took every label before the dashboards' own operations.
 */
export class OperationLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max = MAX_OPERATION_LABELS) {}

  /** `claims`: the caller has a role (only such a caller claims a new label). */
  labelOf(name: string | null | undefined, claims = true): string {
    const label = operationLabel(name);
    if (label === 'anonymous' || label === 'invalid' || this.seen.has(label)) return label;
    if (!claims || this.seen.size >= this.max) return 'other';
    this.seen.add(label);
    return label;
  }
}
