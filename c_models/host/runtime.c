// The SpiNNaker C API on the host: the subset of spinnaker_tools and
// SpiNNFrontEndCommon that the models call, acting on the emulated core
// whose code is running.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <data_specification.h>
#include <debug.h>
#include <spin1_api.h>

#include "machine.h"

#define LOG_CAPACITY (64 * 1024)
// Fresh DTCM is not zero on the chip; a fixed pattern keeps runs
// deterministic and makes a missing initialisation show.
#define DTCM_FILL 0xA5

static core_t *running_core(void) {
    if (emu_active == NULL || emu_active->current == NULL) {
        fprintf(stderr, "spinnpop emulator: SpiNNaker API called with no "
                "core running\n");
        abort();
    }
    return emu_active->current;
}

void core_log(core_t *core, const char *text) {
    size_t length = strlen(text);
    if (core->log_length + length + 1 > LOG_CAPACITY) {
        return;
    }
    char *log = grow_array(core->log, &core->log_capacity,
            core->log_length + length + 1, 1);
    if (log == NULL) {
        return;
    }
    core->log = log;
    memcpy(core->log + core->log_length, text, length + 1);
    core->log_length += length;
}

void emu_log(int level, const char *message, ...) {
    static const char *names[] = {"ERROR", "WARNING", "INFO", "DEBUG"};
    char line[1024];
    int prefix = snprintf(line, sizeof(line), "[%s] ",
            names[(level / 10 - 1) & 3]);
    va_list args;
    va_start(args, message);
    vsnprintf(line + prefix, sizeof(line) - prefix - 1, message, args);
    va_end(args);
    strcat(line, "\n");
    core_log(running_core(), line);
}

void rt_error(uint code, ...) {
    core_t *core = running_core();
    char line[64];
    snprintf(line, sizeof(line), "[ERROR] rt_error(%u)\n", code);
    core_log(core, line);
    core_fail(emu_active, core, code);
}

uint spin1_start(sync_bool sync) {
    (void) sync;  // every core starts together once all have loaded
    core_t *core = running_core();
    core->state = EMU_CORE_RUNNING;
    core->next_tick_us = emu_active->now_us + core->timer_period_us;
    if (core->timer_period_us > 0
            && core->next_tick_us < emu_active->tick_due_us) {
        emu_active->tick_due_us = core->next_tick_us;
    }
    return 0;
}

void spin1_set_timer_tick(uint time) {
    running_core()->timer_period_us = time;
}

uint spin1_get_simulation_time(void) {
    const core_t *core = running_core();
    uint ticks = core->ticks;
    double next = (double) core->next_tick_us * CYCLES_PER_US;
    if (core->timer_period_us > 0 && core->now >= next) {
        ticks += 1 + (uint) ((core->now - next)
                / ((double) core->timer_period_us * CYCLES_PER_US));
    }
    return ticks;
}

void spin1_exit(uint error) {
    core_t *core = running_core();
    core->state = EMU_CORE_EXITED;
    core->exit_code = error;
    if (error != 0) {
        emu_active->failed = true;
    }
}

void spin1_callback_on(uint event_id, callback_t cback, int priority) {
    core_t *core = running_core();
    if (event_id >= NUM_EVENTS || priority < -1 || priority > N_TASK_QUEUES) {
        core_log(core, "[ERROR] spin1_callback_on: bad event or priority\n");
        core_fail(emu_active, core, RTE_API);
    }
    core->handlers[event_id] = (handler_t) {cback, priority};
}

uint spin1_schedule_callback(callback_t cback, uint arg0, uint arg1,
        uint priority) {
    core_t *core = running_core();
    if (priority < 1 || priority > N_TASK_QUEUES) {
        return FAILURE;
    }
    if (!queue_push(&core->tasks[priority - 1],
            (task_t) {cback, arg0, arg1, false, EMU_COST_TASK, core->now})) {
        return FAILURE;
    }
    core_make_ready(emu_active, core);
    return SUCCESS;
}

uint spin1_trigger_user_event(uint arg0, uint arg1) {
    core_t *core = running_core();
    core_preemption_point(emu_active, core);
    handler_t handler = core->handlers[USER_EVENT];
    if (core->user_events_pending >= USER_EVENT_QUEUE_SIZE - 1) {
        return FAILURE;
    }
    if (handler.cback == NULL) {
        return SUCCESS;
    }
    if (handler.priority < 0) {
        task_t task = {handler.cback, arg0, arg1, false, EMU_COST_TASK,
                core->now};
        core_invoke(emu_active, core, &task);
        return SUCCESS;
    }
    task_queue_t *queue = handler.priority == 0
            ? &core->irq_queue : &core->tasks[handler.priority - 1];
    if (!queue_push(queue, (task_t) {handler.cback, arg0, arg1, true,
            EMU_COST_TASK, core->now})) {
        return FAILURE;
    }
    core->user_events_pending++;
    core_make_ready(emu_active, core);
    return SUCCESS;
}

// The models' cost.h (their sites are regions.h's enum cost_site, as many
// as EMU_COST_N_SITES: engine.py checks).
void cost_count(uint32_t site, uint32_t units);

void cost_count(uint32_t site, uint32_t units) {
    core_t *core = running_core();
    core_add_cost(core, EMU_COST_SITES + 2 * site, 1);
    core_add_cost(core, EMU_COST_SITES + 2 * site + 1, units);
}

uint spin1_send_mc_packet(uint key, uint data, uint load) {
    core_t *core = running_core();
    core_preemption_point(emu_active, core);
    core_add_cost(core, EMU_COST_SENT, 1);
    return router_offer(emu_active, core, key, data, load == WITH_PAYLOAD)
            ? SUCCESS : FAILURE;
}

uint spin1_fiq_disable(void) {
    core_t *core = running_core();
    uint was = core->fiq_disabled;
    core->fiq_disabled = true;
    return was;
}

void spin1_mode_restore(uint state) {
    core_t *core = running_core();
    core->fiq_disabled = state != 0;
    if (!core->fiq_disabled) {
        router_release_held(emu_active, core);
        core_preemption_point(emu_active, core);
    }
}

void *spin1_malloc(uint bytes) {
    core_t *core = running_core();
    if (bytes == 0) {
        return NULL;  // sark_xalloc refuses an empty block
    }
    uint32_t charge = ((bytes + 3) & ~3u) + DTCM_BLOCK_HEADER;
    if (core->dtcm_bytes + charge > emu_active->dtcm_heap_bytes) {
        return NULL;
    }
    void **blocks = grow_array(core->dtcm_blocks,
            &core->dtcm_blocks_capacity, core->n_dtcm_blocks + 1,
            sizeof(void *));
    if (blocks == NULL) {
        return NULL;
    }
    core->dtcm_blocks = blocks;
    void *block = malloc(bytes);
    if (block == NULL) {
        return NULL;
    }
    memset(block, DTCM_FILL, bytes);
    core->dtcm_blocks[core->n_dtcm_blocks++] = block;
    core->dtcm_bytes += charge;
    return block;
}

//! What the FEC C library does: a simple sum over each region the tool
//! chain wrote, checked once.
static void verify_checksum(core_t *core, data_specification_metadata_t *ds,
        uint32_t region) {
    region_desc_t *desc = &ds->regions[region];
    if (desc->pointer == 0 || desc->n_words == 0) {
        return;
    }
    const uint32_t *data = sdram_host(core_chip(emu_active, core),
            desc->pointer, 4 * desc->n_words);
    uint32_t sum = 0;
    for (uint32_t i = 0; data != NULL && i < desc->n_words; i++) {
        sum += data[i];
    }
    if (data == NULL || sum != desc->checksum) {
        log_error("[ERROR] Region %u with %u words starting at 0x%08x: "
                "checksum %u does not match computed sum %u", region,
                desc->n_words, desc->pointer, desc->checksum, sum);
        rt_error(RTE_SWERR);
    }
    desc->checksum = 0;
    desc->n_words = 0;
}

data_specification_metadata_t *data_specification_get_data_address(void) {
    core_t *core = running_core();
    chip_t *chip = core_chip(emu_active, core);
    data_specification_metadata_t *ds = sdram_host(chip, chip->user0[core->p],
            sizeof(data_specification_metadata_t)
            + N_REGIONS * sizeof(region_desc_t));
    if (ds == NULL) {
        log_error("no data specification at user0 0x%08x",
                chip->user0[core->p]);
        rt_error(RTE_SWERR);
    }
    for (uint32_t region = 0; region < N_REGIONS; region++) {
        verify_checksum(core, ds, region);
    }
    return ds;
}

void *data_specification_get_region(
        uint32_t region, data_specification_metadata_t *ds_regions) {
    uint32_t address = ds_regions->regions[region].pointer;
    return address == 0 ? NULL : sdram_host(
            core_chip(emu_active, running_core()), address, 0);
}

bool data_specification_read_header(
        data_specification_metadata_t *ds_regions) {
    if (ds_regions->magic_number != DS_MAGIC) {
        log_error("Magic number is incorrect: %08x", ds_regions->magic_number);
        return false;
    }
    if (ds_regions->version != DS_VERSION) {
        log_error("Version number is incorrect: %08x", ds_regions->version);
        return false;
    }
    return true;
}
