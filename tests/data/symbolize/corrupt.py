#!/usr/bin/env python3
"""Writes damaged copies of an ELF file for the symbolizer's robustness test.

usage: corrupt.py ELF OUTDIR SEED
Each copy is named after the damage: truncated at several points, header
fields pointing outside the file, and seeded random bytes over the
sections that symbolization reads (.debug_*, .symtab, .strtab, .dynsym,
.note.gnu.build-id, .gnu_debuglink)."""
import os
import random
import struct
import sys

src, outdir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
rng = random.Random(seed)
base = os.path.basename(src)


def write(tag, blob):
    with open(os.path.join(outdir, "%s.%s" % (base, tag)), "wb") as f:
        f.write(blob)


for frac in (0.02, 0.3, 0.6, 0.95):
    write("trunc%d" % int(frac * 100), data[: int(len(data) * frac)])
write("trunc64", data[:64])

# ELF64 header fields: e_shoff at 0x28, e_shentsize 0x3a, e_shnum 0x3c, e_shstrndx 0x3e.
hdr = bytearray(data)
struct.pack_into("<Q", hdr, 0x28, len(data) - 16)
write("shoff", bytes(hdr))
hdr = bytearray(data)
struct.pack_into("<H", hdr, 0x3c, 0xffff)
write("shnum", bytes(hdr))
hdr = bytearray(data)
struct.pack_into("<H", hdr, 0x3e, 0xfff0)
write("shstrndx", bytes(hdr))

shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
secs = []
for i in range(shnum):
    off = shoff + i * shentsize
    if off + 64 > len(data):
        break
    name, typ, flags, addr, offset, size, link, info, align, entsize = struct.unpack_from(
        "<IIQQQQIIQQ", data, off)
    secs.append((i, name, typ, offset, size, off))
strtab = secs[shstrndx] if shstrndx < len(secs) else None


def secname(nameoff):
    if not strtab:
        return ""
    o = strtab[3] + nameoff
    return data[o:data.index(b"\0", o)].decode("latin-1")


wanted = (".debug_", ".symtab", ".strtab", ".dynsym", ".dynstr", ".note.gnu.build-id",
          ".gnu_debuglink", ".zdebug")
for i, name, typ, offset, size, hoff in secs:
    n = secname(name)
    if not n.startswith(wanted) or typ == 8 or size == 0 or offset + size > len(data):
        continue
    tag = n.strip(".").replace(".", "_")
    # random bytes over a quarter of the section, in a few runs
    blob = bytearray(data)
    for _ in range(8):
        start = offset + rng.randrange(size)
        run = min(rng.randrange(1, max(2, size // 32)), offset + size - start)
        blob[start:start + run] = bytes(rng.randrange(256) for _ in range(run))
    write("rand_" + tag, bytes(blob))
    # the section's size in its header made huge
    blob = bytearray(data)
    struct.pack_into("<Q", blob, hoff + 0x20, 1 << 40)
    write("size_" + tag, bytes(blob))
    # the section's contents zeroed
    blob = bytearray(data)
    blob[offset:offset + size] = bytes(size)
    write("zero_" + tag, bytes(blob))
