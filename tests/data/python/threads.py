# Threads for tests/integration/test_python_threads.sh: the main thread and
# threads named by threading ("alpha", "beta") spin in functions of their
# own; a third thread, started by threading with no name, names itself at
# the OS level ("osname", prctl through ctypes) and spins too. Writes one
# line per thread to OUTFILE, "TID NAME FUNCTION" (NAME as threading calls
# it; the OS name for the third), then prints READY. Runs SECONDS.
# Usage: threads.py SECONDS OUTFILE. CPython 3.6-3.13.
import ctypes
import sys
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)
SYS_gettid = 186  # x86-64
PR_SET_NAME = 15
lines = []
lock = threading.Lock()
started = threading.Semaphore(0)


def note(name, func):
    with lock:
        lines.append("%d %s %s" % (libc.syscall(SYS_gettid), name, func))
    started.release()


def spin_alpha(deadline):
    note(threading.current_thread().name, "spin_alpha")
    while time.time() < deadline:
        pass


def spin_beta(deadline):
    note(threading.current_thread().name, "spin_beta")
    while time.time() < deadline:
        pass


def spin_os(deadline):
    libc.prctl(PR_SET_NAME, b"osname", 0, 0, 0)
    note("osname", "spin_os")
    while time.time() < deadline:
        pass


def spin_main(deadline):
    while time.time() < deadline:
        pass


def main():
    deadline = time.time() + float(sys.argv[1])
    threads = [threading.Thread(target=spin_alpha, name="alpha", args=(deadline,)),
               threading.Thread(target=spin_beta, name="beta", args=(deadline,)),
               threading.Thread(target=spin_os, args=(deadline,))]
    for t in threads:
        t.start()
    for t in threads:
        started.acquire()
    lines.append("%d %s spin_main" % (libc.syscall(SYS_gettid), threading.current_thread().name))
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(lines) + "\n")
    print("READY")
    sys.stdout.flush()
    spin_main(deadline)
    for t in threads:
        t.join()


main()
