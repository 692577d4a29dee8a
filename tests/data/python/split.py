# Nested Python functions whose leaf time splits about 60/40 between leaf_a
# and leaf_b; measures that split itself (perf_counter around each leaf call)
# and writes "TRUTH <share of leaf_a in %>" to argv[2] at the end. Prints
# READY once running. Usage: split.py SECONDS OUTFILE
# Used by tests/integration/test_python_record.sh. Runs on CPython 3.6-3.13.
import sys
import time

clock = time.perf_counter
spent = [0.0, 0.0]


def leaf_a():
    x = 0
    for i in range(600):
        x += i
    return x


def leaf_b():
    x = 0
    for i in range(400):
        x += i
    return x


def middle():
    t0 = clock()
    leaf_a()
    t1 = clock()
    leaf_b()
    t2 = clock()
    spent[0] += t1 - t0
    spent[1] += t2 - t1


def outer(deadline):
    while clock() < deadline:
        middle()


print("READY")
sys.stdout.flush()
outer(clock() + float(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    f.write("TRUTH %.1f\n" % (100.0 * spent[0] / (spent[0] + spent[1])))
