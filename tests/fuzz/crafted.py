#!/usr/bin/env python3
"""Crafted profiles that cost far more than their size (issue 12), written at
test time by tests/integration/test_read_crafted.sh and, small, as fuzz seeds
by make_seeds.py.

Usage: crafted.py KIND N OUT
  pprof-strings N   a gzip pprof whose string table is N empty strings
  pprof-inline N    one location with N inline lines, one sample naming it N times
  perf-spaces N     a perf script line of a name, N blanks and no pid
  perf-parens N     a perf script frame whose symbol is N copies of ".("
  perf-lines N      N perf script samples of 3 frames each (the linear baseline)
  folded-wrap N     N folded lines of 10^19 samples each (totals wrap)
"""
import gzip
import sys


def varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def field(num, payload):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def vfield(num, v):
    return varint(num << 3) + varint(v)


def pprof_strings(n):
    return gzip.compress(pprof_strings_raw(n), 9)


def pprof_strings_raw(n):
    return field(6, b"") * n


def pprof_inline(n):
    return gzip.compress(pprof_inline_raw(n), 9)


def pprof_inline_raw(n):
    strings = field(6, b"") + field(6, b"samples") + field(6, b"count") + field(6, b"f")
    sample_type = field(1, vfield(1, 1) + vfield(2, 2))
    function = field(5, vfield(1, 1) + vfield(2, 3))
    line = field(4, vfield(1, 1) + vfield(2, 7))
    location = field(4, vfield(1, 1) + line * n)
    sample = field(2, field(1, varint(1) * n) + field(2, varint(1)))
    return sample_type + sample + location + function + strings


def perf_spaces(n):
    """A sample whose second line is a command name, N blanks, and no pid."""
    return (b"prog 12 1.0: 1 cpu-clock:\n\t1 main (/bin/prog)\n"
            b"x" + b" " * n + b"y\n\n")


def perf_parens(n):
    return (b"prog 12 1.0: 1 cpu-clock:\n\t1 a" + b".(" * n + b" (/bin/prog)\n\n")


def perf_lines(n):
    out = bytearray()
    for i in range(n):
        out += b"prog 12/%d 1.%06d: 1000 cpu-clock:\n" % (12 + i % 4, i)
        out += b"\t401000 leaf_%d+0x10 (/bin/prog)\n" % (i % 50)
        out += b"\t401100 mid+0x20 (/bin/prog)\n\t401200 main+0x30 (/bin/prog)\n\n"
    return bytes(out)


def folded_wrap(n):
    return b"".join(b"main;f%d 10000000000000000000\n" % i for i in range(n))


KINDS = {
    "pprof-strings": pprof_strings,
    "pprof-inline": pprof_inline,
    "perf-spaces": perf_spaces,
    "perf-parens": perf_parens,
    "perf-lines": perf_lines,
    "folded-wrap": folded_wrap,
}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    with open(sys.argv[3], "wb") as f:
        f.write(KINDS[sys.argv[1]](int(sys.argv[2])))


if __name__ == "__main__":
    main()
