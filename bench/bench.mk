# bench/bench.mk: what `make bench` builds and runs (docs/performance.md).
#
#   make bench [BENCH_SIZES="100 1000 10000"] [BENCH_SEED=1]
#              [BENCH_REPS=5] [BENCH_RUNS=3]
#
# The top Makefile hands over to this file; everything lands in build/bench/.
# The builds (a synthetic tree per N, its manifests, tables, N module files
# and the benchmark programs) run in parallel and are kept between runs; the
# measurements (bench/run.sh) always run again, one at a time.
#
# Three builds of the same runtime sources, each for what it measures:
#   musl, static     the embedded image (board host): bench_embedded
#   musl, dynamic    the image with module files (board host-modules), linked
#                    with --export-dynamic: bench_loadable; the module files
#                    are built as that board builds them
#   glibc            heap statistics (mallinfo2): bench_mem

B := build/bench
BENCH_SIZES ?= 100 1000 10000
BENCH_SEED ?= 1
# In-process repetitions, and process runs (gen, module files), per figure.
BENCH_REPS ?= 5
BENCH_RUNS ?= 3
GEN ?= build/tools/manifold-gen
HOSTCC ?= gcc
BENCH_MUSLCC ?= musl-gcc
Q ?= @

RUNTIME_LOADABLE_SRCS ?= $(filter-out runtime/loadable/backend_loadable_none.c,\
	$(sort $(wildcard runtime/loadable/*.c)))
RUNTIME_BASE_SRCS ?= $(sort $(foreach l,util format core policy frontend,$(wildcard runtime/$(l)/*.c)))

# The board's flags (TARGET_CFLAGS), so every object is what an image holds.
BENCH_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g -Iruntime/include -Iruntime
BENCH_RT_HDRS := $(wildcard runtime/*/*.h runtime/include/manifold/*.h)
BENCH_TOOL_FLAGS := $(BENCH_CFLAGS) -Ibench

# Every module file costs 5 mappings (-z separate-code) and Linux's default
# vm.max_map_count is 65,530: about 13,000 module files per process.
BENCH_MAX_N := 12000
$(foreach n,$(BENCH_SIZES),$(if $(shell [ "$(n)" -ge 10 ] 2>/dev/null && \
	[ "$(n)" -le $(BENCH_MAX_N) ] && echo ok),,\
	$(error BENCH_SIZES: '$(n)' is not a size from 10 to $(BENCH_MAX_N))))

.PHONY: bench bench-build
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := bench

# Parallel builds unless the caller gave -j already.
bench:
	$(Q)$(MAKE) --no-print-directory -f bench/bench.mk \
		$(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(shell nproc)) bench-build
	$(Q)BENCH_DIR=$(B) BENCH_SIZES="$(BENCH_SIZES)" BENCH_SEED=$(BENCH_SEED) \
		BENCH_REPS=$(BENCH_REPS) BENCH_RUNS=$(BENCH_RUNS) GEN=$(GEN) \
		sh bench/run.sh

# ---- programs shared by every N --------------------------------------------------

$(B)/tools/%: bench/%.c bench/common.c bench/bench.h
	@printf '  %-8s %s\n' HOSTLD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(BENCH_TOOL_FLAGS) -o $@ $< bench/common.c

$(B)/tools/bench_report: bench/report.c
	@printf '  %-8s %s\n' HOSTLD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(BENCH_TOOL_FLAGS) -o $@ $<

$(B)/obj/musl/%.o: runtime/%.c $(BENCH_RT_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(BENCH_MUSLCC) $(BENCH_CFLAGS) -c -o $@ $<

$(B)/obj/glibc/%.o: runtime/%.c $(BENCH_RT_HDRS)
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(BENCH_CFLAGS) -pthread -c -o $@ $<

BENCH_STATIC_OBJS := $(patsubst runtime/%.c,$(B)/obj/musl/%.o,\
	$(RUNTIME_BASE_SRCS) runtime/loadable/backend_loadable_none.c)
BENCH_DYN_OBJS := $(patsubst runtime/%.c,$(B)/obj/musl/%.o,\
	$(RUNTIME_BASE_SRCS) $(RUNTIME_LOADABLE_SRCS))
BENCH_GLIBC_OBJS := $(patsubst runtime/%.c,$(B)/obj/glibc/%.o,\
	$(RUNTIME_BASE_SRCS) $(RUNTIME_LOADABLE_SRCS))

$(B)/bench_loadable: bench/bench_loadable.c bench/common.c bench/bench.h $(BENCH_DYN_OBJS)
	@printf '  %-8s %s\n' LD $@
	$(Q)$(BENCH_MUSLCC) $(BENCH_TOOL_FLAGS) -Iruntime -pthread -Wl,--export-dynamic \
		-o $@ $< bench/common.c $(BENCH_DYN_OBJS)

BENCH_PROGS := $(addprefix $(B)/tools/,gen_tree bench_gen bench_report) $(B)/bench_loadable

# ---- one synthetic tree per N ---------------------------------------------------

# The names gen_tree writes for N modules (5 digits, as N <= BENCH_MAX_N).
bench_names = $(shell seq -f 'bm_%05.0f' 0 $$(( $(1) - 1 )))

define bench_tree
D$(1) := $(B)/s$(BENCH_SEED)/n$(1)
NAMES$(1) := $$(call bench_names,$(1))

$$(D$(1))/tree.stamp: $(B)/tools/gen_tree
	@printf '  %-8s %s\n' GENTREE "$$(@D) ($(1) modules)"
	$(Q)mkdir -p $$(@D)
	$(Q)$(B)/tools/gen_tree -n $(1) -s $(BENCH_SEED) -o $$(@D)
	$(Q)touch $$@

# gen_tree rewrites only what changed; an empty recipe lets make see that.
$$(D$(1))/src/%.c: $$(D$(1))/tree.stamp ;
$$(D$(1))/all.c $$(D$(1))/info $$(D$(1))/modules.list: $$(D$(1))/tree.stamp ;

# One extract --tree for the tree, as the Makefile does for its own.
$$(D$(1))/manifests/.stamp: $$(D$(1))/tree.stamp $(GEN)
	$(Q)mkdir -p $$(@D)
	$(Q)$(GEN) extract --tree -o $$(@D) $$(D$(1))/src 2>/dev/null
	$(Q)touch $$@
$$(D$(1))/manifests/%.manifest: $$(D$(1))/manifests/.stamp ;

# Run inside the tree with a glob: 10,000 paths would not fit one sh -c.
$$(D$(1))/registry.c: $$(patsubst %,$$(D$(1))/manifests/%.manifest,$$(NAMES$(1))) \
		$$(D$(1))/modules.list $(GEN)
	@printf '  %-8s %s\n' REGISTRY $$@
	$(Q)cd $$(@D) && $(abspath $(GEN)) registry -o registry.c -H registry.h \
		--embedded @modules.list manifests/*.manifest

$$(D$(1))/registry.o: $$(D$(1))/registry.c
	$(Q)$(BENCH_MUSLCC) $(BENCH_CFLAGS) -c -o $$@ $$<

$$(D$(1))/registry-glibc.o: $$(D$(1))/registry.c
	$(Q)$(HOSTCC) $(BENCH_CFLAGS) -c -o $$@ $$<

$$(D$(1))/all.o: $$(D$(1))/all.c $$(patsubst %,$$(D$(1))/src/%.c,$$(NAMES$(1))) \
		runtime/include/manifold/module.h
	@printf '  %-8s %s\n' CC "$$@ ($(1) modules in one unit)"
	$(Q)$(BENCH_MUSLCC) $(BENCH_CFLAGS) -c -o $$@ $$<

# Only the heap is measured with this one: -O0 compiles it fastest.
$$(D$(1))/all-glibc.o: $$(D$(1))/all.c $$(patsubst %,$$(D$(1))/src/%.c,$$(NAMES$(1))) \
		runtime/include/manifold/module.h
	$(Q)$(HOSTCC) $(filter-out -O2 -g,$(BENCH_CFLAGS)) -O0 -c -o $$@ $$(D$(1))/all.c

$$(D$(1))/bench_embedded: bench/bench_embedded.c bench/common.c bench/bench.h \
		$$(D$(1))/all.o $$(D$(1))/registry.o $(BENCH_STATIC_OBJS)
	@printf '  %-8s %s\n' LD $$@
	$(Q)$(BENCH_MUSLCC) $(BENCH_TOOL_FLAGS) -static -pthread -o $$@ $$< \
		bench/common.c $$(D$(1))/all.o $$(D$(1))/registry.o $(BENCH_STATIC_OBJS)

$$(D$(1))/bench_mem: bench/bench_mem.c bench/common.c bench/bench.h \
		$$(D$(1))/all-glibc.o $$(D$(1))/registry-glibc.o $(BENCH_GLIBC_OBJS)
	@printf '  %-8s %s\n' LD $$@
	$(Q)$(HOSTCC) $(BENCH_TOOL_FLAGS) -pthread -o $$@ $$< bench/common.c \
		$$(D$(1))/all-glibc.o $$(D$(1))/registry-glibc.o $(BENCH_GLIBC_OBJS) -ldl

# Module files as board host-modules builds them: the object it would embed,
# linked alone, and its manifest with the file's checksum, owner-writable.
$$(D$(1))/obj/%.o: $$(D$(1))/src/%.c runtime/include/manifold/module.h
	$(Q)mkdir -p $$(@D)
	$(Q)$(BENCH_MUSLCC) $(BENCH_CFLAGS) -DMF_MODULE_NAME=$$* -fPIC -c -o $$@ $$<

$$(D$(1))/mods/%.so: $$(D$(1))/obj/%.o
	$(Q)mkdir -p $$(@D)
	$(Q)$(BENCH_MUSLCC) -shared -o $$@ $$<
	$(Q)chmod go-w $$@

$$(D$(1))/mods/%.manifest: $$(D$(1))/manifests/%.manifest $$(D$(1))/mods/%.so $(GEN)
	$(Q)$(GEN) checksum -o $$@ $$< $$(D$(1))/mods/$$*.so
	$(Q)chmod go-w $$@

$$(D$(1))/mods.stamp: $$(foreach m,$$(NAMES$(1)),$$(D$(1))/mods/$$(m).so \
		$$(D$(1))/mods/$$(m).manifest)
	@printf '  %-8s %s\n' MODULES "$$(D$(1))/mods ($(1) module files)"
	$(Q)touch $$@

BENCH_BUILD += $$(D$(1))/bench_embedded $$(D$(1))/bench_mem $$(D$(1))/mods.stamp \
	$$(D$(1))/registry.o
endef
$(foreach n,$(BENCH_SIZES),$(eval $(call bench_tree,$(n))))

bench-build: $(BENCH_PROGS) $(BENCH_BUILD)
