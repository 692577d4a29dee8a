#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_perf_record (tests/fuzz/corpus/fuzz_perf_record/),
and the crafted-input seeds of the readers' harnesses (fuzz_read, fuzz_pprof,
fuzz_perfscript, fuzz_collapsed: issue 12's shapes, small, from crafted.py).

Each seed is: two bytes of ring start offset, one mode byte (bit 0: frame
pointer mode, bit 1: --kernel), then perf_event records as the kernel lays
them for prowl's attr (sample_type IP|TID|TIME [+CALLCHAIN] [+REGS_USER|
STACK_USER], sample_id_all: a pid/tid + time trailer on every other record).
Samples come from process 4242, with registers pointing into samples/bin/cpu
mapped at 0x10000000 (see fuzz_perf_record.c). Run from anywhere; rerun when
the layout of samples/bin/cpu changes (the fuzzer works without it, only
slower to find deep paths).
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_perf_record")
PID = 4242
BASE = 0x10000000
SP = 0x7FFD0000
# PERF_RECORD_* types
MMAP2, COMM, EXIT, FORK, LOST, SAMPLE, THROTTLE = 10, 3, 4, 7, 2, 9, 5
CTX_KERNEL = (1 << 64) - 128
CTX_USER = (1 << 64) - 512
NREGS = 17  # AX BX CX DX SI DI BP SP IP, R8..R15


def rec(rtype, misc, body):
    body += b"\0" * (-len(body) % 8)
    return struct.pack("<IHH", rtype, misc, 8 + len(body)) + body


def trailer(t, pid=PID, tid=PID):
    return struct.pack("<IIQ", pid, tid, t)


def regs(ip, sp, bp=0):
    r = [0] * NREGS
    r[6], r[7], r[8] = bp, sp, ip
    return struct.pack("<Q", 2) + struct.pack("<%dQ" % NREGS, *r)


def stack(words, size=None):
    data = struct.pack("<%dQ" % len(words), *words)
    size = size if size is not None else len(data)
    data = data[:size] + b"\0" * (size - len(data))
    return struct.pack("<Q", size) + data + struct.pack("<Q", min(size, len(words) * 8))


def sample_dwarf(t, ip, words, callchain=None, tid=PID):
    body = struct.pack("<QIIQ", ip, PID, tid, t)
    if callchain is not None:
        body += struct.pack("<Q", len(callchain)) + struct.pack("<%dQ" % len(callchain), *callchain)
    return rec(SAMPLE, 2, body + regs(ip, SP) + stack(words))


def sample_fp(t, chain, tid=PID):
    body = struct.pack("<QIIQ", chain[-1] if chain else 0, PID, tid, t)
    body += struct.pack("<Q", len(chain)) + struct.pack("<%dQ" % len(chain), *chain)
    return rec(SAMPLE, 2, body)


def mmap2(t, addr, length, pgoff, path, prot=5):
    body = struct.pack("<IIQQQIIQQII", PID, PID, addr, length, pgoff, 8, 1, 1234, 0, prot, 2)
    name = path.encode() + b"\0"
    name += b"\0" * (-len(name) % 8)
    return rec(MMAP2, 2, body + name + trailer(t))


def comm(t, name, exec_=False, tid=PID):
    n = name.encode() + b"\0"
    n += b"\0" * (-len(n) % 8)
    return rec(COMM, 0x2000 if exec_ else 0, struct.pack("<II", PID, tid) + n + trailer(t, tid=tid))


def fork_exit(rtype, t, tid, ppid=PID):
    return rec(rtype, 0, struct.pack("<IIIIQ", PID, ppid, tid, PID, t) + trailer(t, tid=tid))


def lost(t, n):
    return rec(LOST, 0, struct.pack("<QQ", 1, n) + trailer(t))


def throttle(t):
    return rec(THROTTLE, 0, struct.pack("<QQQ", t, 1, 1) + trailer(t))


HOT_A, RET_RUN, RET_MAIN = BASE + 0x1404, BASE + 0x14A5, BASE + 0x1148


def seed(name, start, mode, records):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack("<HB", start, mode) + b"".join(records))


seed("dwarf-sample", 0, 0, [sample_dwarf(100, HOT_A, [RET_RUN, RET_MAIN, 0, 0])])
seed("dwarf-kernel", 0, 2, [sample_dwarf(100, HOT_A, [RET_RUN, RET_MAIN],
                                         callchain=[CTX_KERNEL, 0xFFFFFFFF81000000, 0xFFFFFFFF81000100])])
seed("dwarf-truncated", 0, 0, [rec(SAMPLE, 2, struct.pack("<QIIQ", HOT_A, PID, PID, 5) + regs(HOT_A, SP)
                                   + struct.pack("<Q", 64) + struct.pack("<8Q", RET_RUN, 0, 0, 0, 0, 0, 0, 0)
                                   + struct.pack("<Q", 8))])
seed("fp-sample", 0, 1, [sample_fp(100, [CTX_USER, HOT_A, RET_RUN, RET_MAIN])])
seed("fp-kernel", 0, 3, [sample_fp(100, [CTX_KERNEL, 0xFFFFFFFF81000000, CTX_USER, HOT_A, RET_RUN])])
seed("events", 0, 0, [
    comm(1, "cpu", exec_=True),
    mmap2(2, BASE + 0x100000, 0x1000, 0x1000, "/nonexistent/libplugin.so"),
    fork_exit(FORK, 3, PID + 1),
    comm(4, "worker", tid=PID + 1),
    sample_dwarf(5, HOT_A, [RET_RUN, RET_MAIN], tid=PID + 1),
    fork_exit(EXIT, 6, PID + 1),
    lost(7, 3),
    throttle(8),
])
# Out of time order: the decoder must sort them.
seed("unordered", 0, 1, [sample_fp(50, [CTX_USER, HOT_A]), sample_fp(10, [CTX_USER, RET_RUN]),
                          comm(30, "renamed")])
# A record that straddles the end of the 4 KiB ring.
seed("wrap", 4096 - 16, 0, [comm(1, "x"), sample_dwarf(2, HOT_A, [RET_RUN, RET_MAIN])])


# The readers' crafted shapes (tests/fuzz/crafted.py), small enough for the
# fuzzers' 16 KiB inputs. fuzz_read's first byte picks the format (0: detect,
# 1 collapsed, 2 perf script, 4 pprof); fuzz_perfscript's the option words.
import random  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crafted  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def text_seed(harness, name, data):
    os.makedirs(os.path.join(CORPUS, harness), exist_ok=True)
    with open(os.path.join(CORPUS, harness, name), "wb") as f:
        f.write(data)


rng = random.Random(12)
noise = bytes(rng.randrange(256) for _ in range(4000))
inlined = (b"prog 12/13 1.0: 10101010 cpu-clock:\n\t401010 leaf (inlined)\n"
           b"\t401010 compute+0x10 (/usr/bin/prog)\n\t401200 main+0x20 (/usr/bin/prog)\n\n")
text_seed("fuzz_read", "crafted-pprof-strings.pb.gz", b"\0" + crafted.pprof_strings(200000))
text_seed("fuzz_read", "crafted-pprof-strings-raw", b"\4" + crafted.pprof_strings_raw(3000))
text_seed("fuzz_read", "crafted-pprof-inline", b"\4" + crafted.pprof_inline_raw(90))
text_seed("fuzz_read", "crafted-perf-spaces", b"\0" + crafted.perf_spaces(8000))
text_seed("fuzz_read", "crafted-perf-parens", b"\0" + crafted.perf_parens(4000))
text_seed("fuzz_read", "crafted-perf-inlined", b"\0" + inlined)
text_seed("fuzz_read", "crafted-folded-wrap", b"\0" + crafted.folded_wrap(3))
text_seed("fuzz_read", "crafted-binary-after-header", b"\0" + b"prog 12 1.0: cpu-clock:\n\t1 f (/bin/m)\n" + noise)
text_seed("fuzz_pprof", "strings.pb.gz", crafted.pprof_strings(200000))
text_seed("fuzz_pprof", "strings-raw", crafted.pprof_strings_raw(3000))
text_seed("fuzz_pprof", "inline-raw", crafted.pprof_inline_raw(90))
text_seed("fuzz_pprof", "inline.pb.gz", crafted.pprof_inline(2000))
text_seed("fuzz_perfscript", "crafted-spaces", b"\0" + crafted.perf_spaces(8000))
text_seed("fuzz_perfscript", "crafted-parens", b"\0" + crafted.perf_parens(4000))
text_seed("fuzz_perfscript", "crafted-inlined", b"\x1f" + inlined)
text_seed("fuzz_collapsed", "crafted-wrap", crafted.folded_wrap(3))
