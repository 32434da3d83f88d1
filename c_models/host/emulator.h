// The emulator's interface to Python (spinnpop/backends/emulator/engine.py
// binds it with ctypes). A machine is built from PACMAN's mapping: chips
// with their routing tables, and placed cores each running its own instance
// of a model; then it runs until every core has exited or nothing is left
// to do, and Python reads regions and counters back.
#ifndef SPINNPOP_EMULATOR_H
#define SPINNPOP_EMULATOR_H

#include <stdint.h>

typedef struct emu emu_t;

//! How a call to emu_run() ended.
enum emu_run_state {
    EMU_RUNNING = 0,   //!< the callback budget ran out; call again
    EMU_DONE = 1,      //!< every core has called spin1_exit(0)
    EMU_STALLED = 2,   //!< nothing left to run, no timer to wait for, but
                       //!< cores have not exited
    EMU_FAILED = 3     //!< a core called rt_error() or spin1_exit(non-zero)
};

//! Life of an emulated core.
enum emu_core_state {
    EMU_CORE_LOADED = 0, EMU_CORE_RUNNING = 1, EMU_CORE_EXITED = 2,
    EMU_CORE_FAILED = 3,
    EMU_CORE_DEAD = 4          //!< stopped dead by a fault (emu_kill_core)
};

#define EMU_TRAFFIC_CLASSES 8

//! What the cost model (spinnpop/cost_model) counts of each core's work:
//! callbacks by what started them, packets sent, then (calls, units) of
//! each of the models' cost sites (cost.h).
enum emu_cost_feature {
    EMU_COST_PACKET = 0,      //!< packet interrupts
    EMU_COST_TASK = 1,        //!< queued callbacks (processing, user events)
    EMU_COST_TIMER = 2,       //!< timer ticks
    EMU_COST_SENT = 3,        //!< packets sent
    EMU_COST_SITES = 4        //!< first of the sites' (calls, units)
};
#define EMU_COST_N_SITES 9
#define EMU_COST_FEATURES (EMU_COST_SITES + 2 * EMU_COST_N_SITES)

//! What one core did; counts are of multicast packets.
typedef struct {
    uint64_t sent;            //!< packets this core sent
    uint64_t received;        //!< packets delivered to this core
    uint64_t dropped;         //!< packets for this core it could not take
    uint64_t callbacks;       //!< callbacks run (packet, user, scheduled)
    uint64_t send_failures;   //!< sends refused: the outgoing queue was full
    uint64_t preemptions;     //!< packet interrupts inside a callback
    uint64_t overdue;         //!< packets for it that a router held past
                              //!< its wait time (router.c's overdue())
    uint64_t sent_by_class[EMU_TRAFFIC_CLASSES];
    uint64_t cost[EMU_COST_FEATURES];  //!< enum emu_cost_feature
    double clock_cycles;      //!< when it finished its last callback but
                              //!< a timer tick (ticks go on while it waits
                              //!< or lingers), in cycles from the start of
                              //!< the run
    double busy_cycles;       //!< its work priced (emu_set_cost), cycles
    uint32_t state;           //!< enum emu_core_state
    uint32_t exit_code;       //!< spin1_exit() or rt_error() code
    uint32_t dtcm_bytes;      //!< DTCM heap in use
    uint32_t pad;
} emu_core_counters_t;

//! What one chip's router did.
typedef struct {
    uint64_t routed;          //!< packets looked up in this router
    uint64_t dropped;         //!< packets with nowhere to go
    uint64_t link_sent[6];    //!< packets sent on to a neighbour chip,
                              //!< by link (E, NE, N, W, SW, S)
    uint64_t link_dropped[6]; //!< of `dropped`: by the (down) link they
                              //!< were to take, E, NE, N, W, SW, S
} emu_chip_counters_t;

emu_t *emu_new(uint32_t width, uint32_t height, uint32_t sdram_per_chip,
        uint32_t dtcm_heap_bytes);
void emu_free(emu_t *emu);
const char *emu_last_error(const emu_t *emu);

//! Routing table of a chip: n entries of (key, mask, route), route as the
//! hardware holds it: bits 0-5 links, bits 6-23 processors.
int emu_set_routes(emu_t *emu, uint32_t x, uint32_t y, uint32_t n,
        const uint32_t *key_mask_route);

//! Places a core running the model in the shared library model_path;
//! returns its index, or -1 (see emu_last_error()).
int emu_add_core(emu_t *emu, uint32_t x, uint32_t y, uint32_t p,
        const char *model_path);

//! Allocates a block of a chip's SDRAM, as SC&MP does for the tool chain;
//! returns its SpiNNaker address, or 0 (see emu_last_error()).
uint32_t emu_malloc_sdram(emu_t *emu, uint32_t x, uint32_t y, uint32_t size);
//! Host memory of SDRAM [address, address + size) of a chip (in one block),
//! or NULL.
void *emu_sdram(emu_t *emu, uint32_t x, uint32_t y, uint32_t address,
        uint32_t size);
//! The size of the block of chip (x, y)'s SDRAM that starts at `address`,
//! or 0 if none does.
uint32_t emu_sdram_block_size(emu_t *emu, uint32_t x, uint32_t y,
        uint32_t address);
//! Sets a processor's user0 register: where its data specification is.
int emu_set_user0(emu_t *emu, uint32_t x, uint32_t y, uint32_t p,
        uint32_t value);

//! Without the tool chain: reserves a zeroed region of a core's SDRAM
//! (and its data specification header, the first time); returns it.
void *emu_add_region(emu_t *emu, int core, uint32_t region, uint32_t size);

//! Counts packets sent with (key & mask) == key under traffic class id.
int emu_add_traffic_class(emu_t *emu, uint32_t key, uint32_t mask,
        uint32_t class_id);

//! With a non-zero seed, packets are held in flight for random times and
//! cores take turns in random order: any delivery order the machine could
//! produce (reinjection included), reproducible from the seed.
void emu_reorder(emu_t *emu, uint64_t seed);

//! With reordering on: cores' sends queue up to the hardware's 16 packets
//! (a send fails when they are full) and a core's packet interrupt may cut
//! into its callbacks wherever they call into the SpiNNaker API.
void emu_preempt(emu_t *emu);

//! Routers drop a packet for a core once they have held it longer than
//! SpiNNaker's router wait time (ROUTER_WAIT_CYCLES, on the cost model's
//! clocks), counted at the core's chip, as a chip's router does; without
//! this the packets still arrive and are only counted (`overdue`). In
//! packet order only: not with emu_reorder().
void emu_router_timeout(emu_t *emu);

//! Drops `count` packets matching key/mask after letting `skip` through.
void emu_drop_packets(emu_t *emu, uint32_t key, uint32_t mask,
        uint32_t skip, uint32_t count);

//! Fault injection: every router a packet reaches drops it with
//! probability `rate` (in [0, 1)), counted there, reproducibly from
//! `seed`; whatever the packet (activations, errors, acknowledgements,
//! reductions).
void emu_drop_at_random(emu_t *emu, double rate, uint64_t seed);

//! Fault injection: the core stops dead once it has run `after_callbacks`
//! callbacks, as a hung processor: it runs nothing more and takes no
//! packets, and its state becomes EMU_CORE_DEAD.
void emu_kill_core(emu_t *emu, int core, uint64_t after_callbacks);

//! Fault injection: link `link` (0-5: E, NE, N, W, SW, S) of chip (x, y)
//! goes down once it has carried `after_packets` packets; the router then
//! drops what it would send that way, counted by link.
int emu_kill_link(emu_t *emu, uint32_t x, uint32_t y, uint32_t link,
        uint64_t after_packets);

//! Prices a core's work in ARM cycles: `coefficients` holds, for each
//! enum emu_cost_feature, the cycles of one of it. Until set, work costs
//! nothing.
void emu_set_cost(emu_t *emu, int core, const double *coefficients);
//! Records the first `capacity` packets the core's packet interrupt takes,
//! as (key, payload) pairs in `buffer`, which must outlive the run (for
//! replaying them on the ARM build: spinnpop/cost_model/calibrate.py).
void emu_trace_packets(emu_t *emu, int core, uint32_t *buffer,
        uint32_t capacity);
//! How many packets the core's trace holds.
uint32_t emu_traced(const emu_t *emu, int core);

//! EMU_COST_N_SITES, for Python to check against the models' sites.
uint32_t emu_cost_sites(void);

//! Runs every core's c_main(); returns the number of cores that failed.
int emu_start(emu_t *emu);

//! Runs callbacks until done, stalled, failed or max_callbacks have run.
int emu_run(emu_t *emu, uint64_t max_callbacks);

void emu_core_counters(const emu_t *emu, int core, emu_core_counters_t *out);
void emu_chip_counters(const emu_t *emu, uint32_t x, uint32_t y,
        emu_chip_counters_t *out);
//! The core's log (its I/O buffer), NUL-terminated.
const char *emu_core_log(const emu_t *emu, int core);

//! Emulated microseconds so far: the time of the last timer tick, by the
//! cores' clocks (the cost model's).
uint64_t emu_now_us(const emu_t *emu);

#endif  // SPINNPOP_EMULATOR_H
