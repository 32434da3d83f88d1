// Host build of SpiNNFrontEndCommon's data_specification.h: the header at
// a core's user0 has the ARM's layout (32-bit SpiNNaker addresses), as the
// tool chain writes it; the emulator translates addresses into host memory.
#ifndef _DATA_SPECIFICATION_H_
#define _DATA_SPECIFICATION_H_

#include <stdbool.h>
#include <stdint.h>

typedef struct region_desc_t {
    uint32_t pointer;     // a SpiNNaker SDRAM address (0: no region)
    uint32_t checksum;
    uint32_t n_words;
} region_desc_t;

typedef struct data_specification_metadata_t {
    uint32_t magic_number;
    uint32_t version;
    region_desc_t regions[];
} data_specification_metadata_t;

//! The header at the core's user0, each region's checksum verified.
data_specification_metadata_t *data_specification_get_data_address(void);
bool data_specification_read_header(data_specification_metadata_t *ds_regions);
//! The region in host memory (NULL if absent).
void *data_specification_get_region(
        uint32_t region, data_specification_metadata_t *ds_regions);

#endif  // _DATA_SPECIFICATION_H_
