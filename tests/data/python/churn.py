# Keeps an interpreter changing as fast as it can: threads that start and
# end, recursion that grows and shrinks, generators, code objects made and
# dropped (exec of fresh source), so that a walker reading it without
# stopping it sees frames and code objects freed under it.
# Used by tests/integration/test_python_live.sh. CPython 3.6-3.13 syntax.
import sys
import threading


def deep(n):
    if n <= 0:
        return sum(g() for g in (gen,) * 3)
    return deep(n - 1) + 1


def gen():
    return sum(x for x in range(50))


def fresh(i):
    ns = {}
    exec("def f_%d(k):\n    return [j * k for j in range(%d)]\n" % (i, i % 30), ns)
    return ns["f_%d" % i](i)


def worker(i):
    for _ in range(30):
        deep(i % 60)
        fresh(i)


def main():
    print("READY")
    sys.stdout.flush()
    i = 0
    while True:
        ts = [threading.Thread(target=worker, args=(i + k,)) for k in range(3)]
        for t in ts:
            t.start()
        deep(i % 80)
        fresh(i)
        for t in ts:
            t.join()
        i += 1


main()
