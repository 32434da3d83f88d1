# One model for SpiNNaker, built by SpiNNFrontEndCommon's fec.mk (installed
# into $(SPINN_DIRS)/make with spinnaker_tools); `make aplx` calls this once
# per model with APP, SOURCES (relative to models/ or common/), PARTS (the
# -include flags choosing numeric type, activation and loss) and APLX_OUT.
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD_DIR := $(ROOT)/build/arm/$(APP)/
APP_OUTPUT_DIR := $(APLX_OUT)
# fec.mk rewrites log calls into compact form in these copies of the source.
SOURCE_DIRS := $(ROOT)/models/:$(BUILD_DIR)modified_models/ \
               $(ROOT)/common/:$(BUILD_DIR)modified_common/
DATABASE_KEY := p
# Plain -O2: fec.mk's default for GNU is -Ofast, whose fast-math would
# change float32 results.
FEC_OPT := -O2
CFLAGS += $(PARTS)
LIBRARIES += -lspinn_frontend_common -lspinn_common -lm

include $(SPINN_DIRS)/make/fec.mk
