"""Writes seed inputs for tests/fuzz/fuzz_python.c (mode 2: target memory):
a tiny interpreter with one thread running two frames, laid out with the
offsets of prowl's table for each version, so the fuzzer starts inside the
walker instead of guessing pointers; and the same with threading's
thread names (names-3.N). Run from the repository root:
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


def names_seed(minor):
    """The walk seed plus sys.modules -> threading -> _active holding one
    Thread named "alpha" (tid 4242), its attributes kept the version's way
    (a dict up to 3.10, split values before the object in 3.11 and 3.12,
    inline values in 3.13), so the fuzzer starts inside python_read_names()."""
    o = tables[minor]
    head = seed(minor)
    img = bytearray(head[2:]) + bytearray(0x2000)
    top = [0x3800 + BASE]
    str_type, int_type = 0x7000, 0x7100  # compared, never read

    def alloc(n):
        a = top[0]
        top[0] += (n + 15) & ~15
        return a

    def put(addr, off, fmt, v):
        struct.pack_into(fmt, img, addr - BASE + off, v)

    def ptr(addr, off, v):
        put(addr, off, "<Q", v)

    def string(s):
        a = alloc(o["uni_ascii_size"] + len(s) + 1)
        put(a, o["uni_length"], "<q", len(s))
        put(a, o["uni_state"], "<I", 1 << 2 | 1 << 5 | 1 << 6 | 1 << 7)
        ptr(a, o["ob_type"], str_type)
        img[a - BASE + o["uni_ascii_size"]:a - BASE + o["uni_ascii_size"] + len(s)] = s
        return a

    def long(v):
        a = alloc(40)
        digits = [v & 0x3fffffff, v >> 30 & 0x3fffffff]
        n = 2 if digits[1] else 1
        put(a, 16, "<Q", n << 3 if minor >= 12 else n)
        put(a, 24, "<I", digits[0])
        put(a, 28, "<I", digits[1])
        ptr(a, o["ob_type"], int_type)
        return a

    def keys(kind, items, with_values=True):
        size = 8
        if minor <= 10:
            a = alloc(40 + size + 24 * len(items))
            put(a, 8, "<q", size)
            put(a, 32, "<q", len(items))
            for i, (k, v) in enumerate(items):
                struct.pack_into("<QQQ", img, a - BASE + 40 + size + 24 * i, 1, k, v if with_values else 0)
            return a
        es = 24 if kind == 0 else 16
        a = alloc(32 + size + es * len(items))
        img[a - BASE + 8:a - BASE + 11] = bytes([3, 3, kind])
        put(a, 24, "<q", len(items))
        for i, (k, v) in enumerate(items):
            e = (1, k, v if with_values else 0) if es == 24 else (k, v if with_values else 0)
            struct.pack_into("<%dQ" % len(e), img, a - BASE + 32 + size + es * i, *e)
        return a

    def dict_(k, values=0):
        a = alloc(48)
        ptr(a, 32, k)
        ptr(a, 40, values)
        return a

    pth = alloc(736)  # glibc's struct pthread: the ident, the tid inside (3.6, 3.7)
    put(pth, 720, "<I", 4242)
    attrs = [(string(b"_name"), string(b"alpha")), (string(b"_ident"), long(pth))]
    if minor >= 8:
        attrs.append((string(b"_native_id"), long(4242)))
    typ = alloc(1024)
    obj = alloc(128) + 32
    ptr(obj, 8, typ)
    if minor <= 10:
        put(typ, 168, "<Q", 1 << 9)
        put(typ, 288, "<q", 16)
        ptr(obj, 16, dict_(keys(1, attrs)))
    else:
        put(typ, 168, "<Q", 1 << 9 | 1 << 4 | (1 << 2 if minor >= 13 else 0))
        put(typ, 32, "<q", 16)
        ptr(typ, o["ht_cached_keys"], keys(2, attrs, False))
        vals = [v for _, v in attrs]
        if minor == 13:
            img[obj + 16 - BASE:obj + 20 - BASE] = bytes([len(vals), len(vals), 1, 1])
            for i, v in enumerate(vals):
                ptr(obj + 24, 8 * i, v)
        else:
            va = alloc(8 * len(vals))
            for i, v in enumerate(vals):
                ptr(va, 8 * i, v)
            if minor == 11:
                ptr(obj - 32, 0, va)
            else:
                ptr(obj - 24, 0, va - 1)
    active = dict_(keys(0, [(long(pth), obj)]))
    module = alloc(32)
    ptr(module, 16, dict_(keys(1, [(string(b"_active"), active)])))
    ptr(0x1100, o["is_modules"], dict_(keys(1, [(string(b"sys"), module), (string(b"threading"), module)])))
    return head[:2] + bytes(img)


for minor in sorted(tables):
    with open(os.path.join(sys.argv[1], "walk-3.%d" % minor), "wb") as f:
        f.write(seed(minor))
    with open(os.path.join(sys.argv[1], "names-3.%d" % minor), "wb") as f:
        f.write(names_seed(minor))
