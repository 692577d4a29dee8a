# prowl: plain GNU make. `make` builds ./prowl, `make test` runs every test,
# `make asan` runs them all under AddressSanitizer + UBSan, `make bench` the
# benchmarks, `make demo` profiles a bundled sample. V=1 shows the commands.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
DESTDIR ?=
BUILD ?= build
CC ?= cc
CXX ?= c++
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKGS := libunwind-generic libdw libelf ncursesw zlib

# Nothing here installs anything by surprise: `make deps` (scripts/setup-deps.sh)
# installs the Debian packages; `make test` and `make demo` call it first, in a
# step of its own, so the README's two commands still set up a fresh machine.
# Any other goal only checks and names the command to run.
NODEP_GOALS := clean uninstall deps test-deps test demo
ifneq ($(filter-out $(NODEP_GOALS),$(or $(MAKECMDGOALS),all)),)
DEPS_OK := $(shell $(PKG_CONFIG) --exists $(PKGS) 2>/dev/null && test -f /usr/include/libiberty/demangle.h && echo yes)
ifneq ($(DEPS_OK),yes)
$(error missing build dependencies: run `make deps` as root (or scripts/setup-deps.sh to see the apt-get line))
endif
endif

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers -Wundef -Wvla
ifeq ($(CI),true)
WARN += -Werror
endif
ifneq ($(WERROR),)
WARN += -Werror
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

SAN_FLAGS :=
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

# User CFLAGS/LDFLAGS are appended to ours, never replace them.
ALL_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE $(WARN) $(SAN_FLAGS) -I. $(PKG_CFLAGS) \
	-MMD -MP $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS := $(SAN_FLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -liberty -lm -lpthread

# Layers (DESIGN.md): profiler/base <- profiler/model, symbolize <- profiler/capture,
# formats, ui <- profiler/cli. Everything but the command line and curses goes
# into one static library that the tests link.
CORE_DIRS := profiler/base profiler/model symbolize profiler/capture formats ui
CORE_SRC := $(sort $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)))
CORE_SRC := $(filter-out ui/tui.c,$(CORE_SRC))
CLI_SRC := $(sort $(wildcard profiler/cli/*.c)) ui/tui.c
SRC := $(CORE_SRC) $(CLI_SRC)
OBJ := $(SRC:%.c=$(BUILD)/%.o)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIBPROWL := $(BUILD)/libprowl.a
CORE_PKGS := libunwind-generic libdw libelf zlib
CORE_LIBS := $(shell $(PKG_CONFIG) --libs $(CORE_PKGS) 2>/dev/null) -liberty -lm -lpthread

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# System tests: cmocka binaries built like the unit tests, but they run real
# processes and sample them, so `make test` and `make integration` run them,
# `make unit` (deterministic) does not.
SYSTEM_SRC := $(sort $(wildcard tests/system/test_*.c))
SYSTEM_BIN := $(SYSTEM_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
TEST_HELPERS := $(TEST_HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
INTEGRATION := $(sort $(wildcard tests/integration/test_*.sh))
UNIT_CHECKS := tests/check_layers.sh

PROWL_BIN := $(BUILD)/prowl
MAN_DIR := $(BUILD)/man
COMPLETION := $(BUILD)/completion/prowl.bash $(BUILD)/completion/_prowl

.PHONY: all test run-tests unit integration asan bench demo install uninstall clean deps test-deps samples fuzz \
	man completion

all: $(PROWL_BIN) prowl man completion samples

# ./prowl is always the normal build; the asan build stays in its own folder.
ifeq ($(BUILD),build)
prowl: $(PROWL_BIN)
	$(Q)ln -sf $(PROWL_BIN) prowl
else
prowl: ;
endif

$(LIBPROWL): $(CORE_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $(CORE_OBJ)

$(PROWL_BIN): $(CLI_OBJ) $(LIBPROWL)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBPROWL) $(LIBS)

# Man pages and completion come from the option tables the commands parse
# with, printed by the binary itself (profiler/cli/manpage.c, completion.c).
# One rule writes every page: the binary names the commands that have one.
man: $(MAN_DIR)/prowl.1
$(MAN_DIR)/prowl.1: $(PROWL_BIN)
	@echo "  MAN     $(MAN_DIR)"
	$(Q)rm -rf $(MAN_DIR).tmp && mkdir -p $(MAN_DIR).tmp && \
	for c in $$($(PROWL_BIN) --man-commands); do \
		$(PROWL_BIN) --man $$c >$(MAN_DIR).tmp/prowl-$$c.1 || exit 1; \
	done && $(PROWL_BIN) --man >$(MAN_DIR).tmp/prowl.1 && rm -rf $(MAN_DIR) && mv $(MAN_DIR).tmp $(MAN_DIR)

completion: $(COMPLETION)
$(BUILD)/completion/prowl.bash $(BUILD)/completion/_prowl: $(PROWL_BIN)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(PROWL_BIN) --completion $(if $(filter %.bash,$@),bash,zsh) >$@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIBPROWL)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null) -o $@ $< \
		$(TEST_CLI_OBJ) $(LIBPROWL) $(ALL_LDFLAGS) $(CORE_LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# The option parser is command-line code, kept out of the library; its unit
# test links the two cli objects it needs (no command, no curses).
$(BUILD)/tests/test_opts: TEST_CLI_OBJ := $(BUILD)/profiler/cli/opts.o $(BUILD)/profiler/cli/exit.o
$(BUILD)/tests/test_opts: $(BUILD)/profiler/cli/opts.o $(BUILD)/profiler/cli/exit.o

# The man page and completion writers: the same, plus their own objects.
MANPAGE_TEST_OBJ := $(addprefix $(BUILD)/profiler/cli/,manpage.o completion.o opts.o exit.o)
$(BUILD)/tests/test_manpage: TEST_CLI_OBJ := $(MANPAGE_TEST_OBJ)
$(BUILD)/tests/test_manpage: $(MANPAGE_TEST_OBJ)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	@echo "  HELPER  $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -o $@ $< -lpthread -ldl

# Helpers that read CPython's structures link libprowl (and libdw for DWARF).
PY_HELPERS := $(BUILD)/tests/helpers/pyoffsets_check $(BUILD)/tests/helpers/pystack
$(PY_HELPERS): $(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBPROWL)
	@mkdir -p $(dir $@)
	@echo "  HELPER  $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBPROWL) $(ALL_LDFLAGS) $(CORE_LIBS)

# The time-order store's bench links libprowl too.
LIB_HELPERS := $(BUILD)/tests/helpers/seq_hour
$(LIB_HELPERS): $(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBPROWL)
	@mkdir -p $(dir $@)
	@echo "  HELPER  $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBPROWL) $(ALL_LDFLAGS) $(CORE_LIBS)

include samples/samples.mk

deps:
	$(Q)sh scripts/setup-deps.sh build

test-deps:
	$(Q)sh scripts/setup-deps.sh test

# test and demo install first, then build in a make of their own, so apt-get
# never runs beside the compiler under -j.
test:
	$(Q)$(MAKE) --no-print-directory test-deps
	$(Q)$(MAKE) --no-print-directory run-tests

run-tests: all $(TEST_BIN) $(SYSTEM_BIN) $(TEST_HELPERS)
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/run.sh $(UNIT_CHECKS) $(TEST_BIN) $(SYSTEM_BIN) $(INTEGRATION)

# Deterministic: no real process, no statistics.
unit: all $(TEST_BIN)
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/run.sh $(UNIT_CHECKS) $(TEST_BIN)

integration: all $(SYSTEM_BIN) $(TEST_HELPERS)
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/run.sh $(SYSTEM_BIN) $(INTEGRATION)

asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SAN=1 test

bench:
	$(Q)$(MAKE) --no-print-directory test-deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_HELPERS)
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/bench/run.sh

fuzz:
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SECONDS)

demo:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh scripts/demo.sh

# The binary, its man pages and completion; never the samples, never apt-get.
install: $(PROWL_BIN) man completion
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(PROWL_BIN) $(DESTDIR)$(BINDIR)/prowl
	install -m 0644 $(MAN_DIR)/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(BUILD)/completion/prowl.bash $(DESTDIR)$(BASHCOMPDIR)/prowl
	install -m 0644 $(BUILD)/completion/_prowl $(DESTDIR)$(ZSHCOMPDIR)/_prowl

# Exactly what install wrote (the pages are prowl.1 and prowl-COMMAND.1);
# the shared folders stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/prowl $(DESTDIR)$(MANDIR)/man1/prowl.1 $(DESTDIR)$(MANDIR)/man1/prowl-*.1 \
		$(DESTDIR)$(BASHCOMPDIR)/prowl $(DESTDIR)$(ZSHCOMPDIR)/_prowl

clean:
	rm -rf build build-asan build-fuzz prowl $(SAMPLE_CLEAN)

-include $(OBJ:.o=.d)
