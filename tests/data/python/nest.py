# The nested hot loop of the JIT tests: outer -> middle -> leaf, nearly all
# the time in leaf. Usage (the tests add the call): the pid goes to argv[2].
import os, sys, time
open(sys.argv[2], "w").write(str(os.getpid()))
def leaf(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
def middle(n):
    return leaf(n) + 1
def outer(t):
    end = time.time() + t
    x = 0
    while time.time() < end:
        x += middle(3000)
    return x
