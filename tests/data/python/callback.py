# Two threads whose time is mostly Python called back from C: sorted() with
# a key function (Python -> C builtin -> Python) and sum() over a generator
# (C driving a Python frame). Prints READY once both run.
# Usage: callback.py SECONDS
# Used by tests/integration/test_python_callback.sh. Runs on CPython 3.6-3.13.
import sys
import threading
import time


def key_of(v):
    x = 0
    for i in range(20):
        x += i
    return -v


def sorter(deadline):
    while time.time() < deadline:
        sorted(range(200), key=key_of)


def gen():
    for i in range(200):
        yield i * 2


def summer(deadline):
    while time.time() < deadline:
        sum(gen())


deadline = time.time() + float(sys.argv[1])
threads = [threading.Thread(target=sorter, args=(deadline,)), threading.Thread(target=summer, args=(deadline,))]
for t in threads:
    t.start()
print("READY")
sys.stdout.flush()
for t in threads:
    t.join()
