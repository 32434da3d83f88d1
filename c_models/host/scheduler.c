// Running the cores: spin1's event model on one host thread.
//
// Priority -1 (FIQ) callbacks run the moment their event happens, nested in
// whatever code caused it, as the hardware interrupt would. Priority 0
// callbacks wait in a per-core queue that runs before any queued task, and
// priorities 1-4 go to spin1's bounded task queues. Cores with work take
// turns, one queued task per turn, in an order fixed by the machine and
// its inputs, so a run is deterministic: they give the same bits.
//
// The cost model's clocks (a core's `now`) decide the order of the turns:
// the ready core whose next callback starts first on its clock goes next
// (in the ring's order among equals), and a packet whose time its
// receiver's clock has not reached waits for it (router_deliver). So work
// a core had queued before a packet came neither sees it nor waits for it,
// as on a chip, where the FIQ would cut in only then. Timer ticks keep
// that clock too: one due before the next callback would start is queued
// first, so a core's waits for ticks (its patience) are part of its time.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "machine.h"

emu_t *emu_active = NULL;

bool queue_push(task_queue_t *queue, task_t task) {
    uint next = (queue->end + 1) % TASK_QUEUE_SIZE;
    if (next == queue->start) {
        return false;
    }
    queue->queue[queue->end] = task;
    queue->end = next;
    return true;
}

static bool queue_pop(task_queue_t *queue, task_t *task) {
    if (queue->start == queue->end) {
        return false;
    }
    *task = queue->queue[queue->start];
    queue->start = (queue->start + 1) % TASK_QUEUE_SIZE;
    return true;
}

bool core_has_work(const core_t *core) {
    if (core->state != EMU_CORE_RUNNING) {
        return false;
    }
    if (core->irq_queue.start != core->irq_queue.end
            || router_has_early(core)) {
        return true;
    }
    for (int q = 0; q < N_TASK_QUEUES; q++) {
        if (core->tasks[q].start != core->tasks[q].end) {
            return true;
        }
    }
    return false;
}

static double next_start(const core_t *core);

void core_clock_moved(emu_t *emu, core_t *core) {
    if (core->in_ready_list) {
        emu->ready_start[core->ready_at] = next_start(core);
    }
}

void core_make_ready(emu_t *emu, core_t *core) {
    if (core->in_ready_list) {
        // Its work has changed, and so may its next start.
        emu->ready_start[core->ready_at] = next_start(core);
        return;
    }
    if (!core_has_work(core)) {
        return;
    }
    core->in_ready_list = true;
    int tail = (emu->ready_head + emu->ready_count) % emu->cores_capacity;
    emu->ready[tail] = core->index;
    emu->ready_start[tail] = next_start(core);
    core->ready_at = tail;
    emu->ready_count++;
}

//! Swaps two places of the ready ring.
static void swap_ready(emu_t *emu, int a, int b) {
    int core = emu->ready[a];
    double start = emu->ready_start[a];
    emu->ready[a] = emu->ready[b];
    emu->ready_start[a] = emu->ready_start[b];
    emu->ready[b] = core;
    emu->ready_start[b] = start;
    emu->cores[emu->ready[a]]->ready_at = a;
    emu->cores[emu->ready[b]]->ready_at = b;
}

void core_add_cost(core_t *core, uint32_t feature, uint64_t n) {
    double cycles = core->cost[feature] * (double) n;
    core->counters.cost[feature] += n;
    core->counters.busy_cycles += cycles;
    core->now += cycles;
}

void core_invoke(emu_t *emu, core_t *core, const task_t *task) {
    if (core->doomed && core->counters.callbacks >= core->dies_after) {
        core->state = EMU_CORE_DEAD;     // a fault: it stops dead, silently
        return;
    }
    core_t *interrupted = emu->current;
    emu->current = core;
    core->counters.callbacks++;
    // The cost model's clock: a callback starts when the core is free and
    // what it handles has happened (a core interrupting itself is busy).
    if (interrupted != core && task->ready > core->now) {
        core->now = task->ready;
    }
    core_add_cost(core, task->cause, 1);
    task->cback(task->arg0, task->arg1);
    if (task->cause != EMU_COST_TIMER && core->now > core->worked_until) {
        core->worked_until = core->now;
    }
    emu->current = interrupted;
}

void core_fail(emu_t *emu, core_t *core, uint code) {
    core->state = EMU_CORE_FAILED;
    core->exit_code = code;
    emu->failed = true;
    // The core stops dead, as after rt_error() on the chip; the whole run
    // stops with it, since nothing it owes its peers will come.
    longjmp(emu->failure_exit, 1);
}

static bool tasks_queued(const core_t *core) {
    for (int q = 0; q < N_TASK_QUEUES; q++) {
        if (core->tasks[q].start != core->tasks[q].end) {
            return true;
        }
    }
    return false;
}

//! When a core's next callback would start on its clock: its queued work
//! starts when the core is free and the work's cause has happened; an
//! early packet's FIQ when it arrives.
static double next_start(const core_t *core) {
    double start = INFINITY;
    for (int q = -1; q < N_TASK_QUEUES; q++) {
        const task_queue_t *queue = q < 0 ? &core->irq_queue
                : &core->tasks[q];
        if (queue->start != queue->end) {
            start = queue->queue[queue->start].ready;
            break;
        }
    }
    if (router_has_early(core) && router_first_early(core) < start) {
        start = router_first_early(core);
    }
    return start > core->now ? start : core->now;
}

//! One turn of a core: its interrupt-level callbacks and the FIQs its
//! clock has reached (with no task queued, the next FIQ at any rate: the
//! core has waited for it), then one task.
static void core_turn(emu_t *emu, core_t *core) {
    task_t task;
    while (core->state == EMU_CORE_RUNNING
            && queue_pop(&core->irq_queue, &task)) {
        if (task.user_event) {
            core->user_events_pending--;
        }
        core_invoke(emu, core, &task);
    }
    router_release_early(emu, core, !tasks_queued(core));
    for (int q = 0; q < N_TASK_QUEUES && core->state == EMU_CORE_RUNNING;
            q++) {
        if (queue_pop(&core->tasks[q], &task)) {
            if (task.user_event) {
                core->user_events_pending--;
            }
            core_invoke(emu, core, &task);
            break;
        }
    }
    if (core->state != EMU_CORE_RUNNING) {
        router_release_early(emu, core, false);
    }
}

// Subnormal floats (below 1.2e-38) take x86 a hundred times longer, and
// momentum buffers of weights that never see an input decay into them; so
// while the cores run they are flushed to zero, as TensorFlow does on x86.
// Results change only below that size. The caller's mode is restored.
#if defined(__SSE__)
#define FLUSH_SUBNORMALS 0x8040  // MXCSR flush-to-zero | denormals-are-zero
static unsigned int flush_subnormals(void) {
    unsigned int saved = _mm_getcsr();
    _mm_setcsr(saved | FLUSH_SUBNORMALS);
    return saved;
}
static void restore_float_mode(unsigned int saved) { _mm_setcsr(saved); }
#else
static unsigned int flush_subnormals(void) { return 0; }
static void restore_float_mode(unsigned int saved) { (void) saved; }
#endif

static int start_cores(emu_t *emu) {
    // volatile: both live across the setjmp() that rt_error() returns to.
    volatile int failures = 0;
    for (volatile int c = 0; c < emu->n_cores; c++) {
        core_t *core = emu->cores[c];
        if (setjmp(emu->failure_exit) != 0) {
            emu->current = NULL;
            failures++;
            continue;
        }
        emu->current = core;
        core->c_main();
        emu->current = NULL;
        if (core->state == EMU_CORE_LOADED) {
            core->state = EMU_CORE_FAILED;
            core_log(core, "[ERROR] c_main returned without spin1_start()\n");
            failures++;
        }
    }
    for (int c = 0; c < emu->n_cores; c++) {
        core_make_ready(emu, emu->cores[c]);
    }
    return failures;
}

int emu_start(emu_t *emu) {
    emu_active = emu;
    unsigned int saved = flush_subnormals();
    int failures = start_cores(emu);
    restore_float_mode(saved);
    return failures;
}

static bool has_timer(const core_t *core) {
    return core->state == EMU_CORE_RUNNING && core->timer_period_us > 0
            && core->handlers[TIMER_TICK].cback != NULL;
}

static int run_state(const emu_t *emu) {
    if (emu->failed) {
        return EMU_FAILED;
    }
    bool moving = emu->ready_count > 0 || emu->n_in_flight > 0;
    for (int c = 0; c < emu->n_cores; c++) {
        // A core with a timer has something to wait for.
        moving = moving || emu->cores[c]->out_count > 0
                || has_timer(emu->cores[c]);
    }
    for (int c = 0; c < emu->n_cores; c++) {
        if (emu->cores[c]->state != EMU_CORE_EXITED) {
            return moving ? EMU_RUNNING : EMU_STALLED;
        }
    }
    return EMU_DONE;
}

void core_preemption_point(emu_t *emu, core_t *core) {
    // One time in four, one of the core's packets in flight arrives now.
    if (!emu->preempt || core->fiq_disabled || core->in_flight == 0
            || next_random(emu) % 4 != 0) {
        return;
    }
    for (size_t i = 0; i < emu->n_in_flight; i++) {
        if (emu->in_flight[i].core == core->index) {
            delivery_t packet = emu->in_flight[i];
            emu->in_flight[i] = emu->in_flight[--emu->n_in_flight];
            core->in_flight--;
            core->counters.preemptions++;
            router_deliver(emu, core, &packet);
            return;
        }
    }
}

uint64_t xorshift64(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

uint64_t next_random(emu_t *emu) {
    return xorshift64(&emu->reorder_state);
}

//! Reordering: either a random packet in flight arrives, or a random core
//! with work comes to the front of the ready ring. False: nothing left.
static bool shuffle_step(emu_t *emu) {
    bool deliver = emu->n_in_flight > 0
            && (emu->ready_count == 0 || next_random(emu) & 1);
    if (deliver) {
        size_t i = next_random(emu) % emu->n_in_flight;
        delivery_t packet = emu->in_flight[i];
        emu->in_flight[i] = emu->in_flight[--emu->n_in_flight];
        emu->cores[packet.core]->in_flight--;
        router_deliver(emu, emu->cores[packet.core], &packet);
        return true;
    }
    if (emu->ready_count == 0) {
        return false;
    }
    int cap = emu->cores_capacity;
    int pick = (emu->ready_head + (int) (next_random(emu)
            % (uint64_t) emu->ready_count)) % cap;
    swap_ready(emu, pick, emu->ready_head);
    return true;
}

//! Time moves on to the next timer tick of a running core if it comes no
//! later than `before` (cycles; INFINITY when the machine is quiet), and
//! every core due then gets its TIMER_TICK, to start then on its clock, as
//! a chip's timer interrupts whatever the core is doing or waiting for.
//! False if no tick is due by then.
static bool next_tick(emu_t *emu, double before) {
    if ((double) emu->tick_due_us * CYCLES_PER_US > before) {
        return false;
    }
    uint64_t next = UINT64_MAX;
    for (int c = 0; c < emu->n_cores; c++) {
        const core_t *core = emu->cores[c];
        if (has_timer(core) && core->next_tick_us < next) {
            next = core->next_tick_us;
        }
    }
    emu->tick_due_us = next;
    if (next == UINT64_MAX || (double) next * CYCLES_PER_US > before) {
        return false;
    }
    emu->now_us = next;
    uint64_t after = UINT64_MAX;
    for (int c = 0; c < emu->n_cores; c++) {
        core_t *core = emu->cores[c];
        if (!has_timer(core)) {
            continue;
        }
        if (core->next_tick_us == next) {
            core->next_tick_us += core->timer_period_us;
            handler_t handler = core->handlers[TIMER_TICK];
            task_queue_t *queue = handler.priority <= 0 ? &core->irq_queue
                    : &core->tasks[handler.priority - 1];
            // A full queue loses the tick, as spin1's does.
            queue_push(queue, (task_t) {handler.cback, ++core->ticks, 0,
                    false, EMU_COST_TIMER, (double) next * CYCLES_PER_US});
            core_make_ready(emu, core);
        }
        if (core->next_tick_us < after) {
            after = core->next_tick_us;
        }
    }
    emu->tick_due_us = after;
    return true;
}

//! Brings the ready core whose next callback starts first on its clock
//! to the head of the ready ring (the first in the ring among equals), so
//! that the cores' clocks advance together and a packet seldom reaches a
//! core after its clock has passed the packet's time. Returns when that
//! callback starts.
static double earliest_first(emu_t *emu) {
    int cap = emu->cores_capacity, head = emu->ready_head, best = head;
    double best_start = INFINITY;
    for (int i = 0, at = head; i < emu->ready_count; i++) {
        if (emu->ready_start[at] < best_start) {
            best_start = emu->ready_start[at];
            best = at;
        }
        at = at + 1 < cap ? at + 1 : 0;    // no division per core
    }
    swap_ready(emu, best, head);
    return best_start;
}

static int run_turns(emu_t *emu, uint64_t max_callbacks) {
    if (setjmp(emu->failure_exit) != 0) {
        emu->current = NULL;
        return EMU_FAILED;
    }
    for (uint64_t turn = 0; turn < max_callbacks && !emu->failed; turn++) {
        router_check_link_fault(emu);
        if (emu->preempt) {
            router_take_all(emu);  // between callbacks the queues empty
        }
        if (emu->reorder_state != 0) {
            if (!shuffle_step(emu)) {
                if (!next_tick(emu, INFINITY)) {
                    break;
                }
                continue;
            }
            if (emu->ready_count == 0 || !(next_random(emu) & 1)) {
                continue;  // packets move while the cores wait
            }
        } else {
            // A tick due before the next callback comes first.
            if (next_tick(emu, emu->ready_count > 0 ? earliest_first(emu)
                    : INFINITY)) {
                continue;
            }
            if (emu->ready_count == 0) {
                break;
            }
        }
        core_t *core = emu->cores[emu->ready[emu->ready_head]];
        emu->ready_head = (emu->ready_head + 1) % emu->cores_capacity;
        emu->ready_count--;
        core->in_ready_list = false;
        core_turn(emu, core);
        core_make_ready(emu, core);
    }
    return run_state(emu);
}

int emu_run(emu_t *emu, uint64_t max_callbacks) {
    emu_active = emu;
    unsigned int saved = flush_subnormals();
    int state = run_turns(emu, max_callbacks);
    restore_float_mode(saved);
    return state;
}
