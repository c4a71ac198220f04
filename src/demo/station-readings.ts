import { SeededRandom } from '../shared/seeded-random';
import type { SqlValue } from '../datastore/types';
import type { DemoDataset } from './demo-dataset';

const STATIONS = 20;
const HOURS = 1_000;
const SEED = 20_000_515;
const FIRST_READING = Date.UTC(2024, 0, 1);
const HOUR_MS = 3_600_000;

// Typical levels per pollutant (µg/m³; CO in mg/m³) and how strongly each follows the daily traffic cycle.
const POLLUTANTS = [
  { column: 'pm10', base: 45, spread: 18, daily: 0.35 },
  { column: 'pm25', base: 24, spread: 10, daily: 0.3 },
  { column: 'o3', base: 60, spread: 20, daily: -0.45 },
  { column: 'no2', base: 28, spread: 12, daily: 0.5 },
  { column: 'co', base: 0.5, spread: 0.2, daily: 0.4 },
  { column: 'so2', base: 4, spread: 1.5, daily: 0.2 },
] as const;

/**
 * Synthetic air-quality sensor readings shaped like the original system's data: 20 stations
 * (ST20000515, ST20000516, …), hourly for 1,000 hours from 2024-01-01 UTC, six pollutants. Stations
 * fall into three kinds (residential, roadside, industrial) with different levels, so clustering has
 * something to find; about 0.5 % of readings are missing (NULL). Deterministic: a fixed seed.
 */
export const STATION_READINGS: DemoDataset = {
  id: 'demo-station-readings',
  name: 'station_readings',
  description: 'Synthetic hourly air-quality readings: 20 stations × 1,000 hours, six pollutants (deterministic, seed 20000515).',
  table: {
    name: 'station_readings',
    columns: [
      { name: 'station_id', type: 'string', length: 16, nullable: false },
      { name: 'measured_at', type: 'timestamp', nullable: false },
      ...POLLUTANTS.map((pollutant) => ({ name: pollutant.column, type: 'double' as const })),
    ],
    primaryKey: ['station_id', 'measured_at'],
  },
  featureColumns: POLLUTANTS.map((pollutant) => pollutant.column),
  expectedRows: STATIONS * HOURS,
  rows: () => {
    const random = new SeededRandom(SEED);
    const rows: Record<string, SqlValue>[] = [];
    for (let station = 0; station < STATIONS; station += 1) {
      const kind = station % 3; // 0 residential, 1 roadside, 2 industrial
      const level = [0.8, 1.4, 1.1][kind]!;
      const stationId = `ST${String(SEED + station).padStart(8, '0')}`;
      for (let hour = 0; hour < HOURS; hour += 1) {
        const cycle = Math.sin(((hour % 24) - 8) * (Math.PI / 12));
        const row: Record<string, SqlValue> = { station_id: stationId, measured_at: new Date(FIRST_READING + hour * HOUR_MS) };
        for (const pollutant of POLLUTANTS) {
          const industrial = kind === 2 && pollutant.column === 'so2' ? 3 : 1;
          const value = pollutant.base * level * industrial * (1 + pollutant.daily * cycle) + pollutant.spread * random.normal();
          row[pollutant.column] = random.next() < 0.005 ? null : Math.round(Math.max(0, value) * 1000) / 1000;
        }
        rows.push(row);
      }
    }
    return rows;
  },
};
