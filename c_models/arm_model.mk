# One model for SpiNNaker, built with the make file SpiNNFrontEndCommon
# installs into $(SPINN_DIRS)/make: a release's local.mk (7.4.1) or
# master's fec.mk. `make aplx` calls this once per model with APP,
# SOURCES (relative to c_models/), PARTS (the -include flags choosing
# numeric type, activation and loss) and APLX_OUT.
#
# Both convert the sources (log calls into compact form) into a
# modified_src/ folder, which a release's local.mk puts beside each source
# folder; so the sources are staged in the model's build folder first.
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD_DIR := $(ROOT)/build/arm/$(APP)/
APP_OUTPUT_DIR := $(APLX_OUT)
STAGE := $(BUILD_DIR)src
MODIFIED := $(BUILD_DIR)modified_src/
$(shell rm -rf $(STAGE) && mkdir -p $(STAGE) \
    && cp -r $(ROOT)/common $(ROOT)/models $(STAGE)/)
# Plain -O2: the default for GNU is -Ofast, whose fast-math would change
# float32 results.
FEC_OPT := -O2
CFLAGS += $(PARTS) -I $(MODIFIED)common
LIBRARIES += -lspinn_frontend_common -lspinn_common -lm

ifneq ($(wildcard $(SPINN_DIRS)/make/fec.mk),)
SOURCE_DIRS := $(STAGE)/:$(MODIFIED)
DATABASE_KEY := p
include $(SPINN_DIRS)/make/fec.mk
else
SOURCE_DIRS := $(STAGE)
include $(SPINN_DIRS)/make/local.mk
endif
