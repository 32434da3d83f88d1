// A model for testing the emulator itself: it sends n_send packets
// (keys key + i) once started, retrying while the outgoing queue is full
// (with `masked`, inside a section with its FIQ masked), counts what it
// receives and exits after exit_after packets (at once if 0).
#include <data_specification.h>
#include <spin1_api.h>

typedef struct {
    uint32_t n_send;
    uint32_t key;
    uint32_t priority;     // of the packet callback, plus one
    uint32_t exit_after;
    uint32_t masked;       // 1: send with the FIQ masked
} probe_params_t;

static probe_params_t params;
// [0]: packets, [1]: last key, [2]: last payload, [3]: sends refused,
// [4]: packets received while the FIQ was masked
static uint32_t *received;

static void packet(uint key, uint payload) {
    received[1] = key;
    received[2] = payload;
    if (++received[0] == params.exit_after) {
        spin1_exit(0);
    }
}

static void start(uint unused0, uint unused1) {
    (void) unused0;
    (void) unused1;
    uint state = params.masked ? spin1_fiq_disable() : 0;
    uint32_t before = received[0];
    for (uint32_t i = 0; i < params.n_send; i++) {
        while (!spin1_send_mc_packet(params.key + i, i, WITH_PAYLOAD)) {
            received[3]++;
        }
    }
    if (params.masked) {
        received[4] = received[0] - before;
        spin1_mode_restore(state);
    }
    if (params.exit_after == 0) {
        spin1_exit(0);
    }
}

void c_main(void) {
    data_specification_metadata_t *ds = data_specification_get_data_address();
    params = *(probe_params_t *) data_specification_get_region(0, ds);
    received = data_specification_get_region(1, ds);
    spin1_callback_on(MCPL_PACKET_RECEIVED, packet, (int) params.priority - 1);
    spin1_schedule_callback(start, 0, 0, 1);
    spin1_start(SYNC_WAIT);
}
