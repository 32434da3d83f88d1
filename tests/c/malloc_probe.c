// A model for testing the emulator's DTCM heap: records whether
// spin1_malloc(0) gave NULL (as sark_xalloc does), whether a small block
// came, and whether a block larger than the heap was refused.
#include <data_specification.h>
#include <spin1_api.h>

void c_main(void) {
    data_specification_metadata_t *ds = data_specification_get_data_address();
    uint32_t *result = data_specification_get_region(0, ds);
    result[0] = spin1_malloc(0) == NULL;
    result[1] = spin1_malloc(4) != NULL;
    result[2] = spin1_malloc(1u << 20) == NULL;
    spin1_start(SYNC_WAIT);
    spin1_exit(0);
}
