/**
 * The floor report (issue 16 items 1 and 5), pure: each phase of a run beside the database's own time
 * for the same work (bench/floor.ts), as a multiple, and the end-to-end time against the Python pipeline
 * with the target ratio marked met or not met. A missing figure prints as '–' and has no multiple.
 */

/** The database's own time for each phase, in ms, with what each floor is; absent where it was not measured. */
export interface FloorFigures {
  readonly readMs?: number;
  readonly saveMs?: number;
  /** The outcome UPSERT into an empty outcome table (what a run on a fresh database does). */
  readonly publishEmptyMs?: number;
  /** The same UPSERT into an outcome table already holding every row (each row updated). */
  readonly publishFullMs?: number;
  /** What each floor is: the statement and how it ran. */
  readonly methods: Readonly<Partial<Record<'read' | 'save' | 'publish', string>>>;
}

/** A run's phase timings as recorded (metrics.timings); a phase a build does not have is absent or null. */
export type PhaseTimings = Readonly<Partial<Record<'readMs' | 'prepareMs' | 'clusterMs' | 'scoreMs' | 'saveMs' | 'publishMs', number | null>>>;

export interface PhaseRow {
  readonly phase: string;
  readonly serverMs: number | null;
  readonly floorMs: number | null;
  /** serverMs / floorMs; null when either is missing. */
  readonly multiple: number | null;
}

const PHASES: readonly { readonly phase: string; readonly timing: keyof PhaseTimings; readonly floor: keyof FloorFigures | null }[] = [
  { phase: 'read', timing: 'readMs', floor: 'readMs' },
  { phase: 'prepare', timing: 'prepareMs', floor: null },
  { phase: 'cluster', timing: 'clusterMs', floor: null },
  { phase: 'score', timing: 'scoreMs', floor: null },
  { phase: 'save assignments', timing: 'saveMs', floor: 'saveMs' },
  // A run publishes into the empty outcome table of a fresh database.
  { phase: 'publish', timing: 'publishMs', floor: 'publishEmptyMs' },
];

const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function multipleOf(serverMs: number | null, floorMs: number | null): number | null {
  return serverMs === null || floorMs === null || floorMs <= 0 ? null : serverMs / floorMs;
}

/** One row per phase of a run, in run order; the phases without a database floor (prepare, cluster, score) have none. */
export function phaseRows(timings: PhaseTimings, floor: FloorFigures | null): PhaseRow[] {
  return PHASES.map(({ phase, timing, floor: floorKey }) => {
    const serverMs = finite(timings[timing]);
    const floorMs = floorKey && floor ? finite(floor[floorKey]) : null;
    return { phase, serverMs, floorMs, multiple: multipleOf(serverMs, floorMs) };
  });
}

export interface PythonForm {
  /** pandas (pandas.read_sql) or fetchmany (cursor.fetchmany into numpy blocks): bench/pipeline.py --form. */
  readonly form: string;
  readonly medianSeconds: number;
}

export interface TargetVerdict {
  readonly serverSeconds: number | null;
  /** The faster Python form: the anchor the target is measured against. */
  readonly anchor: PythonForm | null;
  readonly ratio: number | null;
  readonly target: number;
  /** null when there is nothing to compare (no Python figure or no server figure). */
  readonly met: boolean | null;
}

/** Issue 16 item 1: end to end at most `target` × the faster Python form, measured in the same run. */
export function targetVerdict(serverSeconds: number | null, forms: readonly PythonForm[], target = 0.5): TargetVerdict {
  const server = finite(serverSeconds);
  const anchor = forms
    .filter((form) => finite(form.medianSeconds) !== null)
    .reduce<PythonForm | null>((best, form) => (best && best.medianSeconds <= form.medianSeconds ? best : form), null);
  const ratio = server === null || anchor === null || anchor.medianSeconds <= 0 ? null : server / anchor.medianSeconds;
  return { serverSeconds: server, anchor, ratio, target, met: ratio === null ? null : ratio <= target };
}

export const secondsText = (ms: number | null): string => (ms === null ? '–' : (ms / 1000).toFixed(2));
export const multipleText = (multiple: number | null): string => (multiple === null ? '–' : `${multiple < 10 ? multiple.toFixed(2) : multiple.toFixed(1)}×`);
export const verdictText = (verdict: TargetVerdict): string => (verdict.met === null ? '–' : verdict.met ? '**met**' : '**not met**');

export interface FloorReportEntry {
  readonly database: string;
  readonly rows: number;
  readonly timings: PhaseTimings;
  readonly floor: FloorFigures | null;
  readonly serverSeconds: number | null;
  readonly python: readonly PythonForm[];
}

/** The markdown of both tables: phases against their floors, then end to end against the Python anchor. */
export function renderFloorReport(entries: readonly FloorReportEntry[], target = 0.5): string[] {
  if (entries.length === 0) return [];
  const rowsText = (rows: number) => rows.toLocaleString('en-US');
  const lines = ['| database | rows | phase | server s | floor s | × floor |', '|---|---|---|---|---|---|'];
  for (const entry of entries) {
    for (const row of phaseRows(entry.timings, entry.floor)) {
      lines.push(
        `| ${entry.database} | ${rowsText(entry.rows)} | ${row.phase} | ${secondsText(row.serverMs)} | ${secondsText(row.floorMs)} | ${multipleText(row.multiple)} |`,
      );
    }
    if (entry.floor && finite(entry.floor.publishFullMs) !== null) {
      lines.push(
        `| ${entry.database} | ${rowsText(entry.rows)} | publish into a full table (floor only) | – | ${secondsText(entry.floor.publishFullMs ?? null)} | – |`,
      );
    }
  }
  const forms = [...new Set(entries.flatMap((entry) => entry.python.map((form) => form.form)))];
  const header = ['database', 'rows', 'server end to end s', ...forms.map((form) => `Python ${form} s`), 'anchor', 'server ÷ anchor', `target ≤ ${target}×`];
  lines.push('', `| ${header.join(' | ')} |`, `|${header.map(() => '---|').join('')}`);
  for (const entry of entries) {
    const verdict = targetVerdict(entry.serverSeconds, entry.python, target);
    const formCells = forms.map((name) => {
      const seconds = finite(entry.python.find((candidate) => candidate.form === name)?.medianSeconds);
      return seconds === null ? '–' : seconds.toFixed(2);
    });
    const cells = [
      entry.database,
      rowsText(entry.rows),
      verdict.serverSeconds === null ? '–' : verdict.serverSeconds.toFixed(2),
      ...formCells,
      verdict.anchor?.form ?? '–',
      verdict.ratio === null ? '–' : verdict.ratio.toFixed(2),
      verdictText(verdict),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const methods = new Map<string, string>();
  for (const entry of entries) {
    for (const [phase, method] of Object.entries(entry.floor?.methods ?? {})) methods.set(`${entry.database} ${phase}`, method);
  }
  if (methods.size) lines.push('', 'Each floor:', '', ...[...methods].map(([key, method]) => `- ${key}: ${method}`));
  return lines;
}
