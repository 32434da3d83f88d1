// One SpiNNaker core with nothing around it, for measuring a model's ARM
// build under a CPU emulator (spinnpop/cost_model/calibrate.py): the part of
// the SpiNNaker API the models call, just enough to replay the packets a core
// took in an emulated run. Python loads the core's SDRAM image, calls
// harness_start (c_main), then harness_packet for each packet and
// harness_task until it returns 0, counting the cycles of each call.
// Built with COST_COUNTING, it also counts the models' cost sites.
#include <stdarg.h>
#include <stdint.h>

#include <data_specification.h>
#include <debug.h>
#include <spin1_api.h>

#include "regions.h"

#define QUEUE_SIZE 64
#define HEAP_BYTES (48 * 1024)

void c_main(void);

typedef struct {
    callback_t cback;
    uint arg0, arg1;
} task_t;

static callback_t handlers[NUM_EVENTS];
static task_t queue[QUEUE_SIZE];
static uint32_t queue_start, queue_end;
static uint8_t heap[HEAP_BYTES] __attribute__((aligned(8)));
static uint32_t heap_used;

// Read by Python: the core's data specification, what happened, and (with
// COST_COUNTING) its cost sites' (calls, units).
uint32_t harness_user0;
uint32_t harness_sent;
uint32_t harness_exit_code = UINT32_MAX;
uint32_t harness_error = 0;
uint32_t harness_sites[2 * COST_N_SITES];

//! Where Python stops the CPU: every entry point returns here.
void __attribute__((noinline, naked)) harness_halt(void) {
    __asm__ volatile("b harness_halt");
}

#ifdef COST_COUNTING
void cost_count(uint32_t site, uint32_t units) {
    harness_sites[2 * site]++;
    harness_sites[2 * site + 1] += units;
}
#endif

void emu_log(int level, const char *message, ...) {
    (void) level;
    (void) message;
}

void rt_error(uint code, ...) {
    harness_error = code;
    harness_halt();
    __builtin_unreachable();
}

uint spin1_start(sync_bool sync) {
    (void) sync;
    return 0;
}

void spin1_exit(uint error) {
    harness_exit_code = error;
}

void spin1_callback_on(uint event_id, callback_t cback, int priority) {
    (void) priority;
    handlers[event_id] = cback;
}

static uint push(callback_t cback, uint arg0, uint arg1) {
    uint32_t next = (queue_end + 1) % QUEUE_SIZE;
    if (next == queue_start) {
        return FAILURE;
    }
    queue[queue_end] = (task_t) {cback, arg0, arg1};
    queue_end = next;
    return SUCCESS;
}

uint spin1_schedule_callback(callback_t cback, uint arg0, uint arg1,
        uint priority) {
    (void) priority;
    return push(cback, arg0, arg1);
}

uint spin1_trigger_user_event(uint arg0, uint arg1) {
    return push(handlers[USER_EVENT], arg0, arg1);
}

uint spin1_send_mc_packet(uint key, uint data, uint load) {
    (void) key;
    (void) data;
    (void) load;
    harness_sent++;
    return SUCCESS;
}

void *spin1_malloc(uint bytes) {
    // sark_xalloc: NULL for 0 bytes, blocks rounded to 8.
    uint32_t size = (bytes + 7) & ~7u;
    if (bytes == 0 || heap_used + size > HEAP_BYTES) {
        return NULL;
    }
    void *block = &heap[heap_used];
    heap_used += size;
    return block;
}

void spin1_set_timer_tick(uint time) {
    (void) time;
}

// No timer here: as on a chip between two ticks (spin1 returns a count).
uint spin1_get_simulation_time(void) {
    return 0;
}

uint spin1_fiq_disable(void) {
    return 0;
}

void spin1_mode_restore(uint state) {
    (void) state;
}

data_specification_metadata_t *data_specification_get_data_address(void) {
    return (data_specification_metadata_t *) harness_user0;
}

bool data_specification_read_header(data_specification_metadata_t *ds) {
    return ds->magic_number == 0xAD130AD6 && ds->version == 0x00010000;
}

void *data_specification_get_region(uint32_t region,
        data_specification_metadata_t *ds) {
    return (void *) ds->regions[region].pointer;
}

void harness_start(void) {
    c_main();
    harness_halt();
}

void harness_packet(uint key, uint payload) {
    handlers[MCPL_PACKET_RECEIVED](key, payload);
    harness_halt();
}

//! Runs the next queued callback; harness_error is 0x100 if none was.
void harness_task(void) {
    if (queue_start == queue_end) {
        harness_error = 0x100;
    } else {
        task_t task = queue[queue_start];
        queue_start = (queue_start + 1) % QUEUE_SIZE;
        task.cback(task.arg0, task.arg1);
    }
    harness_halt();
}
