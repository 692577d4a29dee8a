# Parks threads at known places and writes, for every thread, what the
# interpreter itself says its stack is (traceback.extract_stack plus each
# code object's qualified name), in pystack's format:
#   TID<TAB>co_name<TAB>qualname<TAB>file<TAB>line   (innermost first)
# then prints READY and sleeps. Used by tests/integration/test_python_stack.sh.
# Runs on CPython 3.6-3.13: no newer syntax here.
import _thread
import ctypes
import sys
import threading
import traceback

libc = ctypes.CDLL(None)
SYS_gettid = 186  # x86-64
block = _thread.allocate_lock()
block.acquire()
tids = {}
spin_started = _thread.allocate_lock()
spin_started.acquire()


def park(started):
    tids[threading.get_ident()] = libc.syscall(SYS_gettid)
    started.release(); block.acquire()


class Klass:
    def método(self, started):
        return función_λ(started)


def función_λ(started):
    park(started)


def recurse(n, started):
    if n == 0:
        return park(started)
    return recurse(n - 1, started)


def sorter(started):
    return sorted([3, 1], key=lambda x: park(started) or x)


def spin():
    tids[threading.get_ident()] = libc.syscall(SYS_gettid)
    n = 0
    spin_started.release()
    while True: n += 1


def qualname(code):
    return getattr(code, "co_qualname", code.co_name)


def describe(tid, frame):
    summary = traceback.extract_stack(frame)
    codes = []
    f = frame
    while f is not None:
        codes.append(f.f_code)
        f = f.f_back
    codes.reverse()
    assert len(codes) == len(summary)
    lines = []
    for fs, code in reversed(list(zip(summary, codes))):
        lines.append("%d\t%s\t%s\t%s\t%d\n" % (tid, fs.name, qualname(code), fs.filename, fs.lineno))
    return lines


def finish(main_frame):
    frames = sys._current_frames()
    out = []
    for ident, frame in frames.items():
        if ident == threading.get_ident():
            continue
        out.extend(describe(tids[ident], frame))
    out.extend(describe(libc.syscall(SYS_gettid), main_frame))
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        f.writelines(out)
    spin_tid = [t for i, t in tids.items() if i == spinner.ident][0]
    print("READY %d" % spin_tid)
    sys.stdout.flush()


def main():
    global spinner
    targets = [lambda s: Klass().método(s), lambda s: recurse(40, s), sorter]
    for target in targets:
        started = _thread.allocate_lock()
        started.acquire()
        threading.Thread(target=target, args=(started,), daemon=True).start()
        started.acquire()
    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    spin_started.acquire()
    finish(sys._getframe()); block.acquire()


main()
