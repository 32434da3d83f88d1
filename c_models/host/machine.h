// The emulated machine: chips with routers, cores with their event queues
// and memory. Shared by the files of the emulator; Python sees emulator.h.
#ifndef SPINNPOP_MACHINE_H
#define SPINNPOP_MACHINE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <data_specification.h>
#include <spin1_api.h>

#include "dtcm.h"
#include "emulator.h"

// SpiNNaker 1, as spinnaker_tools' spin1_api_params.h has it.
#define CORES_PER_CHIP 18
#define N_LINKS 6
#define N_REGIONS 32
#define TASK_QUEUE_SIZE 16
#define N_TASK_QUEUES 4
#define USER_EVENT_QUEUE_SIZE 4
// The comms controller and spin1's outgoing queue of 15.
#define OUT_QUEUE_SIZE 16
#define DS_MAGIC 0xAD130AD6
#define DS_VERSION 0x00010000
// Where SDRAM starts in a core's address space.
#define SDRAM_BASE 0x60000000u
// Cost model: a router's time per packet, in ARM cycles at 200 MHz. Not a
// measured or published figure: an assumed 0.1 us (the router is
// pipelined, a packet per cycle of its clock). It adds latency only (a
// sample's packets cross 1 to 4 routers), not work.
#define ROUTER_CYCLES 20.0
// Cost model: how long a router holds a packet for a core that cannot
// take it before dropping it, in ARM cycles at 200 MHz. SC&MP sets the
// router control register's wait1 field to 0x40 (spinnaker_tools,
// sark/sark_hw.c, rtr_init), which is 240 cycles of the router's clock
// (as FEC's reinjection_status decodes it), and runs the router at
// 133 MHz (scamp/scamp-3.c). Its wait2 (0) is the further wait of
// emergency routing, which only packets bound for links take.
#define ROUTER_WAIT_CYCLES (240.0 * 200.0 / 133.0)
// The ARM968's clock on SpiNNaker 1: cycles of the cost model per
// microsecond of a timer's.
#define CYCLES_PER_US 200.0
// What SDRAM holds before anything is written to it (see sdram.c).
#define SDRAM_FILL 0xFF

//! One callback to run, and (for the cost model) what started it and
//! when, in cycles: it cannot start before then.
typedef struct {
    callback_t cback;
    uint arg0, arg1;
    bool user_event;             // counts against USER_EVENT_QUEUE_SIZE
    uint8_t cause;               // enum emu_cost_feature: PACKET/TASK/TIMER
    double ready;
} task_t;

//! A packet on its way to a core, held by the router; `time`: when it
//! arrives (cost model cycles).
typedef struct {
    int core;
    uint32_t key, payload;
    bool has_payload;
    bool held;                   // it waited for the core to unmask its FIQ
    double time;
} delivery_t;

//! An early packet (core_t.runs): `order` counts the core's early packets,
//! so that those of equal times run in the order they came.
typedef struct {
    delivery_t packet;
    uint64_t order;
} early_t;

//! Early packets in order, oldest first from `head`.
typedef struct {
    early_t *items;
    size_t head, n, capacity;
} early_run_t;

//! A packet a core has sent that the router has not taken yet.
typedef struct {
    uint32_t key, payload;
    bool has_payload;
    double time;
} outgoing_t;

//! A bounded FIFO of callbacks; like spin1's, it holds size - 1.
typedef struct {
    task_t queue[TASK_QUEUE_SIZE];
    uint start, end;
} task_queue_t;

typedef struct {
    callback_t cback;
    int priority;
} handler_t;

typedef struct core {
    uint32_t x, y, p;
    int index;
    uint32_t state;              // enum emu_core_state
    uint32_t exit_code;
    void *library;               // this core's own instance of its model
    void (*c_main)(void);
    handler_t handlers[NUM_EVENTS];
    task_queue_t irq_queue;      // priority-0 callbacks: before any task
    task_queue_t tasks[N_TASK_QUEUES];
    uint user_events_pending;
    bool in_ready_list;
    int ready_at;                // where in emu->ready, while in it
    uint32_t dtcm_bytes;
    void **dtcm_blocks;
    size_t n_dtcm_blocks, dtcm_blocks_capacity;
    emu_core_counters_t counters;
    bool fiq_disabled;           // spin1_fiq_disable() without a restore
    delivery_t *held;            // packets for it while its FIQ is masked
    size_t n_held, held_capacity;
    // Cost model: packets that reached it before its clock did; their FIQs
    // run, in order of (time, order), as its clock reaches them. Each
    // sender's come in that order, so they queue in runs (a packet joins
    // the run whose last is latest but not later than it, or a new one),
    // and a binary min-heap of the runs that hold any, on their firsts,
    // merges them. A sorted array alone moves as many packets per
    // insertion as wait, when senders interleave (a hidden core's input
    // cores), and a heap of packets costs its depth, in cache misses, per
    // packet.
    early_run_t *runs;
    size_t n_runs, runs_capacity;
    size_t *run_heap;            // runs holding packets, first first
    size_t n_live, run_heap_capacity;
    uint64_t early_order;
    size_t last_run;             // the run the last one joined
    uint32_t in_flight;          // packets for it in emu->in_flight
    bool doomed;                 // a fault will stop it dead ...
    uint64_t dies_after;         // ... once it has run this many callbacks
    outgoing_t out[OUT_QUEUE_SIZE];  // preemption mode: sent, not taken
    uint32_t out_head, out_count;
    // The route of the block of keys this core sent last: sends come in
    // runs of one block, so most need no lookup.
    struct route *last_route;
    uint64_t last_block;         // (key >> last_shift) + 1; 0: none
    uint32_t last_shift;
    char *log;
    size_t log_length, log_capacity;
    double cost[EMU_COST_FEATURES];  // cycles of each (emu_set_cost)
    double now;                  // cost model: the core's clock, in cycles
    double worked_until;         // ... when its last callback but a tick
                                 // ended
    // Cost model: its receive path as the router sees it (router.c's
    // overdue()): when the FIQ of the last packet it took started (its
    // comms controller's receive register emptied then) and ended, when
    // the router last moved on from a packet for it, and when it last
    // unmasked its FIQ.
    double rx_free, fiq_free, head_free, unmasked_at;
    uint32_t *trace;             // emu_trace_packets
    uint32_t trace_capacity, trace_count;
    uint32_t timer_period_us;    // 0: no timer
    uint64_t next_tick_us;
    uint32_t ticks;
} core_t;

typedef struct {
    uint32_t key, mask, route;
} route_entry_t;

//! A block of a chip's SDRAM.
typedef struct {
    uint32_t address, size;
    uint8_t *memory;
} sdram_block_t;

typedef struct {
    bool present;
    route_entry_t *entries;
    uint32_t n_entries;
    uint32_t sdram_used;
    sdram_block_t *blocks;       // in address order
    size_t n_blocks, blocks_capacity;
    uint32_t user0[CORES_PER_CHIP];  // each processor's user0 register
    int cores[CORES_PER_CHIP];   // core index by processor, -1 if none
    uint8_t down_links;          // bit per link that carries nothing
    emu_chip_counters_t counters;
} chip_t;

//! Where a key sent from a chip ends up, resolved once and cached: a tree
//! of nodes, one per router lookup.
typedef struct route {
    uint32_t n_chips, n_cores;
    uint32_t *chips;             // the chip of each node, breadth first
    uint32_t *routers;           // routers passed to reach each (source: 1)
    uint32_t *parents;           // the node each came from (the source:
                                 // UINT32_MAX)
    uint32_t *cores;             // destination core indices ...
    uint32_t *core_nodes;        // ... and the node delivering to each
    uint32_t n_drops;            // branches with nowhere to go
    uint32_t *drop_nodes;        // where each of those ended
    uint32_t n_links;            // chip-to-chip hops
    uint32_t *link_nodes;        // the sending node of each hop ...
    uint32_t *link_dirs;         // ... and the link it takes
    uint32_t n_down;             // branches cut by a down link
    uint32_t *down_nodes;        // the node of each ...
    uint32_t *down_dirs;         // ... and the link
    int traffic_class;           // -1 if none
} route_t;

typedef struct {
    uint64_t tag;                // (source chip << 32 | key) + 1; 0 = empty
    route_t *route;
} route_slot_t;

typedef struct {
    uint32_t key, mask, skip, count;
} drop_rule_t;

typedef struct {
    uint32_t key, mask, class_id;
} traffic_class_t;

//! A link to take down after it has carried `remaining` more packets.
typedef struct {
    bool armed;
    uint32_t chip, link;
    uint64_t remaining;
} link_fault_t;

struct emu {
    uint32_t width, height;
    uint32_t sdram_per_chip, dtcm_heap_bytes;
    chip_t *chips;
    core_t **cores;
    int n_cores, cores_capacity;
    int *ready;                  // ring of core indices with work to do
    double *ready_start;         // beside each: when its next callback
                                 // starts (core_make_ready keeps it)
    int ready_head, ready_count;
    core_t *current;             // the core whose code is running
    jmp_buf failure_exit;        // where rt_error() leaves the run
    bool failed;
    route_slot_t *route_cache;
    size_t route_cache_capacity, route_cache_used;
    // Where the key ranges of routing entries and traffic classes start
    // and end, sorted; keys between two neighbours route alike.
    uint64_t *bounds;
    size_t n_bounds;
    uint32_t max_block_shift;    // at most this, for masks with holes
    drop_rule_t drop_rule;
    uint64_t drop_threshold;     // random drops: rate * 2^64; 0: none
    uint64_t drop_state;         // their xorshift state
    link_fault_t link_fault;
    traffic_class_t *classes;
    int n_classes;
    uint64_t reorder_state;      // xorshift state; 0: deliver in order
    bool preempt;                // FIQs inside callbacks, bounded sends
    bool router_timeout;         // routers drop overdue packets
    delivery_t *in_flight;
    size_t n_in_flight, in_flight_capacity;
    uint64_t now_us;             // emulated time: the last timer tick's
    uint64_t tick_due_us;        // no timer ticks before then
    char error[512];
};

//! The machine whose cores are running (the API functions act on it).
extern emu_t *emu_active;

// machine.c
void *grow_array(void *items, size_t *capacity, size_t needed,
        size_t item_size);
chip_t *core_chip(const emu_t *emu, const core_t *core);

// sdram.c
//! A block of `size` bytes of the chip's SDRAM: its address, or 0 if the
//! chip has no room.
uint32_t sdram_allocate(emu_t *emu, chip_t *chip, uint32_t size);
//! Host memory of [address, address + size), or NULL if that is not all
//! in one allocated block.
void *sdram_host(const chip_t *chip, uint32_t address, uint32_t size);
void sdram_free(chip_t *chip);

// scheduler.c
//! The next of a xorshift64 sequence (state never 0).
uint64_t xorshift64(uint64_t *state);
uint64_t next_random(emu_t *emu);
//! Where a running core's FIQ handler may cut in (preemption mode).
void core_preemption_point(emu_t *emu, core_t *core);
//! Whether a running core has callbacks queued or early packets.
bool core_has_work(const core_t *core);
void core_make_ready(emu_t *emu, core_t *core);
//! A core's clock moved on outside its turn (a FIQ): so may its next start.
void core_clock_moved(emu_t *emu, core_t *core);
bool queue_push(task_queue_t *queue, task_t task);
//! Runs a callback on a core, no earlier than task.ready (cost model).
void core_invoke(emu_t *emu, core_t *core, const task_t *task);
//! Adds n of a cost feature to the core's work and its clock.
void core_add_cost(core_t *core, uint32_t feature, uint64_t n);
void core_fail(emu_t *emu, core_t *core, uint code) __attribute__((noreturn));

// router.c
//! Sends a packet from a core; `time`: when it left (cost model cycles).
void router_send(emu_t *emu, core_t *source, outgoing_t packet);
//! The packet arrives at a core's communications controller.
void router_deliver(emu_t *emu, core_t *core, const delivery_t *packet);
//! The same, ignoring the cost model's clock (see router_deliver).
void router_deliver_now(emu_t *emu, core_t *core,
        const delivery_t *packet);
void router_free_cache(emu_t *emu);
//! Takes the faulty link down once it has carried its packets (called
//! between turns, when no route is in use): no route crosses it after.
void router_check_link_fault(emu_t *emu);
//! A core sends a packet: at once, or (preemption mode) into its outgoing
//! queue; false if that is full (the router then takes one, as time
//! passing would).
bool router_offer(emu_t *emu, core_t *source, uint32_t key,
        uint32_t payload, bool has_payload);
//! The router takes every packet waiting in the cores' outgoing queues.
void router_take_all(emu_t *emu);
//! Delivers the packets held for a core while its FIQ was masked.
void router_release_held(emu_t *emu, core_t *core);
//! Runs the FIQs of a core's early packets whose time its clock has
//! reached (and the first even if not, if `first`), in order of time.
void router_release_early(emu_t *emu, core_t *core, bool first);
//! Whether the core has early packets; when the first of them arrives.
bool router_has_early(const core_t *core);
double router_first_early(const core_t *core);

// model_loader.c
int model_load_instance(emu_t *emu, core_t *core, const char *model_path);
void model_unload_instance(core_t *core);

// runtime.c
void core_log(core_t *core, const char *text);

#endif  // SPINNPOP_MACHINE_H
