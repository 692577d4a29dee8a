# Two threads contend for the GIL: hog() spends its time in one long C call
# that holds the GIL (sum over a range: no eval-breaker check inside), so
# waiter(), which only runs Python bytecode, waits for the GIL nearly all the
# time; the main thread waits in join() (a lock, not the GIL). Prints READY
# once both run, and at the end writes "OFFCPU <pct>" to OUTFILE: the share of
# waiter()'s run it was off the CPU (it never sleeps: waiting for the GIL,
# or for a CPU on a loaded machine). SIGUSR1 ends the run early: the test
# sends it when its recording is over, so the run never ends inside one
# however long the profiler took to attach (under ASan, seconds; then the
# main thread, back from join(), held the GIL in the recording).
# Usage: gil.py SECONDS OUTFILE
# Used by tests/integration/test_python_gil.sh. Runs on CPython 3.6-3.13.
import signal
import sys
import threading
import time

stop = False


def on_usr1(sig, frame):
    global stop
    stop = True


def hog(deadline):
    while time.time() < deadline and not stop:
        sum(range(3000000))


def waiter(deadline):
    n = 0
    t0, c0 = time.time(), time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)
    while time.time() < deadline and not stop:
        n += 1
    t1, c1 = time.time(), time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)
    with open(sys.argv[2], "w") as f:
        f.write("OFFCPU %.1f\n" % (100.0 * (1 - (c1 - c0) / (t1 - t0))))


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    deadline = time.time() + float(sys.argv[1])
    threads = [threading.Thread(target=hog, args=(deadline,)), threading.Thread(target=waiter, args=(deadline,))]
    for t in threads:
        t.start()
    print("READY")
    sys.stdout.flush()
    for t in threads:
        t.join()


main()
