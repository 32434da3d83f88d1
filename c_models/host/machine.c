// Building the emulated machine from a mapping, and reading it back.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"

static void set_error(emu_t *emu, const char *format, ...)
        __attribute__((format(printf, 2, 3)));

static void set_error(emu_t *emu, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(emu->error, sizeof(emu->error), format, args);
    va_end(args);
}

//! `items` with room for `needed` items of `item_size` bytes (it holds
//! *capacity), grown by doubling; NULL, leaving it as it was, if the host
//! has no memory for that.
void *grow_array(void *items, size_t *capacity, size_t needed,
        size_t item_size) {
    if (needed <= *capacity) {
        return items;
    }
    size_t grown = *capacity ? *capacity : 8;
    while (grown < needed) {
        grown *= 2;
    }
    void *bigger = realloc(items, grown * item_size);
    if (bigger != NULL) {
        *capacity = grown;
    }
    return bigger;
}

const char *emu_last_error(const emu_t *emu) {
    return emu->error;
}

emu_t *emu_new(uint32_t width, uint32_t height, uint32_t sdram_per_chip,
        uint32_t dtcm_heap_bytes) {
    if (width == 0 || height == 0 || width > 256 || height > 256) {
        return NULL;
    }
    emu_t *emu = calloc(1, sizeof(emu_t));
    if (emu == NULL) {
        return NULL;
    }
    emu->width = width;
    emu->height = height;
    emu->sdram_per_chip = sdram_per_chip;
    emu->dtcm_heap_bytes = dtcm_heap_bytes;
    emu->chips = calloc((size_t) width * height, sizeof(chip_t));
    if (emu->chips == NULL) {
        free(emu);
        return NULL;
    }
    for (uint32_t c = 0; c < width * height; c++) {
        for (int p = 0; p < CORES_PER_CHIP; p++) {
            emu->chips[c].cores[p] = -1;
        }
    }
    return emu;
}

chip_t *core_chip(const emu_t *emu, const core_t *core) {
    return &emu->chips[core->y * emu->width + core->x];
}

static void free_core(core_t *core) {
    model_unload_instance(core);
    for (size_t b = 0; b < core->n_dtcm_blocks; b++) {
        free(core->dtcm_blocks[b]);
    }
    free(core->dtcm_blocks);
    free(core->held);
    for (size_t r = 0; r < core->n_runs; r++) {
        free(core->runs[r].items);
    }
    free(core->runs);
    free(core->run_heap);
    free(core->log);
    free(core);
}

void emu_free(emu_t *emu) {
    if (emu == NULL) {
        return;
    }
    if (emu_active == emu) {
        emu_active = NULL;
    }
    router_free_cache(emu);
    for (int c = 0; c < emu->n_cores; c++) {
        free_core(emu->cores[c]);
    }
    free(emu->cores);
    free(emu->ready);
    free(emu->ready_start);
    for (uint32_t c = 0; c < emu->width * emu->height; c++) {
        free(emu->chips[c].entries);
        sdram_free(&emu->chips[c]);
    }
    free(emu->chips);
    free(emu->classes);
    free(emu->in_flight);
    free(emu);
}

int emu_set_routes(emu_t *emu, uint32_t x, uint32_t y, uint32_t n,
        const uint32_t *key_mask_route) {
    if (x >= emu->width || y >= emu->height) {
        set_error(emu, "chip (%u, %u) is outside the %u x %u machine",
                x, y, emu->width, emu->height);
        return -1;
    }
    chip_t *chip = &emu->chips[y * emu->width + x];
    router_free_cache(emu);
    free(chip->entries);
    chip->entries = NULL;
    chip->n_entries = 0;
    chip->present = true;
    if (n == 0) {
        return 0;
    }
    chip->entries = malloc(n * sizeof(route_entry_t));
    if (chip->entries == NULL) {
        set_error(emu, "out of memory for a routing table");
        return -1;
    }
    for (uint32_t e = 0; e < n; e++) {
        chip->entries[e].key = key_mask_route[3 * e];
        chip->entries[e].mask = key_mask_route[3 * e + 1];
        chip->entries[e].route = key_mask_route[3 * e + 2];
    }
    chip->n_entries = n;
    return 0;
}

int emu_add_core(emu_t *emu, uint32_t x, uint32_t y, uint32_t p,
        const char *model_path) {
    if (x >= emu->width || y >= emu->height || p >= CORES_PER_CHIP) {
        set_error(emu, "core (%u, %u, %u) is outside the machine", x, y, p);
        return -1;
    }
    chip_t *chip = &emu->chips[y * emu->width + x];
    if (!chip->present) {
        set_error(emu, "chip (%u, %u) has no routing table", x, y);
        return -1;
    }
    if (chip->cores[p] >= 0) {
        set_error(emu, "core (%u, %u, %u) is placed twice", x, y, p);
        return -1;
    }
    if (emu->n_cores == emu->cores_capacity) {
        int capacity = emu->cores_capacity ? 2 * emu->cores_capacity : 64;
        core_t **cores = realloc(emu->cores, capacity * sizeof(core_t *));
        int *ready = realloc(emu->ready, capacity * sizeof(int));
        double *starts = realloc(emu->ready_start,
                capacity * sizeof(double));
        if (cores != NULL) {
            emu->cores = cores;
        }
        if (ready != NULL) {
            emu->ready = ready;
        }
        if (starts != NULL) {
            emu->ready_start = starts;
        }
        if (cores == NULL || ready == NULL || starts == NULL) {
            set_error(emu, "out of memory for cores");
            return -1;
        }
        // The ready ring is empty until the run starts, so it can grow.
        emu->cores_capacity = capacity;
    }
    core_t *core = calloc(1, sizeof(core_t));
    if (core == NULL) {
        set_error(emu, "out of memory for a core");
        return -1;
    }
    core->x = x;
    core->y = y;
    core->p = p;
    core->index = emu->n_cores;
    core->state = EMU_CORE_LOADED;
    if (model_load_instance(emu, core, model_path) != 0) {
        free_core(core);
        return -1;
    }
    emu->cores[emu->n_cores++] = core;
    chip->cores[p] = core->index;
    return core->index;
}

uint32_t emu_malloc_sdram(emu_t *emu, uint32_t x, uint32_t y,
        uint32_t size) {
    if (x >= emu->width || y >= emu->height
            || !emu->chips[y * emu->width + x].present) {
        set_error(emu, "no chip (%u, %u)", x, y);
        return 0;
    }
    chip_t *chip = &emu->chips[y * emu->width + x];
    uint32_t address = sdram_allocate(emu, chip, size);
    if (address == 0) {
        set_error(emu, "chip (%u, %u) SDRAM exhausted: %u + %u bytes > %u",
                x, y, chip->sdram_used, size, emu->sdram_per_chip);
    }
    return address;
}

void *emu_sdram(emu_t *emu, uint32_t x, uint32_t y, uint32_t address,
        uint32_t size) {
    if (x >= emu->width || y >= emu->height) {
        set_error(emu, "no chip (%u, %u)", x, y);
        return NULL;
    }
    void *memory = sdram_host(&emu->chips[y * emu->width + x], address, size);
    if (memory == NULL) {
        set_error(emu, "chip (%u, %u) has no SDRAM block holding %u bytes "
                "at 0x%08x", x, y, size, address);
    }
    return memory;
}

int emu_set_user0(emu_t *emu, uint32_t x, uint32_t y, uint32_t p,
        uint32_t value) {
    if (x >= emu->width || y >= emu->height || p >= CORES_PER_CHIP) {
        set_error(emu, "no processor (%u, %u, %u)", x, y, p);
        return -1;
    }
    emu->chips[y * emu->width + x].user0[p] = value;
    return 0;
}

void *emu_add_region(emu_t *emu, int core_index, uint32_t region,
        uint32_t size) {
    if (core_index < 0 || core_index >= emu->n_cores || region >= N_REGIONS) {
        set_error(emu, "no core %d or region %u", core_index, region);
        return NULL;
    }
    core_t *core = emu->cores[core_index];
    chip_t *chip = core_chip(emu, core);
    uint32_t *user0 = &chip->user0[core->p];
    size_t header = sizeof(data_specification_metadata_t)
            + N_REGIONS * sizeof(region_desc_t);
    if (*user0 == 0) {
        *user0 = emu_malloc_sdram(emu, core->x, core->y, header);
        if (*user0 == 0) {
            return NULL;
        }
        data_specification_metadata_t *ds = sdram_host(chip, *user0, header);
        memset(ds, 0, header);
        ds->magic_number = DS_MAGIC;
        ds->version = DS_VERSION;
    }
    data_specification_metadata_t *ds = sdram_host(chip, *user0, header);
    if (ds->regions[region].pointer != 0) {
        set_error(emu, "region %u of core (%u, %u, %u) exists", region,
                core->x, core->y, core->p);
        return NULL;
    }
    uint32_t address = emu_malloc_sdram(emu, core->x, core->y, size);
    if (address == 0) {
        return NULL;
    }
    ds->regions[region].pointer = address;
    void *memory = sdram_host(chip, address, size);
    memset(memory, 0, size);
    return memory;
}

int emu_add_traffic_class(emu_t *emu, uint32_t key, uint32_t mask,
        uint32_t class_id) {
    if (class_id >= EMU_TRAFFIC_CLASSES) {
        set_error(emu, "traffic class %u >= %d", class_id,
                EMU_TRAFFIC_CLASSES);
        return -1;
    }
    traffic_class_t *classes = realloc(emu->classes,
            (emu->n_classes + 1) * sizeof(traffic_class_t));
    if (classes == NULL) {
        set_error(emu, "out of memory for traffic classes");
        return -1;
    }
    emu->classes = classes;
    emu->classes[emu->n_classes++] = (traffic_class_t) {key, mask, class_id};
    router_free_cache(emu);
    return 0;
}

void emu_reorder(emu_t *emu, uint64_t seed) {
    // splitmix64 of the seed, so that small seeds give lively states
    uint64_t state = seed + 0x9e3779b97f4a7c15ULL;
    state = (state ^ (state >> 30)) * 0xbf58476d1ce4e5b9ULL;
    state = (state ^ (state >> 27)) * 0x94d049bb133111ebULL;
    state ^= state >> 31;
    emu->reorder_state = seed == 0 ? 0 : (state != 0 ? state : 1);
}

void emu_preempt(emu_t *emu) {
    emu->preempt = true;
}

void emu_router_timeout(emu_t *emu) {
    emu->router_timeout = true;
}

void emu_drop_packets(emu_t *emu, uint32_t key, uint32_t mask,
        uint32_t skip, uint32_t count) {
    emu->drop_rule = (drop_rule_t) {key, mask, skip, count};
}

void emu_drop_at_random(emu_t *emu, double rate, uint64_t seed) {
    emu->drop_threshold = rate <= 0.0 ? 0
            : rate >= 1.0 ? UINT64_MAX : (uint64_t) (rate * 0x1p64);
    emu->drop_state = seed * 0x9e3779b97f4a7c15ULL | 1;   // never 0
}

void emu_kill_core(emu_t *emu, int core, uint64_t after_callbacks) {
    emu->cores[core]->doomed = true;
    emu->cores[core]->dies_after = after_callbacks;
}

int emu_kill_link(emu_t *emu, uint32_t x, uint32_t y, uint32_t link,
        uint64_t after_packets) {
    if (x >= emu->width || y >= emu->height || link >= N_LINKS) {
        set_error(emu, "no link %u of chip (%u, %u)", link, x, y);
        return -1;
    }
    emu->link_fault = (link_fault_t) {true, y * emu->width + x, link,
                                      after_packets};
    router_check_link_fault(emu);        // at once, if after 0 packets
    return 0;
}

void emu_set_cost(emu_t *emu, int core, const double *coefficients) {
    for (int f = 0; f < EMU_COST_FEATURES; f++) {
        emu->cores[core]->cost[f] = coefficients[f];
    }
}

void emu_trace_packets(emu_t *emu, int core, uint32_t *buffer,
        uint32_t capacity) {
    emu->cores[core]->trace = buffer;
    emu->cores[core]->trace_capacity = capacity;
    emu->cores[core]->trace_count = 0;
}

uint32_t emu_traced(const emu_t *emu, int core) {
    return emu->cores[core]->trace_count;
}

uint32_t emu_sdram_block_size(emu_t *emu, uint32_t x, uint32_t y,
        uint32_t address) {
    const chip_t *chip = &emu->chips[y * emu->width + x];
    for (size_t b = 0; x < emu->width && y < emu->height
            && b < chip->n_blocks; b++) {
        if (chip->blocks[b].address == address) {
            return chip->blocks[b].size;
        }
    }
    return 0;
}

uint32_t emu_cost_sites(void) {
    return EMU_COST_N_SITES;
}

void emu_core_counters(const emu_t *emu, int core_index,
        emu_core_counters_t *out) {
    const core_t *core = emu->cores[core_index];
    *out = core->counters;
    out->clock_cycles = core->worked_until;
    out->state = core->state;
    out->exit_code = core->exit_code;
    out->dtcm_bytes = core->dtcm_bytes;
}

void emu_chip_counters(const emu_t *emu, uint32_t x, uint32_t y,
        emu_chip_counters_t *out) {
    *out = emu->chips[y * emu->width + x].counters;
}

const char *emu_core_log(const emu_t *emu, int core_index) {
    const core_t *core = emu->cores[core_index];
    return core->log != NULL ? core->log : "";
}

uint64_t emu_now_us(const emu_t *emu) {
    return emu->now_us;
}
