# Builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c) into build-fuzz/ with
# clang, ASan and UBSan. Used by tests/fuzz/run.sh (make fuzz) and the CI
# smoke run (tests/integration/test_fuzz_ci.sh): make -f tests/fuzz/fuzz.mk.
# prowl's objects are compiled again with clang and coverage instrumentation;
# a harness that #includes a .c file (to reach its static decoder) links
# without that file's object.

FUZZ_BUILD ?= build-fuzz
FUZZ_CC ?= clang
PKG_CONFIG ?= pkg-config
PKGS := libunwind-generic libdw libelf ncursesw zlib

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O1 -g -D_GNU_SOURCE -I. $(shell $(PKG_CONFIG) --cflags $(PKGS)) \
	-Wall -Wno-unused-function $(FUZZ_SAN) -MMD -MP
FUZZ_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS)) -liberty -lm -lpthread

SRC := $(filter-out ui/tui.c,$(sort $(foreach d,profiler/base profiler/model symbolize profiler/capture formats ui,$(wildcard $(d)/*.c))))
OBJ := $(SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
HARNESS_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
HARNESS := $(HARNESS_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

# A harness that includes a prowl .c names it on a line "// fuzz-includes: path.c".
included = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(shell sed -n 's|^// fuzz-includes: *||p' $(1)))

.PHONY: all
.SECONDARY:
all: $(HARNESS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(OBJ)
	@mkdir -p $(dir $@)
	@echo "  FUZZER  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(filter-out $(call included,$<),$(OBJ)) $(FUZZ_LIBS)

-include $(OBJ:.o=.d) $(HARNESS:=.d)
