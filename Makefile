# prowl: plain GNU make. `make` builds ./prowl, `make test` runs every test,
# `make asan` runs them all under AddressSanitizer + UBSan, `make bench` the
# benchmarks, `make demo` profiles a bundled sample. V=1 shows the commands.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
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

# The build installs what it needs: when pkg-config misses a library, the
# set-up script installs it (as root) or prints the apt-get line to run.
ifeq ($(filter clean uninstall,$(MAKECMDGOALS)),)
DEPS_OK := $(shell $(PKG_CONFIG) --exists $(PKGS) 2>/dev/null && test -f /usr/include/libiberty/demangle.h && echo yes)
ifneq ($(DEPS_OK),yes)
DEPS_RUN := $(shell sh scripts/setup-deps.sh build 1>&2 && echo ok)
ifneq ($(DEPS_RUN),ok)
$(error missing build dependencies: see the line above)
endif
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

SRC := $(sort $(wildcard profiler/*.c symbolize/*.c formats/*.c ui/*.c))
OBJ := $(SRC:%.c=$(BUILD)/%.o)
LIB_OBJ := $(filter-out $(BUILD)/profiler/main.o,$(OBJ))

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
TEST_HELPERS := $(TEST_HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
INTEGRATION := $(sort $(wildcard tests/integration/test_*.sh))

PROWL_BIN := $(BUILD)/prowl

.PHONY: all test unit integration asan bench demo install uninstall clean deps test-deps samples fuzz

all: $(PROWL_BIN) prowl samples

# ./prowl is always the normal build; the asan build stays in its own folder.
ifeq ($(BUILD),build)
prowl: $(PROWL_BIN)
	$(Q)ln -sf $(PROWL_BIN) prowl
else
prowl: ;
endif

$(PROWL_BIN): $(OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(OBJ) $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null) -o $@ $< \
		$(LIB_OBJ) $(ALL_LDFLAGS) $(LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	@echo "  HELPER  $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -o $@ $< -lpthread -ldl

include samples/samples.mk

test-deps:
	$(Q)sh scripts/setup-deps.sh test

test: test-deps all $(TEST_BIN) $(TEST_HELPERS)
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/run.sh $(TEST_BIN) $(INTEGRATION)

unit: all $(TEST_BIN)
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/run.sh $(TEST_BIN)

integration: test-deps all $(TEST_HELPERS)
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/run.sh $(INTEGRATION)

asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SAN=1 test

bench: all $(TEST_HELPERS)
	$(Q)sh scripts/setup-deps.sh test
	$(Q)PROWL=$(abspath $(PROWL_BIN)) BUILD=$(abspath $(BUILD)) sh tests/bench/run.sh

fuzz:
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: all
	$(Q)sh scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(PROWL_BIN) $(DESTDIR)$(BINDIR)/prowl

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/prowl

clean:
	rm -rf build build-asan build-fuzz prowl $(SAMPLE_CLEAN)

-include $(OBJ:.o=.d)
