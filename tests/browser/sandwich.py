#!/usr/bin/env python3
"""Reads the DOM speedscope's sandwich view left (chromium --dump-dom) on
stdin and prints one row a function: name, total, self, each value in base
units (nanoseconds for times, plain numbers for counts) and the half step of
the last digit shown ("354.71ms" is 354710000 +- 5000): what a user reads."""
import html.parser
import re
import sys

UNITS = {"ns": 1, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9, "min": 60e9, "hr": 3600e9,
         "": 1, "K": 1e3, "M": 1e6, "B": 1e9}


def value(text):
    m = re.match(r"\s*([0-9]+(?:\.([0-9]+))?)\s*([a-zµ]*|[KMB]?)\s*(\(|$)", text)
    if not m:
        raise SystemExit("unreadable value %r" % text)
    scale = UNITS[m.group(3)]
    digits = len(m.group(2) or "")
    return float(m.group(1)) * scale, 0.5 * scale * 10 ** -digits


class Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell, self.depth = [], None, None, 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell, self.depth = [], 0
        elif self.cell is not None:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if len(self.row) == 3:
                self.rows.append(self.row)
            self.row = None
        elif self.cell is not None:
            self.depth -= 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


p = Rows()
p.feed(sys.stdin.read())
if not p.rows:
    raise SystemExit("no sandwich table in the page")
for total, self_, name in p.rows:
    t, te = value(total)
    s, se = value(self_)
    print("%s\t%.3f\t%.3f\t%.3f\t%.3f" % (name, t, te, s, se))
