// A model for testing the emulator's timer: one callback, long on the cost
// model's clock (it sends n_send packets), reads the tick count before and
// after, while its TIMER_TICK callback waits behind it; the timer's
// callback counts its calls and keeps the count it is given, and the core
// exits at the tick after the callback.
#include <data_specification.h>
#include <spin1_api.h>

// [0], [1]: the count before and after the long callback, [2]: the timer
// callbacks run during it, [3]: those run in all, [4]: the last one's count
static uint32_t *out;
static uint32_t n_send, busy_done;

static void tick(uint ticks, uint unused) {
    (void) unused;
    out[3]++;
    out[4] = ticks;
    if (busy_done && ticks > out[1]) {
        spin1_exit(0);
    }
}

static void busy(uint unused0, uint unused1) {
    (void) unused0;
    (void) unused1;
    out[0] = spin1_get_simulation_time();
    uint32_t ticks_before = out[3];
    for (uint32_t i = 0; i < n_send; i++) {
        while (!spin1_send_mc_packet(i, i, WITH_PAYLOAD)) {
        }
    }
    out[1] = spin1_get_simulation_time();
    out[2] = out[3] - ticks_before;
    busy_done = 1;
}

void c_main(void) {
    data_specification_metadata_t *ds = data_specification_get_data_address();
    n_send = *(uint32_t *) data_specification_get_region(0, ds);
    out = data_specification_get_region(1, ds);
    spin1_set_timer_tick(1000);
    spin1_callback_on(TIMER_TICK, tick, 2);
    spin1_schedule_callback(busy, 0, 0, 1);
    spin1_start(SYNC_WAIT);
}
