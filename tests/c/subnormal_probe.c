// A model for testing the emulator's arithmetic: stores 1e-30f * 1e-10f
// (a subnormal float32) and exits.
#include <data_specification.h>
#include <spin1_api.h>

void c_main(void) {
    data_specification_metadata_t *ds = data_specification_get_data_address();
    volatile float tiny = 1e-30f, small = 1e-10f;
    *(float *) data_specification_get_region(0, ds) = tiny * small;
    spin1_start(SYNC_WAIT);
    spin1_exit(0);
}
