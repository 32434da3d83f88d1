// Routing: PACMAN's per-chip tables turned into deliveries.
//
// A packet is looked up in the router of the chip it is on: the first entry
// with (key & mask) == entry key sends it to the processors and links the
// entry lists. With no match, a packet that came in over a link carries on
// in the same direction (default routing); one from a local core has
// nowhere to go and is dropped, as is one sent towards an absent chip or
// processor, or over a link that is down. The tree a key takes from a chip
// changes only when a link goes down, so it is resolved once and cached
// until then; counters still count every packet.
// All keys of an aligned block that no routing entry's or traffic class's
// key range starts or ends inside take the same tree, so the cache holds a
// tree per such block (a core's block of a partition, typically) rather
// than per key.
#include <stdlib.h>
#include <string.h>

#include "machine.h"

#define MAX_HOPS 4096
#define NO_NODE UINT32_MAX
#define ROUTE_LINK_BITS 6

// Link directions as on SpiNNaker: E, NE, N, W, SW, S.
static const int LINK_DX[N_LINKS] = {1, 1, 0, -1, -1, 0};
static const int LINK_DY[N_LINKS] = {0, 1, 1, 0, -1, -1};

typedef struct {
    uint32_t *items;
    size_t n, capacity;
} list_t;

static bool list_add(list_t *list, uint32_t item) {
    uint32_t *items = grow_array(list->items, &list->capacity, list->n + 1,
            sizeof(uint32_t));
    if (items == NULL) {
        return false;
    }
    list->items = items;
    list->items[list->n++] = item;
    return true;
}

static const route_entry_t *lookup(const chip_t *chip, uint32_t key) {
    for (uint32_t e = 0; e < chip->n_entries; e++) {
        if ((key & chip->entries[e].mask) == chip->entries[e].key) {
            return &chip->entries[e];
        }
    }
    return NULL;
}

static int traffic_class(const emu_t *emu, uint32_t key) {
    for (int c = 0; c < emu->n_classes; c++) {
        if ((key & emu->classes[c].mask) == emu->classes[c].key) {
            return (int) emu->classes[c].class_id;
        }
    }
    return -1;
}

//! Walks the multicast tree of `key` from chip `source`: one node per
//! router the packet passes through, breadth first, each with the node it
//! came from.
static route_t *resolve(const emu_t *emu, uint32_t source, uint32_t key) {
    list_t chips = {0}, parents = {0}, routers = {0}, cores = {0};
    list_t core_nodes = {0};
    list_t drops = {0}, links = {0}, dirs = {0}, down = {0}, down_dirs = {0};
    // Triples (chip, direction of travel or -1 from a local core, node it
    // came from).
    list_t frontier = {0};
    bool ok = list_add(&frontier, source) && list_add(&frontier, (uint32_t) -1)
            && list_add(&frontier, NO_NODE);
    for (uint32_t next = 0; ok && next < frontier.n; next += 3) {
        uint32_t chip_index = frontier.items[next];
        int travel = (int) frontier.items[next + 1];
        if (chips.n >= MAX_HOPS) {
            ok = list_add(&drops, frontier.items[next + 2]);
            break;
        }
        const chip_t *chip = &emu->chips[chip_index];
        uint32_t node = (uint32_t) chips.n;
        uint32_t parent = frontier.items[next + 2];
        ok = list_add(&chips, chip_index) && list_add(&parents, parent)
                && list_add(&routers, parent == NO_NODE ? 1
                        : routers.items[parent] + 1);
        const route_entry_t *entry = lookup(chip, key);
        uint32_t route;
        if (entry != NULL) {
            route = entry->route;
        } else if (travel >= 0) {
            route = 1u << travel;
        } else {
            ok = ok && list_add(&drops, node);
            continue;
        }
        for (int p = 0; ok && p < CORES_PER_CHIP; p++) {
            if (route & (1u << (ROUTE_LINK_BITS + p))) {
                ok = chip->cores[p] >= 0
                        ? list_add(&cores, (uint32_t) chip->cores[p])
                                && list_add(&core_nodes, node)
                        : list_add(&drops, node);
            }
        }
        int x = (int) (chip_index % emu->width);
        int y = (int) (chip_index / emu->width);
        for (int link = 0; ok && link < N_LINKS; link++) {
            if (!(route & (1u << link))) {
                continue;
            }
            if (chip->down_links & (1u << link)) {
                ok = list_add(&down, node)
                        && list_add(&down_dirs, (uint32_t) link);
                continue;
            }
            int nx = x + LINK_DX[link], ny = y + LINK_DY[link];
            if (nx < 0 || ny < 0 || nx >= (int) emu->width
                    || ny >= (int) emu->height
                    || !emu->chips[ny * emu->width + nx].present) {
                ok = list_add(&drops, node);
                continue;
            }
            ok = list_add(&frontier, (uint32_t) (ny * emu->width + nx))
                    && list_add(&frontier, (uint32_t) link)
                    && list_add(&frontier, node)
                    && list_add(&links, node)
                    && list_add(&dirs, (uint32_t) link);
        }
    }
    free(frontier.items);
    route_t *route = ok ? malloc(sizeof(route_t)) : NULL;
    if (route == NULL) {
        list_t *lists[] = {&chips, &parents, &routers, &cores, &core_nodes,
                           &drops, &links, &dirs, &down, &down_dirs};
        for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
            free(lists[l]->items);
        }
        return NULL;
    }
    *route = (route_t) {
        .n_chips = chips.n, .chips = chips.items, .parents = parents.items,
        .routers = routers.items,
        .n_cores = cores.n, .cores = cores.items,
        .core_nodes = core_nodes.items,
        .n_drops = drops.n, .drop_nodes = drops.items,
        .n_links = links.n, .link_nodes = links.items,
        .link_dirs = dirs.items,
        .n_down = down.n, .down_nodes = down.items,
        .down_dirs = down_dirs.items,
        .traffic_class = traffic_class(emu, key)
    };
    return route;
}

static uint64_t hash(uint64_t tag) {
    tag ^= tag >> 33;
    tag *= 0xff51afd7ed558ccdULL;
    tag ^= tag >> 33;
    return tag;
}

static bool cache_grow(emu_t *emu) {
    size_t capacity = emu->route_cache_capacity
            ? 2 * emu->route_cache_capacity : 1024;
    route_slot_t *slots = calloc(capacity, sizeof(route_slot_t));
    if (slots == NULL) {
        return false;
    }
    for (size_t s = 0; s < emu->route_cache_capacity; s++) {
        route_slot_t old = emu->route_cache[s];
        if (old.tag != 0) {
            size_t i = hash(old.tag) & (capacity - 1);
            while (slots[i].tag != 0) {
                i = (i + 1) & (capacity - 1);
            }
            slots[i] = old;
        }
    }
    free(emu->route_cache);
    emu->route_cache = slots;
    emu->route_cache_capacity = capacity;
    return true;
}

static int compare_bounds(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}

static bool add_range(emu_t *emu, size_t *capacity, uint32_t key,
        uint32_t mask) {
    uint64_t *bounds = grow_array(emu->bounds, capacity, emu->n_bounds + 2,
            sizeof(uint64_t));
    if (bounds == NULL) {
        return false;
    }
    emu->bounds = bounds;
    // A mask of ones then zeros covers [key, key + 2^zeros); one with holes
    // matches keys in several places, so blocks stay within its zeros.
    uint32_t zeros = mask == 0 ? 32 : (uint32_t) __builtin_ctz(mask);
    if ((uint64_t) mask + ((uint64_t) 1 << zeros) != ((uint64_t) 1 << 32)
            && zeros < emu->max_block_shift) {
        emu->max_block_shift = zeros;
    }
    emu->bounds[emu->n_bounds++] = key & mask;
    emu->bounds[emu->n_bounds++] = (uint64_t) (key & mask)
            + ((uint64_t) 1 << zeros);
    return true;
}

//! The sorted bounds of every key range that routing looks at.
static bool make_bounds(emu_t *emu) {
    size_t capacity = 0;
    emu->max_block_shift = 32;
    for (uint32_t c = 0; c < emu->width * emu->height; c++) {
        const chip_t *chip = &emu->chips[c];
        for (uint32_t e = 0; e < chip->n_entries; e++) {
            if (!add_range(emu, &capacity, chip->entries[e].key,
                    chip->entries[e].mask)) {
                return false;
            }
        }
    }
    for (int c = 0; c < emu->n_classes; c++) {
        if (!add_range(emu, &capacity, emu->classes[c].key,
                emu->classes[c].mask)) {
            return false;
        }
    }
    if (!add_range(emu, &capacity, 0, 0)) {  // so that the array is not empty
        return false;
    }
    qsort(emu->bounds, emu->n_bounds, sizeof(uint64_t), compare_bounds);
    return true;
}

//! log2 of the largest aligned block around `key` with no bound inside.
static uint32_t block_shift(const emu_t *emu, uint32_t key) {
    size_t low = 0, high = emu->n_bounds;
    while (low < high) {  // the first bound above the key
        size_t mid = (low + high) / 2;
        if (emu->bounds[mid] <= key) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    uint64_t floor = low > 0 ? emu->bounds[low - 1] : 0;
    uint64_t ceiling = low < emu->n_bounds ? emu->bounds[low]
            : (uint64_t) 1 << 32;
    uint32_t shift = 0;
    while (shift < emu->max_block_shift) {
        uint64_t start = ((uint64_t) key >> (shift + 1)) << (shift + 1);
        if (start < floor || start + ((uint64_t) 2 << shift) > ceiling) {
            break;
        }
        shift++;
    }
    return shift;
}

static route_t *cached_route(emu_t *emu, uint32_t source, uint32_t key,
        uint32_t shift) {
    uint64_t tag = (((uint64_t) source << 38) | ((uint64_t) shift << 32)
            | ((uint64_t) key >> shift)) + 1;
    if (emu->route_cache_capacity > 0) {
        size_t i = hash(tag) & (emu->route_cache_capacity - 1);
        while (emu->route_cache[i].tag != 0) {
            if (emu->route_cache[i].tag == tag) {
                return emu->route_cache[i].route;
            }
            i = (i + 1) & (emu->route_cache_capacity - 1);
        }
    }
    if (2 * (emu->route_cache_used + 1) > emu->route_cache_capacity
            && !cache_grow(emu)) {
        return NULL;
    }
    route_t *route = resolve(emu, source, key);
    if (route == NULL) {
        return NULL;
    }
    size_t i = hash(tag) & (emu->route_cache_capacity - 1);
    while (emu->route_cache[i].tag != 0) {
        i = (i + 1) & (emu->route_cache_capacity - 1);
    }
    emu->route_cache[i] = (route_slot_t) {tag, route};
    emu->route_cache_used++;
    return route;
}

void router_free_cache(emu_t *emu) {
    for (int c = 0; c < emu->n_cores; c++) {
        emu->cores[c]->last_route = NULL;
        emu->cores[c]->last_block = 0;
    }
    free(emu->bounds);
    emu->bounds = NULL;
    emu->n_bounds = 0;
    for (size_t s = 0; s < emu->route_cache_capacity; s++) {
        route_t *route = emu->route_cache[s].route;
        if (route != NULL) {
            uint32_t *arrays[] = {route->chips, route->parents,
                route->routers, route->cores, route->core_nodes,
                route->drop_nodes, route->link_nodes, route->link_dirs,
                route->down_nodes, route->down_dirs};
            for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) {
                free(arrays[a]);
            }
            free(route);
        }
    }
    free(emu->route_cache);
    emu->route_cache = NULL;
    emu->route_cache_capacity = emu->route_cache_used = 0;
}

void router_check_link_fault(emu_t *emu) {
    link_fault_t *fault = &emu->link_fault;
    if (fault->armed && fault->remaining == 0) {
        fault->armed = false;
        emu->chips[fault->chip].down_links |= (uint8_t) (1u << fault->link);
        router_free_cache(emu);
    }
}

//! Counts a hop over the link a fault waits on.
static void link_fault_hop(emu_t *emu, uint32_t chip, uint32_t link) {
    link_fault_t *fault = &emu->link_fault;
    if (chip == fault->chip && link == fault->link && fault->remaining > 0) {
        fault->remaining--;
    }
}

//! Appends to a growing array of deliveries; false if out of host memory.
static bool append_delivery(delivery_t **deliveries, size_t *capacity,
        size_t *n, const delivery_t *delivery) {
    if (*n == *capacity) {
        delivery_t *grown = grow_array(*deliveries, capacity, *n + 1,
                sizeof(delivery_t));
        if (grown == NULL) {
            return false;
        }
        *deliveries = grown;
    }
    (*deliveries)[(*n)++] = *delivery;
    return true;
}

//! The packet waits at the router until the core unmasks its FIQ.
static bool hold_for(core_t *core, const delivery_t *packet) {
    delivery_t delivery = *packet;
    delivery.held = true;
    return append_delivery(&core->held, &core->held_capacity, &core->n_held,
            &delivery);
}

static double later(double a, double b) {
    return a > b ? a : b;
}

//! Cost model: whether the router gives up on a packet for the core
//! before the core's communications controller can take it; if not,
//! `start` is when its FIQ starts. As on a chip, the controller holds one
//! packet, until the FIQ handler takes it; the router holds the next one
//! for the core at most ROUTER_WAIT_CYCLES, its wait starting once the
//! packet ahead of it has gone (each core's output is taken as a queue of
//! its own, though a chip's router has one pipeline for all, so that a
//! blocked core there delays other cores' packets too); the FIQ cuts into
//! callbacks, so only earlier FIQs, or the core's masking its FIQ, delay
//! it. Packets are judged in the order the emulator delivers them.
static bool overdue(emu_t *emu, core_t *core, const delivery_t *packet,
        double *start) {
    double head = later(packet->time, core->head_free);
    double taken = later(head, core->rx_free);
    if (taken - head > ROUTER_WAIT_CYCLES) {
        core->counters.overdue++;
        if (emu->router_timeout) {
            core->head_free = head + ROUTER_WAIT_CYCLES;
            core_chip(emu, core)->counters.dropped++;
            return true;
        }
    }
    core->head_free = taken;
    *start = later(taken, core->fiq_free);
    if (packet->held) {
        *start = later(*start, core->unmasked_at);
    }
    return false;
}

//! The packet's FIQ runs now.
static void run_fiq(emu_t *emu, core_t *core, handler_t handler,
        const delivery_t *packet) {
    // In random order (emu_reorder) the clocks do not order deliveries.
    bool timed = emu->reorder_state == 0;
    double start = 0.0;
    if (timed && overdue(emu, core, packet, &start)) {
        return;
    }
    double begun = later(core->now, packet->time);
    core->counters.received++;
    if (core->trace_count < core->trace_capacity) {
        core->trace[2 * core->trace_count] = packet->key;
        core->trace[2 * core->trace_count++ + 1] = packet->payload;
    }
    bool masked = core->fiq_disabled;
    core->fiq_disabled = true;        // a FIQ masks FIQs while it runs
    task_t task = {handler.cback, packet->key, packet->payload, false,
            EMU_COST_PACKET, packet->time};
    core_invoke(emu, core, &task);
    core->fiq_disabled = masked;
    if (timed) {
        core->rx_free = start;
        core->fiq_free = start + (core->now - begun);
    }
    if (!masked && core->n_held > 0) {
        router_release_held(emu, core);
    }
}

//! Cost model: a packet whose time the core's clock has not reached waits
//! until the core's turn comes at that time (the scheduler takes cores in
//! order of their clocks), so that work the core had queued before it came
//! neither sees it nor waits for it. Once one waits, every packet for the
//! core waits with it, in order of time.
static bool arrives_early(const emu_t *emu, const core_t *core,
        const delivery_t *packet) {
    if (emu->current == core) {
        return false;       // preemption mode: it cuts into this callback
    }
    return router_has_early(core) || packet->time > core->now;
}

static bool runs_before(const early_t *a, const early_t *b) {
    return a->packet.time < b->packet.time
            || (a->packet.time == b->packet.time && a->order < b->order);
}

static const early_t *run_first(const core_t *core, size_t run) {
    return &core->runs[run].items[core->runs[run].head];
}

//! Whether run a's first runs before run b's.
static bool run_before(const core_t *core, size_t a, size_t b) {
    return runs_before(run_first(core, a), run_first(core, b));
}

bool router_has_early(const core_t *core) {
    return core->n_live > 0;     // runs are in the heap while they hold any
}

double router_first_early(const core_t *core) {
    return run_first(core, core->run_heap[0])->packet.time;
}

static void *room_for(void *items, size_t *capacity, size_t n,
        size_t item_size) {
    return n < *capacity ? items : grow_array(items, capacity, n + 1,
            item_size);
}

static double last_time(const early_run_t *run) {
    return run->items[run->n - 1].packet.time;
}

//! The run a packet of this time joins: the one whose last is latest but
//! not later than it, else an empty one, else a new one; SIZE_MAX if out
//! of host memory.
static size_t run_for(core_t *core, double time) {
    if (core->n_runs > 0) {
        const early_run_t *last = &core->runs[core->last_run];
        if (last->n > last->head && last_time(last) <= time) {
            return core->last_run;   // most often: the last one's sender's
        }
    }
    size_t best = SIZE_MAX, empty = SIZE_MAX;
    for (size_t r = 0; r < core->n_runs; r++) {
        const early_run_t *run = &core->runs[r];
        if (run->n == run->head) {
            empty = empty != SIZE_MAX ? empty : r;
        } else if (last_time(run) <= time && (best == SIZE_MAX
                || last_time(run) > last_time(&core->runs[best]))) {
            best = r;
        }
    }
    if (best != SIZE_MAX || empty != SIZE_MAX) {
        return best != SIZE_MAX ? best : empty;
    }
    early_run_t *runs = room_for(core->runs, &core->runs_capacity,
            core->n_runs, sizeof(early_run_t));
    if (runs == NULL) {
        return SIZE_MAX;
    }
    core->runs = runs;
    core->runs[core->n_runs] = (early_run_t) {NULL, 0, 0, 0};
    return core->n_runs++;
}

static bool run_append(early_run_t *run, const early_t *entry) {
    if (run->n == run->head) {
        run->n = run->head = 0;
    } else if (2 * run->head >= run->n && run->head > 0) {
        // Those already run leave the front, so that a run that always has
        // some early packets does not keep every one.
        run->n -= run->head;
        memmove(run->items, run->items + run->head,
                run->n * sizeof(early_t));
        run->head = 0;
    }
    early_t *items = room_for(run->items, &run->capacity, run->n,
            sizeof(early_t));
    if (items == NULL) {
        return false;
    }
    run->items = items;
    run->items[run->n++] = *entry;
    return true;
}

//! Puts a run that has just begun to hold packets into the heap of runs.
static bool heap_add(core_t *core, size_t run) {
    size_t *heap = room_for(core->run_heap, &core->run_heap_capacity,
            core->n_live, sizeof(size_t));
    if (heap == NULL) {
        return false;
    }
    core->run_heap = heap;
    size_t at = core->n_live++;
    while (at > 0 && run_before(core, run, heap[(at - 1) / 2])) {
        heap[at] = heap[(at - 1) / 2];
        at = (at - 1) / 2;
    }
    heap[at] = run;
    return true;
}

//! The heap's first run has a later first now, or none (then it leaves).
static void heap_first_moved(core_t *core) {
    size_t *heap = core->run_heap;
    size_t run = heap[0];
    if (core->runs[run].head == core->runs[run].n) {
        run = heap[--core->n_live];
    }
    size_t at = 0, n = core->n_live;
    for (size_t child = 1; child < n; child = 2 * at + 1) {
        if (child + 1 < n && run_before(core, heap[child + 1], heap[child])) {
            child++;
        }
        if (!run_before(core, heap[child], run)) {
            break;
        }
        heap[at] = heap[child];
        at = child;
    }
    if (n > 0) {
        heap[at] = run;
    }
}

//! Into the core's early packets, in order of time (of arrival among
//! equal times), as its communications controller would take them.
static bool early_insert(core_t *core, const delivery_t *packet) {
    early_t entry = {*packet, core->early_order++};
    size_t run = run_for(core, packet->time);
    if (run == SIZE_MAX) {
        return false;
    }
    bool begins = core->runs[run].n == core->runs[run].head;
    if (!run_append(&core->runs[run], &entry)
            || (begins && !heap_add(core, run))) {
        return false;
    }
    core->last_run = run;
    return true;
}

//! Takes the first of the core's early packets (there is one).
static delivery_t early_take(core_t *core) {
    early_run_t *run = &core->runs[core->run_heap[0]];
    delivery_t first = run->items[run->head++].packet;
    heap_first_moved(core);
    return first;
}

void router_release_early(emu_t *emu, core_t *core, bool first) {
    // A core that has stopped takes none of them: they are counted lost.
    bool stopped = core->state != EMU_CORE_RUNNING;
    while (router_has_early(core) && (first || stopped
            || router_first_early(core) <= core->now)) {
        first = false;
        delivery_t packet = early_take(core);
        router_deliver_now(emu, core, &packet);
    }
}

void router_deliver(emu_t *emu, core_t *core, const delivery_t *packet) {
    handler_t handler = core->handlers[
            packet->has_payload ? MCPL_PACKET_RECEIVED : MC_PACKET_RECEIVED];
    if (core->state == EMU_CORE_RUNNING && handler.cback != NULL
            && handler.priority < 0 && !core->fiq_disabled
            && arrives_early(emu, core, packet)) {
        // Its next start moves only if this comes before every other.
        bool sooner = !router_has_early(core)
                || packet->time < router_first_early(core);
        if (!early_insert(core, packet)) {
            core_log(core, "[ERROR] out of host memory for a packet\n");
            core_fail(emu, core, RTE_MALLOC);
        }
        if (sooner || !core->in_ready_list) {
            core_make_ready(emu, core);
        }
        return;
    }
    router_deliver_now(emu, core, packet);
}

void router_deliver_now(emu_t *emu, core_t *core, const delivery_t *packet) {
    handler_t handler = core->handlers[
            packet->has_payload ? MCPL_PACKET_RECEIVED : MC_PACKET_RECEIVED];
    if (core->state != EMU_CORE_RUNNING || handler.cback == NULL) {
        core->counters.dropped++;
        return;
    }
    if (handler.priority < 0 && core->fiq_disabled) {
        if (!hold_for(core, packet)) {
            core_log(core, "[ERROR] out of host memory for a packet\n");
            core_fail(emu, core, RTE_MALLOC);
        }
        return;
    }
    if (handler.priority < 0) {
        run_fiq(emu, core, handler, packet);
        core_clock_moved(emu, core);
        return;
    }
    task_queue_t *queue = handler.priority == 0
            ? &core->irq_queue : &core->tasks[handler.priority - 1];
    if (!queue_push(queue, (task_t) {handler.cback, packet->key,
            packet->payload, false, EMU_COST_PACKET, packet->time})) {
        core->counters.dropped++;
        return;
    }
    core->counters.received++;
    core_make_ready(emu, core);
}

void router_release_held(emu_t *emu, core_t *core) {
    // In the order they came (the FIQ handler never masks itself, so
    // none are held meanwhile).
    core->unmasked_at = core->now;
    size_t n = core->n_held;
    core->n_held = 0;
    for (size_t h = 0; h < n; h++) {
        delivery_t packet = core->held[h];   // delivering may hold more
        router_deliver(emu, core, &packet);
    }
}

static bool hold_in_flight(emu_t *emu, const delivery_t *delivery) {
    if (!append_delivery(&emu->in_flight, &emu->in_flight_capacity,
            &emu->n_in_flight, delivery)) {
        return false;
    }
    emu->cores[delivery->core]->in_flight++;
    return true;
}

//! Random drops: sets whether the packet is still going at each node of
//! its tree, each router it reaches dropping it with the drop rate; the
//! routers count what reached them and what they dropped.
static void random_drops(emu_t *emu, const route_t *route, bool *alive) {
    for (uint32_t n = 0; n < route->n_chips; n++) {
        uint32_t parent = route->parents[n];
        alive[n] = parent == NO_NODE || alive[parent];   // reached
        if (!alive[n]) {
            continue;
        }
        chip_t *chip = &emu->chips[route->chips[n]];
        chip->counters.routed++;
        if (xorshift64(&emu->drop_state) < emu->drop_threshold) {
            alive[n] = false;
            chip->counters.dropped++;
        }
    }
}

static bool injected_drop(emu_t *emu, uint32_t key) {
    drop_rule_t *rule = &emu->drop_rule;
    if (rule->count == 0 || (key & rule->mask) != rule->key) {
        return false;
    }
    if (rule->skip > 0) {
        rule->skip--;
        return false;
    }
    rule->count--;
    return true;
}

void router_send(emu_t *emu, core_t *source, outgoing_t packet) {
    uint32_t key = packet.key;
    uint32_t source_chip = source->y * emu->width + source->x;
    route_t *route = source->last_route;
    if (((uint64_t) key >> source->last_shift) + 1 != source->last_block) {
        route = NULL;
        if (emu->bounds != NULL || make_bounds(emu)) {
            uint32_t shift = block_shift(emu, key);
            route = cached_route(emu, source_chip, key, shift);
            source->last_shift = shift;
            source->last_block = ((uint64_t) key >> shift) + 1;
            source->last_route = route;
        }
        if (route == NULL) {
            core_log(source, "[ERROR] out of host memory routing a packet\n");
            core_fail(emu, source, RTE_MALLOC);
        }
    }
    source->counters.sent++;
    if (route->traffic_class >= 0) {
        source->counters.sent_by_class[route->traffic_class]++;
    }
    if (injected_drop(emu, key)) {
        emu->chips[source_chip].counters.routed++;
        emu->chips[source_chip].counters.dropped++;
        return;
    }
    // Every node, unless packets drop at random. On the stack: delivering
    // may run a packet handler that sends, and so route, again.
    bool reached[MAX_HOPS];
    const bool *alive = NULL;
    if (emu->drop_threshold != 0) {
        random_drops(emu, route, reached);
        alive = reached;
    } else {
        for (uint32_t n = 0; n < route->n_chips; n++) {
            emu->chips[route->chips[n]].counters.routed++;
        }
    }
    for (uint32_t l = 0; l < route->n_links; l++) {
        uint32_t node = route->link_nodes[l];
        if (alive == NULL || alive[node]) {
            emu->chips[route->chips[node]].counters
                    .link_sent[route->link_dirs[l]]++;
            if (emu->link_fault.armed) {
                link_fault_hop(emu, route->chips[node], route->link_dirs[l]);
            }
        }
    }
    for (uint32_t d = 0; d < route->n_drops; d++) {
        uint32_t node = route->drop_nodes[d];
        if (alive == NULL || alive[node]) {
            emu->chips[route->chips[node]].counters.dropped++;
        }
    }
    for (uint32_t d = 0; d < route->n_down; d++) {
        uint32_t node = route->down_nodes[d];
        if (alive == NULL || alive[node]) {
            chip_t *chip = &emu->chips[route->chips[node]];
            chip->counters.dropped++;
            chip->counters.link_dropped[route->down_dirs[d]]++;
        }
    }
    for (uint32_t c = 0; c < route->n_cores; c++) {
        if (alive != NULL && !alive[route->core_nodes[c]]) {
            continue;
        }
        delivery_t delivery = {.core = (int) route->cores[c], .key = key,
            .payload = packet.payload, .has_payload = packet.has_payload,
            .time = packet.time + ROUTER_CYCLES
                    * route->routers[route->core_nodes[c]]};
        if (emu->reorder_state == 0) {
            router_deliver(emu, emu->cores[route->cores[c]], &delivery);
        } else if (!hold_in_flight(emu, &delivery)) {
            core_log(source, "[ERROR] out of host memory for a packet\n");
            core_fail(emu, source, RTE_MALLOC);
        }
    }
}

static void router_take(emu_t *emu, core_t *core) {
    outgoing_t packet = core->out[core->out_head];
    core->out_head = (core->out_head + 1) % OUT_QUEUE_SIZE;
    core->out_count--;
    router_send(emu, core, packet);
}

bool router_offer(emu_t *emu, core_t *source, uint32_t key,
        uint32_t payload, bool has_payload) {
    outgoing_t packet = {key, payload, has_payload, source->now};
    if (!emu->preempt) {
        router_send(emu, source, packet);
        return true;
    }
    if (source->out_count == OUT_QUEUE_SIZE) {
        source->counters.send_failures++;
        router_take(emu, source);
        return false;
    }
    source->out[(source->out_head + source->out_count) % OUT_QUEUE_SIZE] =
            packet;
    source->out_count++;
    return true;
}

void router_take_all(emu_t *emu) {
    for (int c = 0; c < emu->n_cores; c++) {
        while (emu->cores[c]->out_count > 0) {
            router_take(emu, emu->cores[c]);
        }
    }
}
