# manifold: one non-recursive Makefile for host tools, the image and tests.
#
#   make [BOARD=host]        configure (if needed) and build build/<board>/manifold
#   make run                 build and boot the image with its console
#   make check               every test: units (Check), golden files, image
#   make <board>_defconfig   write build/<board>/.config from boards/<board>/defconfig
#   make menuconfig | olddefconfig | savedefconfig
#   make BOARD=<board> check one board's suites only (also check-board, unit-tests,
#                            image-tests, check-sanitizers, check-image-asan)
#   make size                text/data/bss of the image and table bytes per module
#   make bench               benchmarks against same-run floors (docs/performance.md)
#   make bench-elf           the ELF module loader against musl dlopen (docs/elf-loader.md)
#   make elf-static-smoke    the ELF loader's test objects in a static musl program
#   make fuzz | soak         long libFuzzer and TSan stress runs (FUZZ_SECONDS, SOAK_SECONDS)
#   make deps                install the Debian packages the build and tests need
#   make check-deps          prove that list: build every board under strace (scripts/check-deps.sh)
#   make V=1                 show the commands
#
# Everything generated lands under build/: build/tools for host programs,
# build/<board>/ for a board's configuration, tables, objects and image.

BOARD ?= host
# O: where this board's outputs go (tests build a board elsewhere with O=).
O ?= build/$(BOARD)
T := build/tools
TB := build/tests

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-8s %s\n'
endif

ifeq ($(wildcard boards/$(BOARD)/board.mk),)
$(error BOARD=$(BOARD): no boards/$(BOARD)/board.mk (see docs/boards.md))
endif
include boards/$(BOARD)/board.mk

HOSTCC ?= gcc
WARN := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -O2 -g -Iruntime/include -Iruntime
HOST_CFLAGS := $(BASE_CFLAGS) -pthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt) -pthread

KCONFIG_CONF ?= kconfig-conf
KCONFIG_MCONF ?= kconfig-mconf

# ---- sources ---------------------------------------------------------------

# Loadable modules are a set of files chosen kbuild-style by CONFIG_MODULES
# (see runtime-y below); without them the image links
# backend_loadable_none.c, whose stubs say why it cannot load module files.
# The runtime's layers are folders (docs/architecture.md): util, format,
# core, policy and frontend go into every image; loadable only with
# CONFIG_MODULES.
RUNTIME_LOADABLE_SRCS := $(filter-out runtime/loadable/backend_loadable_none.c,\
	$(sort $(wildcard runtime/loadable/*.c)))
RUNTIME_BASE_SRCS := $(sort $(foreach l,util format core policy frontend,$(wildcard runtime/$(l)/*.c)))
# What the native unit tests link: glibc can dlopen.
RUNTIME_SRCS := $(RUNTIME_BASE_SRCS) $(RUNTIME_LOADABLE_SRCS)
MANIFEST_SRCS := runtime/format/manifest.c runtime/format/manifest_write.c runtime/format/ini.c \
	runtime/util/alloc.c
GEN_SRCS := $(sort $(filter-out gen/main.c,$(wildcard gen/*.c)))
MODULE_SRCS := $(sort $(wildcard embedded/modules/*.c))
ALL_MODULES := $(notdir $(basename $(MODULE_SRCS)))
comma := ,
empty :=
space := $(empty) $(empty)

GEN := $(T)/manifold-gen
# Runtime files the generator links: one parser and one checksum for both,
# with the runtime's core they lean on (allocator, hashes).  The host tool
# loads no module files: it links the stubs that say so, and the index format
# (`index`).  $(sort) drops what both lists name.
GEN_RUNTIME_SRCS := $(sort $(MANIFEST_SRCS) runtime/util/sha256.c \
	$(RUNTIME_BASE_SRCS) runtime/loadable/backend_loadable_none.c runtime/loadable/modindex.c)

.PHONY: all run check deps clean distclean menuconfig olddefconfig savedefconfig \
	unit-tests image-tests check-board check-sanitizers check-tree size help FORCE \
	check-build check-boards check-deps check-layers sanitizers-build sanitizers-build-sample
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDARY:

# ---- host tools ------------------------------------------------------------

$(GEN): gen/main.c $(GEN_SRCS) $(GEN_RUNTIME_SRCS) $(wildcard gen/*.h runtime/*/*.h runtime/include/manifold/*.h)
	$(quiet) HOSTLD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Igen -Iruntime -o $@ gen/main.c $(GEN_SRCS) $(GEN_RUNTIME_SRCS)

# ---- configuration (kconfig-frontends) --------------------------------------

MANIFESTS := $(addprefix $(O)/manifests/,$(addsuffix .manifest,$(ALL_MODULES)))

# One `extract --tree` run writes every module's manifest (the module names
# come from the tree itself); it rewrites only manifests whose bytes
# changed, so each manifest's timestamp still says when its module did.
# The stamp is what depends on every source; the manifests hang off it
# through an empty recipe, so make looks at their timestamps again after it.
$(O)/manifests/.stamp: $(MODULE_SRCS) $(GEN)
	$(quiet) EXTRACT $(@D)
	$(Q)mkdir -p $(@D)
	$(Q)$(GEN) extract --tree -o $(@D) embedded/modules
	$(Q)touch $@

$(MANIFESTS): $(O)/manifests/.stamp ;

$(O)/Kconfig.modules: $(MANIFESTS) $(GEN)
	$(quiet) KCONFIG $@
	$(Q)$(GEN) kconfig -o $@ $(MANIFESTS)

KCONFIG_ENV = KCONFIG_CONFIG=$(O)/.config MANIFOLD_KCONFIG_MODULES=$(O)/Kconfig.modules \
	MANIFOLD_BOARD=$(BOARD)

# A board's first build starts from its defconfig; later ones keep the
# user's choices and only take new symbols' defaults.
$(O)/.config: $(O)/Kconfig.modules Kconfig $(wildcard */Kconfig) boards/$(BOARD)/defconfig
	$(quiet) CONFIG $@
	$(Q)if [ -f $@ ]; then \
		$(KCONFIG_ENV) $(KCONFIG_CONF) --olddefconfig Kconfig >/dev/null; \
	else \
		$(KCONFIG_ENV) $(KCONFIG_CONF) --defconfig=boards/$(BOARD)/defconfig Kconfig >/dev/null; \
	fi
	$(Q)touch $@

%_defconfig: $(O)/Kconfig.modules FORCE
	$(quiet) CONFIG build/$*/.config
	$(Q)test -f boards/$*/defconfig || { echo "no board '$*' (boards/$*/defconfig)"; exit 1; }
	$(Q)mkdir -p build/$*
	$(Q)$(MAKE) --no-print-directory BOARD=$* build/$*/Kconfig.modules
	$(Q)KCONFIG_CONFIG=build/$*/.config MANIFOLD_KCONFIG_MODULES=build/$*/Kconfig.modules \
		MANIFOLD_BOARD=$* $(KCONFIG_CONF) --defconfig=boards/$*/defconfig Kconfig >/dev/null

olddefconfig: $(O)/Kconfig.modules
	$(Q)$(KCONFIG_ENV) $(KCONFIG_CONF) --olddefconfig Kconfig

menuconfig: $(O)/Kconfig.modules
	$(Q)$(KCONFIG_ENV) $(KCONFIG_MCONF) Kconfig

savedefconfig: $(O)/.config
	$(Q)$(KCONFIG_ENV) $(KCONFIG_CONF) --savedefconfig=$(O)/defconfig Kconfig
	@echo "  wrote $(O)/defconfig (copy it to boards/$(BOARD)/defconfig to keep it)"

# What .config selects, as make variables: MODULES_Y, MODULES_M.
$(O)/modules.mk: $(O)/.config
	$(Q){ printf 'MODULES_Y :='; \
	  sed -n 's/^CONFIG_MODULE_\([A-Z0-9_]*\)=y$$/ \L\1/p' $< | tr -d '\n'; \
	  printf '\nMODULES_M :='; \
	  sed -n 's/^CONFIG_MODULE_\([A-Z0-9_]*\)=m$$/ \L\1/p' $< | tr -d '\n'; \
	  printf '\nCONFIG_MODULES := %s\n' "$$(sed -n 's/^CONFIG_MODULES=//p' $<)"; \
	} > $@.tmp && mv $@.tmp $@

# Goals that only recurse or need no configuration do not read .config.
NO_CONFIG_GOALS := clean distclean deps help %_defconfig unit-tests check check-board check-tree \
	check-sanitizers run bench fuzz fuzz-smoke soak check-image-asan \
	check-deps check-boards check-layers sanitizers-build sanitizers-build-sample
ifneq ($(filter-out $(NO_CONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
-include $(O)/modules.mk
# .config is make syntax (CONFIG_X=y, CONFIG_S="text"), as the kernel's is.
-include $(O)/.config
endif

# ---- image -----------------------------------------------------------------

MODULES_Y := $(strip $(MODULES_Y))
MODULES_M := $(strip $(MODULES_M))
SELECTED_MANIFESTS := $(addprefix $(O)/manifests/,$(addsuffix .manifest,$(MODULES_Y) $(MODULES_M)))

# The validator refuses a .config the manifests cannot satisfy (a y module
# whose only provider is m or n) before anything is compiled.
BOARD_SYMBOL := CONFIG_BOARD_$(shell echo '$(BOARD)' | tr 'a-z-' 'A-Z_')
$(O)/config-checked: $(O)/.config $(MANIFESTS) $(GEN)
	$(quiet) CHECK $(O)/.config
	$(Q)grep -qx '$(BOARD_SYMBOL)=y' $(O)/.config || { \
		echo "$(O)/.config: made for another board (no $(BOARD_SYMBOL)=y);"; \
		echo "  run 'make $(BOARD)_defconfig' or choose the board with BOARD="; exit 1; }
	$(Q)$(GEN) check --config $(O)/.config $(MANIFESTS) >$@.log || \
		{ cat $@.log; echo "$(O)/.config: refused (see above)"; exit 1; }
	$(Q)touch $@

$(O)/registry.c: $(SELECTED_MANIFESTS) $(GEN) $(O)/config-checked $(O)/modules.mk
	$(quiet) REGISTRY $@
	$(file >$(O)/embedded.list,$(MODULES_Y))
	$(Q)$(GEN) registry -o $@ -H $(O)/registry.h \
		--embedded @$(O)/embedded.list $(SELECTED_MANIFESTS)

TARGET_CFLAGS := $(BASE_CFLAGS) $(BOARD_CFLAGS)
runtime-y := $(RUNTIME_BASE_SRCS)
runtime-$(CONFIG_MODULES) += $(RUNTIME_LOADABLE_SRCS)
runtime-$(if $(CONFIG_MODULES),n,y) += runtime/loadable/backend_loadable_none.c
RUNTIME_OBJS := $(patsubst runtime/%.c,$(O)/obj/runtime/%.o,$(runtime-y))
MODULE_OBJS_Y := $(addprefix $(O)/obj/modules/,$(addsuffix .o,$(MODULES_Y)))

$(O)/obj/runtime/%.o: runtime/%.c $(wildcard runtime/*/*.h runtime/include/manifold/*.h)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -c -o $@ $<

# A module's name is its file's: the build passes it (MANIFOLD_MODULE()).
$(O)/obj/modules/%.o: embedded/modules/%.c $(wildcard embedded/include/*.h runtime/include/manifold/*.h)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -DMF_MODULE_NAME=$* -fPIC -c -o $@ $<

$(O)/obj/main.o: embedded/main.c $(wildcard embedded/*.h runtime/include/manifold/*.h) $(O)/.config
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -DMF_CONFIG_DIR='$(CONFIG_MF_CONFIG_DIR)' \
		-DMF_CONTROL_SOCKET='$(CONFIG_MF_CONTROL_SOCKET)' \
		-DMF_CANCEL_TIMEOUT_MS=$(CONFIG_MF_CANCEL_TIMEOUT_MS) -DMF_BOARD='"$(BOARD)"' \
		$(if $(CONFIG_MF_MODULE_DIR),-DMF_MODULE_DIR='$(CONFIG_MF_MODULE_DIR)') \
		$(if $(CONFIG_MODULES),-DMF_VERIFY_CHECKSUMS=$(if $(CONFIG_MF_VERIFY_CHECKSUMS),1,0)) \
		-c -o $@ $<

$(O)/obj/board_config.o: embedded/board_config.c boards/$(BOARD)/modules.conf
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -DMF_BOARD_MODULES_CONF=boards/$(BOARD)/modules.conf -c -o $@ $<

$(O)/obj/lineedit.o: embedded/lineedit.c embedded/lineedit.h
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -c -o $@ $<

$(O)/obj/registry.o: $(O)/registry.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -c -o $@ $<

$(O)/libmanifold.a: $(RUNTIME_OBJS) $(O)/modules.mk
	$(quiet) AR $@
	$(Q)rm -f $@ && $(TARGET_AR) rcs $@ $(filter %.o,$^)

IMAGE_OBJS := $(O)/obj/main.o $(O)/obj/lineedit.o $(O)/obj/board_config.o $(O)/obj/registry.o \
	$(MODULE_OBJS_Y)

# With CONFIG_MODULES, module files resolve the runtime's API from the image
# (linked with --export-dynamic), so the whole runtime goes in, whether the
# image itself calls a function or not.
LIBMANIFOLD := $(if $(CONFIG_MODULES),-Wl$(comma)--whole-archive $(O)/libmanifold.a \
	-Wl$(comma)--no-whole-archive,$(O)/libmanifold.a)

$(O)/manifold: $(IMAGE_OBJS) $(O)/libmanifold.a
	$(quiet) LD $@
	$(Q)$(TARGET_CC) $(BOARD_LDFLAGS) -o $@ $(IMAGE_OBJS) $(LIBMANIFOLD) -lpthread

# ---- loadable modules (CONFIG_MODULES) ----------------------------------------

# A module set to m is the object it would be as y, linked into
# $(O)/modules/<name>.so; its manifest there adds the checksum of that file.
# Both end up writable by their owner only: the image refuses module files
# and manifests that group or others may write.  Then the directory's index
# (docs/loadable.md), so that the image reads one file instead of the
# directory: written last, after every file it describes.
MODULE_FILES := $(foreach m,$(MODULES_M),$(O)/modules/$(m).so $(O)/modules/$(m).manifest) \
	$(if $(CONFIG_MODULES),$(O)/modules/.selection $(O)/modules/modules.index)

$(O)/modules/%.so: $(O)/obj/modules/%.o
	$(quiet) LDSO $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) -shared -o $@ $<
	$(Q)chmod go-w $@

$(O)/modules/%.manifest: $(O)/manifests/%.manifest $(O)/modules/%.so $(GEN)
	$(quiet) CHECKSUM $@
	$(Q)$(GEN) checksum -o $@ $< $(O)/modules/$*.so
	$(Q)chmod go-w $@

# A module that is no longer m leaves the directory, or the image would
# still find it there.
$(O)/modules/.selection: $(O)/modules.mk
	$(Q)mkdir -p $(@D)
	$(Q)for f in $(@D)/*.so $(@D)/*.manifest; do \
		[ -e "$$f" ] || continue; n=$${f##*/}; n=$${n%.*}; \
		case " $(MODULES_M) " in *" $$n "*) ;; *) rm -f "$$f";; esac; \
	done
	$(Q)touch $@

$(O)/modules/modules.index: $(filter-out %/modules.index,$(MODULE_FILES)) $(GEN)
	$(quiet) INDEX $@
	$(Q)$(GEN) index $(@D)

all: $(O)/manifold $(MODULE_FILES)
	@echo "  IMAGE    $(O)/manifold ($(words $(MODULES_Y)) embedded modules: $(MODULES_Y))"
	$(if $(MODULES_M),@echo "  MODULES  $(O)/modules/ ($(words $(MODULES_M)) loadable: $(MODULES_M))")

# ---- footprint ---------------------------------------------------------------

TARGET_SIZE ?= size
# The image's text, data and bss; the generated tables (registry.o) in all
# and per module; the heap the runtime holds per module after boot, as the
# image itself counts it (console command `memory`).
size: $(O)/manifold $(O)/obj/registry.o
	@echo "board $(BOARD): $(O)/manifold"
	$(Q)$(TARGET_SIZE) $(O)/manifold | sed 's/^/  /'
	$(Q)n=$$(sed -n 's/^#define MANIFOLD_REGISTRY_MODULES //p' $(O)/registry.h); \
	$(TARGET_SIZE) $(O)/obj/registry.o | awk -v n="$$n" 'NR == 2 { \
		printf "  registry tables: %d bytes (text %d, data %d) for %d modules: %d bytes/module\n", \
		$$4, $$1, $$2, n, n ? $$4 / n : 0 }'
	$(Q)printf 'memory\n' | $(BOARD_RUN) $(O)/manifold -q -S '' $(BOARD_RUN_ARGS) | \
		sed -n 's/^manifold> memory$$//; s/^heap: /  heap after boot: /p'

run:
	$(Q)sh scripts/install-deps.sh run $(BOARD_PACKAGES)
	$(Q)$(MAKE) --no-print-directory BOARD=$(BOARD) all
	$(BOARD_RUN) $(O)/manifold $(BOARD_RUN_ARGS)

# ---- tests -----------------------------------------------------------------

# Unit tests build with the host compiler and Check; a board that sets
# BOARD_TEST_CC (a cross board) builds them for its target instead, into
# build/<board>/tests, and runs them through BOARD_RUN (qemu-user).
ifneq ($(BOARD_TEST_CC),)
TB := $(O)/tests
TEST_CC := $(BOARD_TEST_CC)
TEST_LIBS := $(BOARD_TEST_LDFLAGS) $(BOARD_TEST_LIBS)
# qemu-user has been seen to spin for good in a forked child (Check forks
# a child per test), where Check's own timeouts never fire: a suite that
# gives no result in this many seconds fails instead of stalling the run.
TEST_TIMEOUT ?= 600
TEST_RUN := timeout -k 10 $(TEST_TIMEOUT) $(BOARD_RUN)
else
TEST_CC := $(HOSTCC)
TEST_LIBS := $(CHECK_LIBS)
TEST_RUN :=
endif
CHECK_SUITES := $(notdir $(basename $(sort $(wildcard tests/check_*.c))))
# check_image*: programs on the build machine that boot a board's image.
IMAGE_SUITES := $(filter check_image%,$(CHECK_SUITES))
CHECK_SUITES_UNIT := $(filter-out $(IMAGE_SUITES),$(CHECK_SUITES))
HTB := build/tests

# What each suite links besides itself (default: the whole runtime).
SRCS_check_manifest := $(MANIFEST_SRCS)
SRCS_check_extract := $(GEN_SRCS) $(GEN_RUNTIME_SRCS)
SRCS_check_registry := $(GEN_SRCS) $(GEN_RUNTIME_SRCS)
SRCS_check_kconfig := $(GEN_SRCS) $(GEN_RUNTIME_SRCS)
SRCS_check_validate := $(GEN_SRCS) $(GEN_RUNTIME_SRCS)
# A suite that links modules links their objects, each compiled alone with
# its name (OBJS_x: paths under the suite's build folder, rules below).
SRCS_check_modules := tests/fake_runtime.c
OBJS_check_modules := $(addprefix modules/,$(ALL_MODULES))
SRCS_check_sha256 := runtime/util/sha256.c
SRCS_check_alloc := runtime/util/alloc.c
SRCS_check_strbuf := runtime/util/strbuf.c runtime/util/alloc.c
SRCS_check_lineedit := embedded/lineedit.c
# The ELF loader stands alone (see "the ELF relocatable-object loader").
ELF_SRCS := $(sort $(wildcard runtime/loadable/elf/*.c))
SRCS_check_elfload := $(ELF_SRCS) runtime/util/alloc.c
LDFLAGS_check_elfload := -no-pie -ldl
# The example of docs/writing-modules.md, its manifest extracted in-test.
SRCS_check_example := $(GEN_SRCS) $(RUNTIME_SRCS)
OBJS_check_example := examples/mod_hello
SRCS_check_loadable_none := $(RUNTIME_BASE_SRCS) runtime/loadable/backend_loadable_none.c tests/fake_backend.c
SRCS_check_bootplan = $(RUNTIME_SRCS) tests/fake_backend.c
SRCS_check_faults = $(RUNTIME_SRCS) tests/fake_backend.c
# The fixture module files resolve mf_* and the journal from the test
# program, as module files do from the image.
LDFLAGS_check_loadable := -rdynamic
LDFLAGS_check_faults := -rdynamic
# A cross board's test programs cannot map the fixture modules, which are
# built for the build machine: they link the runtime without loadable
# modules and skip check_loadable and check_modindex.
ifneq ($(BOARD_TEST_CC),)
RUNTIME_SRCS := $(RUNTIME_BASE_SRCS) runtime/loadable/backend_loadable_none.c
CHECK_SUITES_UNIT := $(filter-out check_loadable check_modindex,$(CHECK_SUITES_UNIT))
endif
srcs_for = $(if $(filter undefined,$(origin SRCS_$(1))),$(RUNTIME_SRCS) $(wildcard tests/fake_backend.c),$(SRCS_$(1)))
# $(call objs_for,SUITE,DIR): the module objects SUITE links, built in DIR.
objs_for = $(patsubst %,$(2)/%.o,$(OBJS_$(1)))
TEST_DEPS := $(wildcard tests/*.h gen/*.h runtime/*/*.h runtime/include/manifold/*.h embedded/include/*.h)

define check_rule
$(TB)/$(1): tests/$(1).c $(call srcs_for,$(1)) $(call objs_for,$(1),$(TB)) $(TEST_DEPS)
	$$(quiet) TESTLD $$@
	$(Q)mkdir -p $$(@D)
	$(Q)$(TEST_CC) $(HOST_CFLAGS) -Igen -Iruntime -Itests -o $$@ tests/$(1).c $(call srcs_for,$(1)) \
		$(call objs_for,$(1),$(TB)) $(TEST_LIBS) $(LDFLAGS_$(1))
endef
$(foreach s,$(CHECK_SUITES_UNIT),$(eval $(call check_rule,$(s))))

# Modules for the unit suites, named by the build as the image's are.
MODULE_HDRS := $(wildcard embedded/include/*.h runtime/include/manifold/*.h)
$(TB)/modules/%.o: embedded/modules/%.c $(MODULE_HDRS)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TEST_CC) $(HOST_CFLAGS) -DMF_MODULE_NAME=$* -c -o $@ $<

$(TB)/examples/%.o: docs/examples/%.c $(MODULE_HDRS)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TEST_CC) $(HOST_CFLAGS) -DMF_MODULE_NAME=$* -c -o $@ $<

define image_suite_rule
$(HTB)/$(1): tests/$(1).c $(SRCS_$(1)) $(TEST_DEPS)
	$$(quiet) HOSTLD $$@
	$(Q)mkdir -p $$(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Iruntime -Itests -o $$@ tests/$(1).c $(SRCS_$(1)) $(CHECK_LIBS)
endef
$(foreach s,$(IMAGE_SUITES),$(eval $(call image_suite_rule,$(s))))

# ---- test fixtures: module files for check_loadable and the image suites -----

# Fixture modules, built natively for check_loadable as the build builds m
# modules: <name>.so, and its extracted manifest plus the file's checksum.
FIXTURE_SRCS := $(sort $(wildcard tests/fixtures/*.c))
FIXTURES := $(notdir $(basename $(FIXTURE_SRCS)))
FIXTURE_FILES := $(foreach f,$(FIXTURES),$(HTB)/fixtures/$(f).so $(HTB)/fixtures/$(f).manifest)
FIXTURE_DEPS := $(wildcard tests/fixtures/*.h tests/fake_backend.h runtime/include/manifold/*.h)

$(HTB)/fixture-manifests/.stamp: $(FIXTURE_SRCS) $(GEN)
	$(quiet) EXTRACT $(@D)
	$(Q)mkdir -p $(@D)
	$(Q)$(GEN) extract --tree -o $(@D) tests/fixtures
	$(Q)touch $@

$(addprefix $(HTB)/fixture-manifests/,$(addsuffix .manifest,$(FIXTURES))): \
	$(HTB)/fixture-manifests/.stamp ;

$(HTB)/fixtures/%.so: tests/fixtures/%.c $(FIXTURE_DEPS)
	$(quiet) HOSTCC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Itests -DMF_MODULE_NAME=$* -fPIC -shared -o $@ $<
	$(Q)chmod go-w $@

$(HTB)/fixtures/%.manifest: $(HTB)/fixture-manifests/%.manifest $(HTB)/fixtures/%.so $(GEN)
	$(quiet) CHECKSUM $@
	$(Q)$(GEN) checksum -o $@ $< $(HTB)/fixtures/$*.so
	$(Q)chmod go-w $@

# The self-contained fixtures built for a board with CONFIG_MODULES, which
# its image suite installs into a running image (ABI and signature checks).
IMAGE_FIXTURES := fx_badabi fx_badsig
IMAGE_FIXTURE_FILES := $(if $(CONFIG_MODULES),$(foreach f,$(IMAGE_FIXTURES),\
	$(O)/test-modules/$(f).so $(O)/test-modules/$(f).manifest))

$(O)/test-modules/%.so: tests/fixtures/%.c $(FIXTURE_DEPS)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -DMF_MODULE_NAME=$* -fPIC -shared -o $@ $<
	$(Q)chmod go-w $@

$(O)/test-modules/%.manifest: $(HTB)/fixture-manifests/%.manifest $(O)/test-modules/%.so $(GEN)
	$(quiet) CHECKSUM $@
	$(Q)$(GEN) checksum -o $@ $< $(O)/test-modules/$*.so
	$(Q)chmod go-w $@

# ---- the ELF relocatable-object loader (runtime/loadable/elf/, tests/check_elfload.c) --

# Self-contained for now: no image links it yet (the static boards' loader
# backend will).  Its suite's module objects are built from tests/elf/*.c
# with the compiler of the suite's own machine, mod_basic once per code
# model a module may be built with; check_elfload finds them in elf-objs/
# beside itself.  The suite is linked -no-pie to sit low like the static image.
ELF_TEST_CC := $(TEST_CC)
ELF_OBJ_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fno-common -Itests/elf
ifneq ($(BOARD_TEST_CC),)
ELF_VARIANTS := pie nopie pic noplt
else
ELF_VARIANTS := pie nopie pic picnoplt picgotpcrel cet
endif
ELF_FLAGS_pie :=
ELF_FLAGS_nopie := -fno-pie
ELF_FLAGS_pic := -fPIC
ELF_FLAGS_noplt := -fno-plt
ELF_FLAGS_picnoplt := -fPIC -fno-plt
ELF_FLAGS_picgotpcrel := -fPIC -Wa,-mrelax-relocations=no
# Ubuntu's default: endbr64 and an allocated .note.gnu.property, left out.
ELF_FLAGS_cet := -fcf-protection=full
ELF_CFLAGS_mod_many := -ffunction-sections
ELF_OBJ_DIR := $(TB)/elf-objs
ELF_PLAIN_OBJS := mod_big mod_lo12 mod_many mod_tls mod_undef mod_user mod_v1 mod_v2
ELF_TEST_OBJS := $(foreach v,$(ELF_VARIANTS),$(ELF_OBJ_DIR)/mod_basic.$(v).o) \
	$(addprefix $(ELF_OBJ_DIR)/,$(addsuffix .o,$(ELF_PLAIN_OBJS))) $(ELF_OBJ_DIR)/mod_common.o

$(ELF_OBJ_DIR)/mod_basic.%.o: tests/elf/mod_basic.c tests/elf/image_api.h
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ELF_TEST_CC) $(ELF_OBJ_CFLAGS) $(ELF_FLAGS_$*) -c -o $@ $<

$(ELF_OBJ_DIR)/mod_common.o: tests/elf/mod_common.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ELF_TEST_CC) $(ELF_OBJ_CFLAGS) -fcommon -c -o $@ $<

$(ELF_OBJ_DIR)/%.o: tests/elf/%.c tests/elf/image_api.h
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(ELF_TEST_CC) $(ELF_OBJ_CFLAGS) $(ELF_CFLAGS_$*) -c -o $@ $<

$(TB)/check_elfload: $(ELF_TEST_OBJS) $(wildcard runtime/loadable/elf/*.h)

# The same objects loaded by a fully static musl program, as the image is
# (Check is packaged for glibc only): `make [BOARD=qemu-aarch64] elf-static-smoke`.
$(TB)/elf_static_smoke: tests/elf_static_smoke.c $(ELF_SRCS) runtime/util/alloc.c $(wildcard runtime/loadable/elf/*.h) \
		$(ELF_TEST_OBJS)
	$(quiet) LD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(BASE_CFLAGS) -static -Iruntime -o $@ tests/elf_static_smoke.c $(ELF_SRCS) \
		runtime/util/alloc.c -pthread

.PHONY: elf-static-smoke
elf-static-smoke: $(TB)/elf_static_smoke
	$(Q)$(BOARD_RUN) $(TB)/elf_static_smoke

unit-tests: $(addprefix $(TB)/,$(CHECK_SUITES_UNIT)) $(GEN) \
	$(if $(filter check_loadable,$(CHECK_SUITES_UNIT)),$(FIXTURE_FILES))
	$(Q)failed=0; for t in $(CHECK_SUITES_UNIT); do \
		echo "== $$t ($(if $(TEST_RUN),$(BOARD),host))"; \
		MANIFOLD_GEN=$(GEN) MANIFOLD_FIXTURES=$(HTB)/fixtures \
		$(TEST_RUN) $(TB)/$$t; rc=$$?; \
		$(if $(TEST_RUN),if [ $$rc -eq 124 ] || [ $$rc -eq 137 ]; then \
			echo "$$t: no result after $(TEST_TIMEOUT) s under $(BOARD_RUN): stopped"; fi;) \
		[ $$rc -eq 0 ] || failed=$$((failed + 1)); \
	done; \
	if [ $$failed -ne 0 ]; then echo "unit tests: $$failed suite(s) failed"; exit 1; fi

# A board's image suites (board.mk may name others: BOARD_IMAGE_TESTS).
BOARD_IMAGE_TESTS ?= check_image
image-tests: $(O)/manifold $(MODULE_FILES) $(IMAGE_FIXTURE_FILES) $(addprefix $(HTB)/,$(BOARD_IMAGE_TESTS))
	$(Q)failed=0; for t in $(BOARD_IMAGE_TESTS); do \
		echo "== $$t ($(BOARD))"; \
		MANIFOLD_IMAGE=$(O)/manifold MANIFOLD_BOARD=$(BOARD) MANIFOLD_RUN="$(BOARD_RUN)" \
		MANIFOLD_MODDIR=$(O)/modules MANIFOLD_TEST_MODULES=$(O)/test-modules \
		MANIFOLD_STATIC_IMAGE=$(wildcard build/host/manifold) \
		$(HTB)/$$t || failed=$$((failed + 1)); \
	done; \
	if [ $$failed -ne 0 ]; then echo "image tests: $$failed suite(s) failed"; exit 1; fi

# One board's tests: its unit tests (unless they are the host's, as for a
# second host board: BOARD_UNIT_TESTS=no) and its image suites.
check-board:
	$(Q)$(if $(filter no,$(BOARD_UNIT_TESTS)),true,$(MAKE) --no-print-directory BOARD=$(BOARD) unit-tests)
	$(Q)$(MAKE) --no-print-directory BOARD=$(BOARD) image-tests

# `make check`: every board in CHECK_BOARDS; `make BOARD=x check`: board x.
CHECK_BOARDS := host $(filter-out host,$(notdir $(wildcard boards/host-modules boards/qemu-aarch64)))
check: deps check-deps check-tree check-layers
ifeq ($(origin BOARD),command line)
	$(Q)$(MAKE) --no-print-directory BOARD=$(BOARD) check-board
else
	$(Q)for b in $(CHECK_BOARDS); do \
		$(MAKE) --no-print-directory BOARD=$$b check-board || exit 1; \
	done
	$(Q)$(MAKE) --no-print-directory check-sanitizers
endif

# What check-board builds, without running it, and one boot of the image:
# the dependency check (scripts/check-deps.sh) traces these for every board.
check-build: $(O)/manifold $(MODULE_FILES) $(IMAGE_FIXTURE_FILES) \
	$(addprefix $(HTB)/,$(BOARD_IMAGE_TESTS)) \
	$(if $(filter no,$(BOARD_UNIT_TESTS)),,$(addprefix $(TB)/,$(CHECK_SUITES_UNIT)) $(GEN) \
		$(if $(filter check_loadable,$(CHECK_SUITES_UNIT)),$(FIXTURE_FILES)))
	$(Q)printf 'module show\n' | $(BOARD_RUN) $(O)/manifold -q $(BOARD_RUN_ARGS) >/dev/null

check-boards:
	@echo $(CHECK_BOARDS)

# `make check` proves the install list before it tests anything, unless
# CHECK_DEPS=no (a developer's rerun on a machine already proven).
check-deps:
	$(Q)$(if $(filter no,$(CHECK_DEPS)),true,sh scripts/check-deps.sh)
	$(Q)sh tests/deps/run.sh

# No tracked file names a path outside the repository (tests/check_tree.sh).
check-tree:
	$(Q)sh tests/check_tree.sh

# The runtime's includes point down its layers (tests/check_layers.sh).
check-layers:
	$(Q)sh tests/check_layers.sh

# ---- sanitizers --------------------------------------------------------------

# The unit suites again under AddressSanitizer + UndefinedBehaviorSanitizer,
# each with tests/suite_main.c (ASan owns malloc, so the suites' own mains,
# which replace it for allocation-failure tests, are left out), and the
# lifecycle stress test under ThreadSanitizer.  Host only; part of `make check`.
SAN_CC := clang
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ATB := build/tests-asan
# check_elfload places modules near a -no-pie program; its reader is fuzzed instead.
ASAN_SUITES := $(filter-out check_loadable check_elfload,$(CHECK_SUITES_UNIT))
STRESS_SECONDS ?= 3
# The fuzzers (see "fuzzing" below): check-sanitizers gives each a smoke pass.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 6
FZB := build/fuzz
FUZZERS := manifest modules_conf extconfig moduleinfo console modindex elf

define asan_rule
$(ATB)/$(1): tests/$(1).c tests/suite_main.c $(call srcs_for,$(1)) $(call objs_for,$(1),$(ATB)) \
		$(TEST_DEPS)
	$$(quiet) ASANLD $$@
	$(Q)mkdir -p $$(@D)
	$(Q)$(SAN_CC) $(HOST_CFLAGS) $(ASAN_FLAGS) -DMF_CHECK_NO_MAIN \
		-DMF_SUITE=make_$(patsubst check_%,%,$(1))_suite -Igen -Iruntime -Itests \
		-o $$@ tests/$(1).c tests/suite_main.c $(call srcs_for,$(1)) \
		$(call objs_for,$(1),$(ATB)) $(CHECK_LIBS)
endef
$(foreach s,$(ASAN_SUITES),$(eval $(call asan_rule,$(s))))

$(ATB)/modules/%.o: embedded/modules/%.c $(MODULE_HDRS)
	$(quiet) ASANCC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(SAN_CC) $(HOST_CFLAGS) $(ASAN_FLAGS) -DMF_MODULE_NAME=$* -c -o $@ $<

$(ATB)/examples/%.o: docs/examples/%.c $(MODULE_HDRS)
	$(quiet) ASANCC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(SAN_CC) $(HOST_CFLAGS) $(ASAN_FLAGS) -DMF_MODULE_NAME=$* -c -o $@ $<

$(ATB)/stress_tsan: tests/stress_lifecycle.c $(RUNTIME_SRCS) tests/fake_backend.c $(TEST_DEPS)
	$(quiet) TSANLD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(SAN_CC) $(HOST_CFLAGS) -O1 -fsanitize=thread -Iruntime -Itests -o $@ \
		tests/stress_lifecycle.c $(RUNTIME_SRCS) tests/fake_backend.c

sanitizers-build: $(addprefix $(ATB)/,$(ASAN_SUITES)) $(ATB)/stress_tsan $(GEN) \
	$(addprefix $(FZB)/fuzz_,$(FUZZERS))

check-sanitizers: sanitizers-build
	$(Q)failed=0; for t in $(ASAN_SUITES); do \
		echo "== $$t (asan+ubsan)"; \
		MANIFOLD_GEN=$(GEN) $(ATB)/$$t || failed=$$((failed + 1)); \
	done; \
	echo "== stress_lifecycle (tsan, $(STRESS_SECONDS) s)"; \
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(ATB)/stress_tsan -t 4 -s $(STRESS_SECONDS) || \
		failed=$$((failed + 1)); \
	echo "== fuzz smoke (asan+ubsan, corpus + $(FUZZ_SMOKE_SECONDS) s each)"; \
	sh tests/fuzz/run.sh $(FZB) $(FZB)/smoke $(FUZZ_SMOKE_SECONDS) $(FUZZERS) || \
		failed=$$((failed + 1)); \
	$(MAKE) --no-print-directory check-image-asan || failed=$$((failed + 1)); \
	if [ $$failed -ne 0 ]; then echo "sanitizers: $$failed run(s) failed"; exit 1; fi

# One program of each sanitizer toolchain (ASan+UBSan, TSan, libFuzzer):
# what the dependency check traces, since the other suites open nothing
# these do not.
sanitizers-build-sample: $(ATB)/check_manifest $(ATB)/stress_tsan $(FZB)/fuzz_manifest

# The host board's image suites against an ASan+UBSan build of the same
# sources.  The sanitizers need glibc, so this image is the host board's
# objects built by clang and linked dynamically against glibc (the shipped
# host image is static musl).  Every report lands in a file, which fails
# the run even where a suite expects the image to fail.
ASAN_IMAGE_O := build/host-asan
ASAN_REPORTS := $(abspath $(ASAN_IMAGE_O))/reports
check-image-asan:
	$(Q)rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	$(Q)echo "== host image suites (asan+ubsan image, glibc)"
	$(Q)ASAN_OPTIONS=exitcode=99:log_path=$(ASAN_REPORTS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:log_path=$(ASAN_REPORTS)/ubsan \
	MANIFOLD_EXPECT_LINK="dynamically linked" \
	$(MAKE) --no-print-directory BOARD=host O=$(ASAN_IMAGE_O) \
		TARGET_CC="$(SAN_CC) $(ASAN_FLAGS)" BOARD_LDFLAGS= image-tests
	$(Q)if [ -n "$$(ls $(ASAN_REPORTS))" ]; then cat $(ASAN_REPORTS)/*; \
		echo "host image: sanitizer reports (above)"; exit 1; fi

# ---- fuzzing (tests/fuzz/, docs/reliability.md) -------------------------------

# libFuzzer harnesses built by clang with ASan+UBSan.  `make fuzz` runs each
# for FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/<harness>/) and
# what earlier runs found (build/fuzz/work/corpus/); check-sanitizers runs
# each over its corpus plus FUZZ_SMOKE_SECONDS.  A crash's input is left in
# build/fuzz/*/crashes/<harness>/: fixed, it joins the seed corpus.
FUZZ_FLAGS := -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_SRCS_manifest := $(MANIFEST_SRCS)
FUZZ_SRCS_moduleinfo := $(GEN_SRCS) $(GEN_RUNTIME_SRCS)
FUZZ_SRCS_modules_conf := tests/fuzz/fuzz_common.c tests/fake_backend.c \
	$(RUNTIME_BASE_SRCS) $(RUNTIME_LOADABLE_SRCS)
FUZZ_SRCS_extconfig := $(FUZZ_SRCS_modules_conf)
FUZZ_SRCS_console := $(FUZZ_SRCS_modules_conf)
FUZZ_SRCS_modindex := $(FUZZ_SRCS_modules_conf)
FUZZ_SRCS_elf := $(ELF_SRCS) runtime/util/alloc.c

define fuzz_rule
$(FZB)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(TEST_DEPS) $(wildcard tests/fuzz/*.h)
	$$(quiet) FUZZLD $$@
	$(Q)mkdir -p $$(@D)
	$(Q)$(SAN_CC) $(HOST_CFLAGS) $(FUZZ_FLAGS) -Igen -Iruntime -Itests -Itests/fuzz \
		-o $$@ tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1))
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

fuzz: $(addprefix $(FZB)/fuzz_,$(FUZZERS))
	$(Q)sh tests/fuzz/run.sh $(FZB) $(FZB)/work $(FUZZ_SECONDS) $(FUZZERS)

# ---- soak ----------------------------------------------------------------------

# The lifecycle stress test under ThreadSanitizer for SOAK_SECONDS, ending
# with its invariant checks (counts, states, registry, heap).  Not part of
# `make check`.
SOAK_SECONDS ?= 300
SOAK_THREADS ?= 4
soak: $(ATB)/stress_tsan
	$(Q)echo "== soak: stress_lifecycle under tsan, $(SOAK_THREADS) threads, $(SOAK_SECONDS) s"
	$(Q)TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(ATB)/stress_tsan -t $(SOAK_THREADS) \
		-s $(SOAK_SECONDS) -v

# ---- benchmarks (bench/bench.mk, docs/performance.md) ------------------------

# `make bench [BENCH_SIZES="100 1000 10000"]`: one table of manifold's costs
# next to the floor measured in the same run; everything in build/bench/.
BENCH_SIZES ?= 100 1000 10000
.PHONY: bench
bench: $(GEN)
	$(Q)$(MAKE) --no-print-directory BOARD=host all >/dev/null
	$(Q)BENCH_IMAGE=build/host/manifold $(MAKE) --no-print-directory -f bench/bench.mk \
		BENCH_SIZES="$(BENCH_SIZES)" \
		GEN=$(GEN) HOSTCC=$(HOSTCC) Q=$(Q) RUNTIME_BASE_SRCS="$(RUNTIME_BASE_SRCS)" \
		RUNTIME_LOADABLE_SRCS="$(RUNTIME_LOADABLE_SRCS)" bench

# `make bench-elf [BENCH_ELF_SIZES="100 1000"]`: the ELF loader (static musl,
# .o files) against musl's dlopen + dlsym of the same code (docs/elf-loader.md).
.PHONY: bench-elf
bench-elf:
	$(Q)sh bench/bench_elf.sh

# ---- housekeeping ------------------------------------------------------------

deps:
	$(Q)sh scripts/install-deps.sh check

clean:
	rm -rf build

distclean: clean

help:
	@sed -n '2,17s/^# \{0,1\}//p' Makefile

FORCE:
