// Host build of SpiNNFrontEndCommon's data_specification.h: the same header
// layout with host-sized pointers; the emulator writes it for every core.
#ifndef _DATA_SPECIFICATION_H_
#define _DATA_SPECIFICATION_H_

#include <stdbool.h>
#include <stdint.h>

typedef struct region_desc_t {
    void *pointer;
    uint32_t checksum;
    uint32_t n_words;
} region_desc_t;

typedef struct data_specification_metadata_t {
    uint32_t magic_number;
    uint32_t version;
    region_desc_t regions[];
} data_specification_metadata_t;

data_specification_metadata_t *data_specification_get_data_address(void);
bool data_specification_read_header(data_specification_metadata_t *ds_regions);

static inline void *data_specification_get_region(
        uint32_t region, data_specification_metadata_t *ds_regions) {
    return ds_regions->regions[region].pointer;
}

#endif  // _DATA_SPECIFICATION_H_
