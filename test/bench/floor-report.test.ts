import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { multipleText, phaseRows, renderFloorReport, secondsText, targetVerdict, type FloorFigures } from '../../bench/floor-report';

const FLOOR: FloorFigures = {
  readMs: 1_000,
  saveMs: 800,
  publishEmptyMs: 2_000,
  publishFullMs: 3_000,
  methods: { read: 'COPY … TO /dev/null', save: 'INSERT … SELECT', publish: 'MERGE' },
};
const TIMINGS = { readMs: 3_500, prepareMs: 300, clusterMs: 350, scoreMs: 180, saveMs: 3_880, publishMs: 2_950 };

describe('the floor report (bench/floor-report.ts)', () => {
  it('gives each database phase the server time over its floor, and none to the phases the server does alone', () => {
    assert.deepEqual(phaseRows(TIMINGS, FLOOR), [
      { phase: 'read', serverMs: 3_500, floorMs: 1_000, multiple: 3.5 },
      { phase: 'prepare', serverMs: 300, floorMs: null, multiple: null },
      { phase: 'cluster', serverMs: 350, floorMs: null, multiple: null },
      { phase: 'score', serverMs: 180, floorMs: null, multiple: null },
      { phase: 'save assignments', serverMs: 3_880, floorMs: 800, multiple: 4.85 },
      // A run publishes into the empty outcome table of a fresh database: the empty-table floor.
      { phase: 'publish', serverMs: 2_950, floorMs: 2_000, multiple: 1.475 },
    ]);
  });

  it('when a build has no save phase and a floor was not measured, those rows have no multiple instead of a wrong one', () => {
    const rows = phaseRows({ readMs: 3_500, prepareMs: 300, clusterMs: 350, scoreMs: 180, saveMs: null, publishMs: 2_950 }, { methods: {}, readMs: 0 });
    assert.deepEqual(
      rows.map((row) => [row.phase, row.serverMs, row.floorMs, row.multiple]),
      [
        ['read', 3_500, 0, null],
        ['prepare', 300, null, null],
        ['cluster', 350, null, null],
        ['score', 180, null, null],
        ['save assignments', null, null, null],
        ['publish', 2_950, null, null],
      ],
    );
    assert.deepEqual(
      phaseRows({}, null).map((row) => row.multiple),
      [null, null, null, null, null, null],
    );
  });

  it('takes the faster Python form as the anchor and marks the target met at exactly 0.5× and not met above it', () => {
    const forms = [
      { form: 'pandas', medianSeconds: 15.31 },
      { form: 'fetchmany', medianSeconds: 12 },
    ];
    assert.deepEqual(targetVerdict(6, forms), { serverSeconds: 6, anchor: { form: 'fetchmany', medianSeconds: 12 }, ratio: 0.5, target: 0.5, met: true });
    const slower = targetVerdict(11.42, forms);
    assert.equal(slower.anchor?.form, 'fetchmany');
    assert.equal(slower.met, false);
    assert.ok(Math.abs(slower.ratio! - 11.42 / 12) < 1e-12);
  });

  it('with no Python figure (skipped) or a NaN one, the target is neither met nor failed', () => {
    assert.deepEqual(targetVerdict(6, []), { serverSeconds: 6, anchor: null, ratio: null, target: 0.5, met: null });
    assert.equal(targetVerdict(6, [{ form: 'pandas', medianSeconds: Number.NaN }]).met, null);
    assert.deepEqual(
      targetVerdict(6, [
        { form: 'pandas', medianSeconds: Number.NaN },
        { form: 'fetchmany', medianSeconds: 10 },
      ]).anchor,
      { form: 'fetchmany', medianSeconds: 10 },
    );
    assert.equal(targetVerdict(null, [{ form: 'pandas', medianSeconds: 10 }]).met, null);
  });

  it('formats seconds with two decimals, multiples with two below 10× and one above, and a dash for anything missing', () => {
    assert.equal(secondsText(3_482.6), '3.48');
    assert.equal(secondsText(null), '–');
    assert.equal(multipleText(1.475), '1.48×');
    assert.equal(multipleText(39.51), '39.5×');
    assert.equal(multipleText(null), '–');
  });

  it('renders the phase table, the target table with a column per Python form, and what each floor is', () => {
    const lines = renderFloorReport([
      {
        database: 'postgresql',
        rows: 1_000_000,
        timings: TIMINGS,
        floor: FLOOR,
        serverSeconds: 11.42,
        python: [
          { form: 'pandas', medianSeconds: 15.31 },
          { form: 'fetchmany', medianSeconds: 14 },
        ],
      },
      { database: 'mariadb', rows: 1_000_000, timings: { ...TIMINGS, saveMs: null }, floor: null, serverSeconds: 5, python: [] },
    ]);
    assert.ok(lines.includes('| postgresql | 1,000,000 | read | 3.50 | 1.00 | 3.50× |'));
    assert.ok(lines.includes('| postgresql | 1,000,000 | prepare | 0.30 | – | – |'));
    assert.ok(lines.includes('| postgresql | 1,000,000 | publish into a full table (floor only) | – | 3.00 | – |'));
    assert.ok(lines.includes('| mariadb | 1,000,000 | save assignments | – | – | – |'));
    assert.ok(lines.includes('| database | rows | server end to end s | Python pandas s | Python fetchmany s | anchor | server ÷ anchor | target ≤ 0.5× |'));
    assert.ok(lines.includes('|---|---|---|---|---|---|---|---|'));
    assert.ok(lines.includes('| postgresql | 1,000,000 | 11.42 | 15.31 | 14.00 | fetchmany | 0.82 | **not met** |'));
    assert.ok(lines.includes('| mariadb | 1,000,000 | 5.00 | – | – | – | – | – |'));
    assert.ok(lines.includes('- postgresql read: COPY … TO /dev/null'));
    assert.equal(
      lines.some((line) => line.startsWith('- mariadb')),
      false,
    );
  });

  it('renders nothing when there was no end-to-end figure', () => {
    assert.deepEqual(renderFloorReport([]), []);
  });
});
