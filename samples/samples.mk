# Sample targets (owned by samples/): built -O2 -g -fomit-frame-pointer as
# Debian builds its packages; see samples/README.md. Own flags on purpose:
# prowl's CFLAGS and sanitizers never reach the samples.
# -fno-optimize-sibling-calls and -fno-ipa-icf keep the frames and the
# distinct function names the tests assert on.
SAMPLE_CFLAGS := -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -fno-ipa-icf
SAMPLE_WARN := -Wall -Wextra -Wshadow -Wformat=2 $(filter -Werror,$(WARN))
SAMPLE_FP_CFLAGS := -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls -fno-ipa-icf
SAMPLE_DIR := samples/bin
SAMPLE_CLEAN := $(SAMPLE_DIR)

SAMPLE_C_NAMES := cpu busy2 recursion threads inline dlopen sleepy threads64 churn \
	forker execer deep blockers split pool
SAMPLE_C_BINS := $(SAMPLE_C_NAMES:%=$(SAMPLE_DIR)/%)
SAMPLE_BINS := $(SAMPLE_C_BINS) $(SAMPLE_DIR)/cpu-fp $(SAMPLE_DIR)/cpu-stripped \
	$(SAMPLE_DIR)/cpp $(SAMPLE_DIR)/libplugin.so

samples: $(SAMPLE_BINS)

$(SAMPLE_C_BINS): $(SAMPLE_DIR)/%: samples/%.c samples/common.h samples/samples.mk
	@mkdir -p $(SAMPLE_DIR)
	@echo "  SAMPLE  $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE $(SAMPLE_CFLAGS) $(SAMPLE_WARN) -o $@ $< -pthread -ldl -lm

$(SAMPLE_DIR)/cpu-fp: samples/cpu.c samples/common.h samples/samples.mk
	@mkdir -p $(SAMPLE_DIR)
	@echo "  SAMPLE  $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE $(SAMPLE_FP_CFLAGS) $(SAMPLE_WARN) -o $@ $< -pthread -lm

$(SAMPLE_DIR)/cpu-stripped: $(SAMPLE_DIR)/cpu
	@echo "  STRIP   $@"
	$(Q)strip --strip-all -o $@.tmp $< && mv -f $@.tmp $@

$(SAMPLE_DIR)/cpp: samples/cpp.cpp samples/common.h samples/samples.mk
	@mkdir -p $(SAMPLE_DIR)
	@echo "  SAMPLE  $@"
	$(Q)$(CXX) -std=gnu++17 -D_GNU_SOURCE $(SAMPLE_CFLAGS) $(SAMPLE_WARN) -o $@ $< -pthread -lm

$(SAMPLE_DIR)/libplugin.so: samples/plugin.c samples/common.h samples/samples.mk
	@mkdir -p $(SAMPLE_DIR)
	@echo "  SAMPLE  $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE $(SAMPLE_CFLAGS) $(SAMPLE_WARN) -fPIC -shared -o $@ $<
