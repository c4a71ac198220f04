"""The Python reference for bench/read.ts: what a pandas pipeline gets from pyodbc.

    python3 bench/read-pyodbc.py <connection string> <sql> <key columns> <fetch size>

cursor.fetchmany(fetch size) until empty; each batch becomes a float64 block of the feature columns
(None -> NaN) and a list of key strings; the blocks end as one pandas DataFrame indexed by key. Prints
one JSON line: seconds (execute to DataFrame), cpuSeconds (this process), rows, checksum (sum of the finite feature values),
baselineRssBytes (before execute) and peakRssBytes (getrusage maxrss at the end).
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import pyodbc


def rss_bytes():
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def main():
    connection_string, sql, key_count, fetch_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    connection = pyodbc.connect(connection_string, autocommit=True)
    baseline = rss_bytes()
    started = time.perf_counter()
    cpu_started = time.process_time()
    cursor = connection.cursor()
    cursor.execute(sql)
    names = [column[0] for column in cursor.description]
    blocks, keys = [], []
    while True:
        rows = cursor.fetchmany(fetch_size)
        if not rows:
            break
        block = np.array([tuple(row)[key_count:] for row in rows], dtype=np.float64)
        blocks.append(block)
        keys.extend(str(row[0]) for row in rows)
    values = np.concatenate(blocks) if blocks else np.empty((0, len(names) - key_count))
    frame = pd.DataFrame(values, columns=names[key_count:], index=keys)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({
        'seconds': seconds,
        'cpuSeconds': cpu_seconds,
        'rows': len(frame),
        'checksum': float(np.nansum(values)),
        'baselineRssBytes': baseline,
        'peakRssBytes': peak,
    }))


main()
