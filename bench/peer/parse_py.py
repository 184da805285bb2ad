"""The Python peers of the parsing benchmark (issue 5): one loader, one file, one timed run.

Prints one line `BENCH {"wallS": …, "cpuS": …, "rows": …, "cols": …, "sum": …}`; the timing covers
path → typed array (the file is in the page cache), not the imports. CPU time is the whole
process's (every thread), from getrusage.

usage: /usr/bin/python3 parse_py.py METHOD FILE
  pandas          pandas.read_csv(header=None) + .to_numpy(float32)
  numpy-loadtxt   numpy.loadtxt(delimiter=",", dtype=float32)
  xgb-csv         xgboost.DMatrix("FILE?format=csv&label_column=0")
  xgb-libsvm      xgboost.DMatrix("FILE?format=libsvm")
  sklearn-libsvm  sklearn.datasets.load_svmlight_file(dtype=float32, zero_based=True)
  recordio-struct RecordIO frames + aialgs.data.Record read with `struct`, values via numpy.frombuffer
                  (no protobuf package on this machine: a hand-written decoder, dense float32 rows)
"""
import json
import resource
import struct
import sys
import time

import numpy as np

method, path = sys.argv[1], sys.argv[2]

if method == "pandas":
    import pandas as pd
elif method.startswith("xgb-"):
    import xgboost as xgb
elif method == "sklearn-libsvm":
    from sklearn.datasets import load_svmlight_file


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


MAGIC = 0xCED7230A


def varint(b, pos):
    result = 0
    shift = 0
    while True:
        c = b[pos]
        pos += 1
        result |= (c & 0x7F) << shift
        if c < 0x80:
            return result, pos
        shift += 7


def skip(b, pos, wire):
    if wire == 0:
        return varint(b, pos)[1]
    if wire == 1:
        return pos + 8
    if wire == 2:
        n, pos = varint(b, pos)
        return pos + n
    if wire == 5:
        return pos + 4
    raise ValueError("unsupported wire type %d" % wire)


def tensor_values(b, start, end):
    """The packed float32 `values` (field 1) of a Value{float32_tensor = 2} message, as (start, end)."""
    pos = start
    while pos < end:
        tag, pos = varint(b, pos)
        field, wire = tag >> 3, tag & 7
        if field == 2 and wire == 2:  # float32_tensor
            n, pos = varint(b, pos)
            t_end = pos + n
            while pos < t_end:
                ttag, pos = varint(b, pos)
                if ttag == 0x0A:  # values, packed
                    m, pos = varint(b, pos)
                    return pos, pos + m
                pos = skip(b, pos, ttag & 7)
            return None
        pos = skip(b, pos, wire)
    return None


def map_value(b, start, end):
    """The value of one map<string, Value> entry: key = 1, value = 2."""
    pos = start
    while pos < end:
        tag, pos = varint(b, pos)
        if tag == 0x12:
            n, pos = varint(b, pos)
            return tensor_values(b, pos, pos + n)
        pos = skip(b, pos, tag & 7)
    return None


def decode_recordio(b):
    features = []
    labels = []
    unpack = struct.unpack_from
    pos = 0
    n = len(b)
    while pos < n:
        magic, word = unpack("<II", b, pos)
        if magic != MAGIC:
            raise ValueError("bad magic at %d" % pos)
        if word >> 29:
            raise ValueError("multi-part records are not handled by this decoder")
        length = word & ((1 << 29) - 1)
        start = pos + 8
        end = start + length
        pos = end + ((4 - length % 4) % 4)
        p = start
        while p < end:
            tag, p = varint(b, p)
            m, p = varint(b, p)  # both fields 1 (features) and 2 (label) are length-delimited
            run = map_value(b, p, p + m)
            if run is not None:
                (features if tag == 0x0A else labels).append(b[run[0] : run[1]])
            p += m
    cols = len(features[0]) // 4 if features else 0
    x = np.frombuffer(b"".join(features), dtype="<f4").reshape(len(features), cols)
    y = np.frombuffer(b"".join(labels), dtype="<f4")
    return x, y


def load():
    """path -> typed array(s); returns a function computing (rows, cols, checksum) afterwards."""
    if method == "pandas":
        arr = pd.read_csv(path, header=None).to_numpy(np.float32)
        return lambda: (arr.shape[0], arr.shape[1], float(arr.sum(dtype=np.float64)))
    if method == "numpy-loadtxt":
        arr = np.loadtxt(path, delimiter=",", dtype=np.float32)
        return lambda: (arr.shape[0], arr.shape[1], float(arr.sum(dtype=np.float64)))
    if method in ("xgb-csv", "xgb-libsvm"):
        uri = path + ("?format=csv&label_column=0" if method == "xgb-csv" else "?format=libsvm")
        d = xgb.DMatrix(uri)
        return lambda: (d.num_row(), d.num_col() + 1, float(d.get_label().sum(dtype=np.float64)))
    if method == "sklearn-libsvm":
        x, y = load_svmlight_file(path, dtype=np.float32, zero_based=True)
        return lambda: (x.shape[0], x.shape[1] + 1, float(x.sum(dtype=np.float64) + y.sum(dtype=np.float64)))
    if method == "recordio-struct":
        with open(path, "rb") as f:
            data = f.read()
        x, y = decode_recordio(data)
        return lambda: (x.shape[0], x.shape[1] + 1, float(x.sum(dtype=np.float64) + y.sum(dtype=np.float64)))
    sys.exit("unknown method " + method)


t0 = time.perf_counter()
c0 = cpu()
describe = load()
wall = time.perf_counter() - t0
cpu_s = cpu() - c0
rows, cols, total = describe()
print("BENCH " + json.dumps({"wallS": wall, "cpuS": cpu_s, "rows": rows, "cols": cols, "sum": total}))
