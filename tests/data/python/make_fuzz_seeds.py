"""Writes seed inputs for tests/fuzz/fuzz_python.c (mode 2: target memory):
a tiny interpreter with one thread running two frames, laid out with the
offsets of prowl's table for each version, so the fuzzer starts inside the
walker instead of guessing pointers. Run from the repository root:
    python3 tests/data/python/make_fuzz_seeds.py tests/fuzz/corpus/fuzz_python
"""
import os
import re
import struct
import sys

BASE = 0x1000
src = open("profiler/capture/pyoffsets.c").read()
tables = {}
for name, body in re.findall(r"static const struct py_offsets py(\d+) = \{(.*?)\};", src, re.S):
    tables[int(name[1:])] = {k: int(v) for k, v in re.findall(r"\.(\w+) = (-?\d+)", body)}


def seed(minor):
    o = tables[minor]
    img = bytearray(0x2800)

    def put(addr, off, fmt, v):
        struct.pack_into(fmt, img, addr - BASE + off, v)

    def ptr(addr, off, v):
        put(addr, off, "<Q", v)

    def ascii(addr, s):
        put(addr, o["uni_length"], "<q", len(s))
        put(addr, o["uni_state"], "<I", 1 << 2 | 1 << 5 | 1 << 6 | 1 << 7)
        img[addr - BASE + o["uni_ascii_size"]:addr - BASE + o["uni_ascii_size"] + len(s)] = s

    rt, interp, ts, cf, pth, f1, f2, code, name, fname, lt = (
        0x1000, 0x1100, 0x2e00, 0x3000, 0x3040, 0x3300, 0x3400, 0x3500, 0x3600, 0x3680, 0x3700)
    if minor == 6:
        ptr(rt, 0, interp)  # interp_head
    else:
        ptr(rt, o["rt_interp_head"], interp)
    ptr(interp, o["is_tstate_head"], ts)
    if o["cf_current_frame"] >= 0:
        ptr(ts, o["ts_frame"], cf)
        ptr(cf, o["cf_current_frame"], f1)
    else:
        ptr(ts, o["ts_frame"], f1)
    ptr(ts, o["ts_thread_id"], pth)
    if o["ts_native_thread_id"] >= 0:
        ptr(ts, o["ts_native_thread_id"], 1234)
    for f, prev in ((f1, f2), (f2, 0)):
        ptr(f, o["fr_code"], code)
        ptr(f, o["fr_previous"], prev)
        if minor <= 10:
            put(f, o["fr_lasti"], "<i", 4)
        else:
            ptr(f, o["fr_lasti"], code + o["co_code_adaptive"] + 4)
    ptr(code, o["co_name"], name)
    ptr(code, o["co_filename"], fname)
    if o["co_qualname"] >= 0:
        ptr(code, o["co_qualname"], name)
    ptr(code, o["co_linetable"], lt)
    put(code, o["co_firstlineno"], "<i", 7)
    ascii(name, b"work")
    ascii(fname, b"/app.py")
    table = {6: b"\x02\x01", 10: b"\x02\x01\x40\x01"}.get(minor, b"\x02\x01") if minor <= 10 else b"\xe8\x02\xef\x02"
    put(lt, o["bytes_size"], "<q", len(table))
    img[lt - BASE + o["bytes_sval"]:lt - BASE + o["bytes_sval"] + len(table)] = table
    return bytes([(minor - 6) | 2 << 3, 0]) + bytes(img)


for minor in sorted(tables):
    with open(os.path.join(sys.argv[1], "walk-3.%d" % minor), "wb") as f:
        f.write(seed(minor))
