# manifold: one non-recursive Makefile for host tools, the image and tests.
#
#   make [BOARD=host]        configure (if needed) and build build/<board>/manifold
#   make run                 build and boot the image with its console
#   make check               every test: units (Check), golden files, image
#   make <board>_defconfig   write build/<board>/.config from boards/<board>/defconfig
#   make menuconfig | olddefconfig | savedefconfig
#   make deps                install the Debian packages the build needs
#   make V=1                 show the commands
#
# Everything generated lands under build/: build/tools for host programs,
# build/<board>/ for a board's configuration, tables, objects and image.

BOARD ?= host
O := build/$(BOARD)
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
BASE_CFLAGS := -std=gnu11 $(WARN) -O2 -g -Iruntime/include
HOST_CFLAGS := $(BASE_CFLAGS) -pthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt) -pthread

KCONFIG_CONF ?= kconfig-conf
KCONFIG_MCONF ?= kconfig-mconf

# ---- sources ---------------------------------------------------------------

RUNTIME_SRCS := $(sort $(wildcard runtime/*.c))
MANIFEST_SRCS := runtime/manifest.c runtime/manifest_write.c $(wildcard runtime/ini.c)
GEN_SRCS := $(sort $(filter-out gen/main.c,$(wildcard gen/*.c)))
MODULE_SRCS := $(sort $(wildcard embedded/modules/*.c))
ALL_MODULES := $(notdir $(basename $(MODULE_SRCS)))
comma := ,
empty :=
space := $(empty) $(empty)
ALL_MODULES_CSV := $(subst $(space),$(comma),$(ALL_MODULES))

GEN := $(T)/manifold-gen

.PHONY: all run check deps clean distclean menuconfig olddefconfig savedefconfig \
	unit-tests image-tests help FORCE
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDARY:

# ---- host tools ------------------------------------------------------------

$(GEN): gen/main.c $(GEN_SRCS) $(MANIFEST_SRCS) $(wildcard gen/*.h runtime/include/manifold/*.h)
	$(quiet) HOSTLD $@
	$(Q)mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Igen -o $@ gen/main.c $(GEN_SRCS) $(MANIFEST_SRCS)

# ---- configuration (kconfig-frontends) --------------------------------------

MANIFESTS := $(addprefix $(O)/manifests/,$(addsuffix .manifest,$(ALL_MODULES)))

$(O)/manifests/%.manifest: embedded/modules/%.c $(GEN)
	$(quiet) EXTRACT $@
	$(Q)mkdir -p $(@D)
	$(Q)$(GEN) extract --name $* --modules $(ALL_MODULES_CSV) -o $@ $<

$(O)/Kconfig.modules: $(MANIFESTS) $(GEN)
	$(quiet) KCONFIG $@
	$(Q)$(GEN) kconfig -o $@ --sources embedded/modules $(MANIFESTS)

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
NO_CONFIG_GOALS := clean distclean deps help %_defconfig unit-tests check run
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
$(O)/config-checked: $(O)/.config $(MANIFESTS) $(GEN)
	$(quiet) CHECK $(O)/.config
	$(Q)$(GEN) check --config $(O)/.config $(SELECTED_MANIFESTS) >$@.log || \
		{ cat $@.log; echo "$(O)/.config: refused (see above)"; exit 1; }
	$(Q)touch $@

$(O)/registry.c: $(SELECTED_MANIFESTS) $(GEN) $(O)/config-checked $(O)/modules.mk
	$(quiet) REGISTRY $@
	$(Q)$(GEN) registry -o $@ -H $(O)/registry.h \
		--embedded "$(subst $(space),$(comma),$(MODULES_Y))" $(SELECTED_MANIFESTS)

TARGET_CFLAGS := $(BASE_CFLAGS) $(BOARD_CFLAGS)
RUNTIME_OBJS := $(patsubst runtime/%.c,$(O)/obj/runtime/%.o,$(RUNTIME_SRCS))
MODULE_OBJS_Y := $(addprefix $(O)/obj/modules/,$(addsuffix .o,$(MODULES_Y)))

$(O)/obj/runtime/%.o: runtime/%.c $(wildcard runtime/*.h runtime/include/manifold/*.h)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -c -o $@ $<

$(O)/obj/modules/%.o: embedded/modules/%.c $(wildcard embedded/include/*.h runtime/include/manifold/*.h)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -fPIC -c -o $@ $<

$(O)/obj/main.o: embedded/main.c $(wildcard runtime/include/manifold/*.h) $(O)/.config
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -DMF_CONFIG_DIR='$(CONFIG_MF_CONFIG_DIR)' \
		-DMF_CONTROL_SOCKET='$(CONFIG_MF_CONTROL_SOCKET)' \
		-DMF_CANCEL_TIMEOUT_MS=$(CONFIG_MF_CANCEL_TIMEOUT_MS) -DMF_BOARD='"$(BOARD)"' -c -o $@ $<

$(O)/obj/board_config.o: embedded/board_config.c boards/$(BOARD)/modules.conf
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -DMF_BOARD_MODULES_CONF=boards/$(BOARD)/modules.conf -c -o $@ $<

$(O)/obj/registry.o: $(O)/registry.c
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -c -o $@ $<

$(O)/libmanifold.a: $(RUNTIME_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@ && $(TARGET_AR) rcs $@ $^

IMAGE_OBJS := $(O)/obj/main.o $(O)/obj/board_config.o $(O)/obj/registry.o $(MODULE_OBJS_Y)

$(O)/manifold: $(IMAGE_OBJS) $(O)/libmanifold.a
	$(quiet) LD $@
	$(Q)$(TARGET_CC) $(BOARD_LDFLAGS) -o $@ $(IMAGE_OBJS) $(O)/libmanifold.a -lpthread

all: $(O)/manifold
	@echo "  IMAGE    $(O)/manifold ($(words $(MODULES_Y)) embedded modules: $(MODULES_Y))"

run: deps
	$(Q)$(MAKE) --no-print-directory BOARD=$(BOARD) all
	$(BOARD_RUN) $(O)/manifold

# ---- tests -----------------------------------------------------------------

# Unit tests build natively with the host compiler and Check.
CHECK_SUITES := $(notdir $(basename $(sort $(wildcard tests/check_*.c))))
CHECK_SUITES_UNIT := $(filter-out check_image,$(CHECK_SUITES))

# What each suite links besides itself (default: the whole runtime).
SRCS_check_manifest := $(MANIFEST_SRCS)
SRCS_check_extract := $(GEN_SRCS) $(MANIFEST_SRCS)
SRCS_check_registry := $(GEN_SRCS) $(MANIFEST_SRCS)
SRCS_check_kconfig := $(GEN_SRCS) $(MANIFEST_SRCS)
SRCS_check_validate := $(GEN_SRCS) $(MANIFEST_SRCS)
SRCS_check_modules := $(MODULE_SRCS) tests/fake_runtime.c
SRCS_check_image :=
srcs_for = $(if $(filter undefined,$(origin SRCS_$(1))),$(RUNTIME_SRCS) $(wildcard tests/fake_backend.c),$(SRCS_$(1)))

define check_rule
$(TB)/$(1): tests/$(1).c $(call srcs_for,$(1)) $(wildcard tests/*.h gen/*.h runtime/*.h runtime/include/manifold/*.h embedded/include/*.h)
	$$(quiet) HOSTLD $$@
	$(Q)mkdir -p $$(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -Igen -Iruntime -Itests -o $$@ tests/$(1).c $(call srcs_for,$(1)) $(CHECK_LIBS)
endef
$(foreach s,$(CHECK_SUITES),$(eval $(call check_rule,$(s))))

unit-tests: $(addprefix $(TB)/,$(CHECK_SUITES_UNIT)) $(GEN)
	$(Q)failed=0; for t in $(CHECK_SUITES_UNIT); do \
		echo "== $$t"; MANIFOLD_GEN=$(GEN) $(TB)/$$t || failed=$$((failed + 1)); \
	done; \
	if [ $$failed -ne 0 ]; then echo "unit tests: $$failed suite(s) failed"; exit 1; fi

image-tests: $(O)/manifold $(TB)/check_image
	@echo "== check_image ($(BOARD))"
	$(Q)MANIFOLD_IMAGE=$(O)/manifold MANIFOLD_RUN="$(BOARD_RUN)" $(TB)/check_image

check: deps
	$(Q)$(MAKE) --no-print-directory unit-tests
	$(Q)$(MAKE) --no-print-directory BOARD=$(BOARD) image-tests

# ---- housekeeping ------------------------------------------------------------

deps:
	$(Q)sh scripts/install-deps.sh

clean:
	rm -rf build

distclean: clean

help:
	@sed -n '2,13s/^# \{0,1\}//p' Makefile

FORCE:
