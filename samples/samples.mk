# Sample targets (owned by samples/): built -O2 -g -fomit-frame-pointer as
# Debian builds its packages; see samples/README.md.
SAMPLE_CFLAGS := -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls
SAMPLE_DIR := samples/bin
SAMPLE_CLEAN := $(SAMPLE_DIR)
samples:
