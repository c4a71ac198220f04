"""The Python pipeline a data team would write instead of this server (issue 6): pyodbc + pandas +
scikit-learn, doing what a model run does, on the same database through the same ODBC driver.

    python3 bench/pipeline.py --connection '<ODBC connection string>' --dialect postgresql|sqlite|mysql \
        --table bench_blobs_1000000 --key entity_id --features f01,...,f10 --k 10 --seed 1 [--form pandas|fetchmany]

  1. read     SELECT key, features ORDER BY key over a pyodbc connection: --form pandas (the default)
              with pandas.read_sql; --form fetchmany with cursor.fetchmany(--batch) into numpy blocks and
              one DataFrame (bench/read-pyodbc.py's way, without pandas' per-row objects)
  2. prepare  drop rows with a missing feature, StandardScaler
  3. cluster  KMeans(k, init='k-means++', n_init=1, algorithm='lloyd', random_state=seed) with
              scikit-learn's defaults otherwise (max_iter=300, tol=1e-4)
  4. score    silhouette (sample of 2,000 rows, as the server), Davies-Bouldin, Calinski-Harabasz,
              each row's distance to its centroid
  5. publish  UPSERT the outcomes (dataset_id, entity_key, run_id, cluster, distance, scored_at) into
              --outcome-table, 1,000 rows per multi-VALUES statement (ON CONFLICT … DO UPDATE; MariaDB
              ON DUPLICATE KEY UPDATE … VALUES()), one transaction, commit

The outcome table is dropped and created before the clock starts. Prints one JSON line with each
phase's seconds, the total, iterations, inertia, silhouette and peak RSS (getrusage maxrss).
scikit-learn, pandas and pyodbc are benchmark-only: `pip install --user -r bench/requirements.txt`.
"""
import argparse
import datetime
import json
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pyodbc
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.preprocessing import StandardScaler

OUTCOME_COLUMNS = ['dataset_id', 'entity_key', 'run_id', 'cluster', 'distance', 'scored_at']


def outcome_table_ddl(dialect, table):
    double = {'postgresql': 'DOUBLE PRECISION', 'mysql': 'DOUBLE'}.get(dialect, 'REAL')
    timestamp = {'postgresql': 'TIMESTAMP(3)', 'mysql': 'DATETIME(3)'}.get(dialect, 'TEXT')
    return (f'CREATE TABLE {table} (dataset_id VARCHAR(64) NOT NULL, entity_key VARCHAR(512) NOT NULL, '
            f'run_id VARCHAR(64) NOT NULL, cluster INTEGER NOT NULL, distance {double} NOT NULL, '
            f'scored_at {timestamp} NOT NULL, PRIMARY KEY (dataset_id, entity_key))')


def upsert_sql(dialect, table, rows):
    values = ', '.join(['(?, ?, ?, ?, ?, ?)'] * rows)
    insert = f'INSERT INTO {table} ({", ".join(OUTCOME_COLUMNS)}) VALUES {values} '
    if dialect == 'mysql':
        return insert + 'ON DUPLICATE KEY UPDATE ' + ', '.join(f'{column} = VALUES({column})' for column in OUTCOME_COLUMNS[2:])
    updates = ', '.join(f'{column} = excluded.{column}' for column in OUTCOME_COLUMNS[2:])
    return insert + f'ON CONFLICT (dataset_id, entity_key) DO UPDATE SET {updates}'


def read_fetchmany(connection, sql, key, features, batch):
    cursor = connection.cursor()
    cursor.execute(sql)
    blocks, keys = [], []
    while True:
        rows = cursor.fetchmany(batch)
        if not rows:
            break
        blocks.append(np.array([tuple(row)[1:] for row in rows], dtype=np.float64))
        keys.extend(row[0] for row in rows)
    values = np.concatenate(blocks) if blocks else np.empty((0, len(features)))
    frame = pd.DataFrame(values, columns=features)
    frame.insert(0, key, keys)
    return frame


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--connection', required=True)
    parser.add_argument('--dialect', choices=['postgresql', 'sqlite', 'mysql'], required=True)
    parser.add_argument('--form', choices=['pandas', 'fetchmany'], default='pandas')
    parser.add_argument('--table', required=True)
    parser.add_argument('--key', default='entity_id')
    parser.add_argument('--features', required=True)
    parser.add_argument('--k', type=int, default=10)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--outcome-table', default='bench_py_outcome')
    parser.add_argument('--batch', type=int, default=1000)
    args = parser.parse_args()
    features = args.features.split(',')

    connection = pyodbc.connect(args.connection, autocommit=False)
    cursor = connection.cursor()
    cursor.execute(f'DROP TABLE IF EXISTS {args.outcome_table}')
    cursor.execute(outcome_table_ddl(args.dialect, args.outcome_table))
    connection.commit()

    times = {}
    started = clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        times[name] = now - clock
        clock = now

    select = f'SELECT {args.key}, {", ".join(features)} FROM {args.table} ORDER BY {args.key}'
    if args.form == 'fetchmany':
        frame = read_fetchmany(connection, select, args.key, features, args.batch)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # pandas prefers SQLAlchemy; a plain DBAPI connection works
            frame = pd.read_sql(select, connection)
    lap('read')

    frame = frame.dropna()
    matrix = StandardScaler().fit_transform(frame[features].to_numpy(dtype=np.float64))
    lap('prepare')

    model = KMeans(n_clusters=args.k, init='k-means++', n_init=1, algorithm='lloyd', random_state=args.seed).fit(matrix)
    lap('cluster')

    labels = model.labels_
    silhouette = silhouette_score(matrix, labels, sample_size=min(2000, len(matrix)), random_state=args.seed)
    davies_bouldin = davies_bouldin_score(matrix, labels)
    calinski_harabasz = calinski_harabasz_score(matrix, labels)
    distances = np.sqrt(((matrix - model.cluster_centers_[labels]) ** 2).sum(axis=1))
    lap('score')

    scored_at = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]
    keys = frame[args.key].astype(str).tolist()
    clusters = labels.tolist()
    distance_list = distances.tolist()
    statement = upsert_sql(args.dialect, args.outcome_table, args.batch)
    for start in range(0, len(keys), args.batch):
        end = min(start + args.batch, len(keys))
        parameters = []
        for i in range(start, end):
            parameters.extend(('bench', keys[i], 'python', clusters[i], distance_list[i], scored_at))
        cursor.execute(statement if end - start == args.batch else upsert_sql(args.dialect, args.outcome_table, end - start), parameters)
    connection.commit()
    lap('publish')

    total = time.perf_counter() - started
    cursor.execute(f'SELECT COUNT(*) FROM {args.outcome_table}')
    published = cursor.fetchone()[0]
    connection.close()
    print(json.dumps({
        'form': args.form,
        'seconds': {**times, 'total': total},
        'rows': len(frame),
        'published': published,
        'iterations': int(model.n_iter_),
        'inertia': float(model.inertia_),
        'silhouette': float(silhouette),
        'daviesBouldin': float(davies_bouldin),
        'calinskiHarabasz': float(calinski_harabasz),
        'peakRssMb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        'versions': {'python': sys.version.split()[0], 'sklearn': sklearn.__version__, 'pandas': pd.__version__,
                     'numpy': np.__version__, 'pyodbc': pyodbc.version},
    }))


if __name__ == '__main__':
    main()
