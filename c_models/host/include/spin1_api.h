// Host build of the part of spinnaker_tools' spin1_api.h (and sark.h) that
// spinnpop's models use. Names, signatures and semantics follow the real
// headers; the emulator in c_models/host/ implements them.
#ifndef __SPIN1_API_H__
#define __SPIN1_API_H__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned int uint;
typedef unsigned char uchar;

#define SUCCESS (uint) 1
#define FAILURE (uint) 0

enum {
    NUM_EVENTS = 8,
    MC_PACKET_RECEIVED = 0,
    DMA_TRANSFER_DONE = 1,
    TIMER_TICK = 2,
    SDP_PACKET_RX = 3,
    USER_EVENT = 4,
    MCPL_PACKET_RECEIVED = 5,
    FR_PACKET_RECEIVED = 6,
    FRPL_PACKET_RECEIVED = 7
};

enum { NO_PAYLOAD = 0, WITH_PAYLOAD = 1 };

enum sync_bool_e { SYNC_NOWAIT, SYNC_WAIT };
typedef enum sync_bool_e sync_bool;

//! Run-time error codes (sark.h), the first argument of rt_error().
enum rte_code_e {
    RTE_NONE, RTE_RESET, RTE_UNDEF, RTE_SVC, RTE_PABT, RTE_DABT, RTE_IRQ,
    RTE_FIQ, RTE_VIC, RTE_ABORT, RTE_MALLOC, RTE_DIV0, RTE_EVENT, RTE_SWERR,
    RTE_IOBUF, RTE_ENABLE, RTE_NULL, RTE_PKT, RTE_TIMER, RTE_API, RTE_VER
};
typedef enum rte_code_e rte_code;

typedef void (*callback_t)(uint, uint);

uint spin1_start(sync_bool sync);
void spin1_exit(uint error);
void spin1_callback_on(uint event_id, callback_t cback, int priority);
uint spin1_schedule_callback(callback_t cback, uint arg0, uint arg1,
        uint priority);
uint spin1_trigger_user_event(uint arg0, uint arg1);
uint spin1_send_mc_packet(uint key, uint data, uint load);
void *spin1_malloc(uint bytes);
//! The period of TIMER_TICK in microseconds (before spin1_start). The
//! emulator's ticks come at their times on the cores' clocks (the cost
//! model's), ahead of any callback that would start later.
void spin1_set_timer_tick(uint time);
//! Timer ticks so far. On a chip the timer's interrupt counts them, so the
//! count moves on during a callback that holds its TIMER_TICK callback
//! off; the emulator counts those due by the core's clock.
uint spin1_get_simulation_time(void);

//! Stops the core with an error; never returns (sark.h).
void rt_error(uint code, ...) __attribute__((noreturn));

//! Masks the packet interrupt (FIQ); returns the state to restore. The
//! emulator runs a core's FIQ handler only inside its calls into this API
//! (with setup(preemption_seed=...), at pseudo-random ones): a masked
//! core's packets wait, as the router holds them.
uint spin1_fiq_disable(void);
void spin1_mode_restore(uint state);

#endif  // __SPIN1_API_H__
