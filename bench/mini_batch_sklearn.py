"""scikit-learn's MiniBatchKMeans and KMeans on a bench/large-table.ts table, for the inertias.

python3 bench/mini_batch_sklearn.py <sqlite file> <table> <k> <batch size> <seed>

Reads entity_id, f01..f10 in key order with Python's sqlite3 (no ODBC), standardizes them as a run's
STANDARD scaling does (population standard deviation: StandardScaler), and prints one JSON line with
each model's inertia in those scaled units, as the run's metrics.inertia is, and its time.
"""
import json
import sqlite3
import sys
import time

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.preprocessing import StandardScaler

path, table, k, batch_size, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
columns = ", ".join(f'"f{j:02d}"' for j in range(1, 11))
with sqlite3.connect(path) as connection:
    rows = connection.execute(f'SELECT {columns} FROM "{table}" ORDER BY "entity_id"').fetchall()
x = StandardScaler().fit_transform(np.asarray(rows, dtype=np.float64))
result = {"rows": len(rows)}
for name, model in [
    ("sklearnMiniBatch", MiniBatchKMeans(n_clusters=k, batch_size=batch_size, random_state=seed, n_init=1)),
    ("sklearnKMeans", KMeans(n_clusters=k, random_state=seed, n_init=1)),
]:
    started = time.perf_counter()
    model.fit(x)
    # MiniBatchKMeans' inertia_ is over the whole data with its final centres, as KMeans'.
    result[name] = {"inertia": float(model.inertia_), "iterations": int(model.n_iter_), "seconds": time.perf_counter() - started}
print(json.dumps(result))
