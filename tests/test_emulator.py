"""The emulator's machine, with a probe model on hand-made routing tables:
routing chip by chip (default routing too), bounded receive queues, and
counted drops."""

import os
import subprocess

import numpy as np
import pytest

from spinnpop.backends.emulator.engine import COST_FEATURES, Engine, RunState

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIQ, QUEUED = 0, 3      # packet callback priority -1 and 2, plus one
EAST = 0


def route_word(processor_ids, link_ids) -> int:
    """A routing entry's route as the router holds it: links in bits 0-5,
    processors in bits 6-23."""
    return (sum(1 << link for link in link_ids)
            | sum(1 << (6 + p) for p in processor_ids))


def build_model(directory, source: str) -> str:
    path = str(directory / (source + ".so"))
    subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror",
                    "-fPIC", "-shared", "-I",
                    os.path.join(ROOT, "c_models", "host", "include"),
                    os.path.join(ROOT, "tests", "c", source + ".c"),
                    "-o", path], check=True)
    return path


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    return build_model(tmp_path_factory.mktemp("probe"), "probe_model")


def machine(tables, width=3, height=1):
    engine = Engine(width, height, 1 << 20, 4096)
    for x in range(width):
        for y in range(height):
            entries = tables.get((x, y), [])
            engine.set_routes(x, y, np.array(
                [(k, m, route_word(p, l)) for k, m, p, l in entries],
                np.uint32).reshape(-1, 3))
    return engine


def add_probe(engine, probe, xyp, n_send=0, key=0, priority=FIQ,
              exit_after=0, masked=False):
    core = engine.add_core(*xyp, probe)
    engine.add_region(core, 0, 20)[:] = np.array(
        [n_send, key, priority, exit_after, masked], np.uint32).view(np.uint8)
    engine.add_region(core, 1, 20)
    return core


def received(engine, core):
    return engine.region(core, 1).view(np.uint32)


def test_packets_follow_tables_and_default_routes(probe):
    # (0, 0) sends east; (1, 0) has no entry, so the packet goes straight
    # on; (2, 0) delivers it to processor 2.
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [], [EAST])],
                      (2, 0): [(0x100, 0xFFFFFF00, [2], [])]})
    sender = add_probe(engine, probe, (0, 0, 1), n_send=3, key=0x100)
    target = add_probe(engine, probe, (2, 0, 2), exit_after=3)
    assert engine.start() == 0
    assert engine.run(1000) == RunState.DONE
    assert list(received(engine, target))[:3] == [3, 0x102, 2]
    assert engine.core_counters(sender).sent == 3
    assert engine.core_counters(target).received == 3
    for x in range(3):
        assert engine.chip_counters(x, 0).routed == 3
        assert engine.chip_counters(x, 0).dropped == 0
    for x in range(2):      # east, link by link; nothing leaves (2, 0)
        assert list(engine.chip_counters(x, 0).link_sent) == [3] + [0] * 5
    assert sum(engine.chip_counters(2, 0).link_sent) == 0
    engine.close()


def test_each_key_takes_its_own_first_matching_entry(probe):
    """Routes are cached per block of keys that every entry treats alike:
    a run of keys crossing a more specific entry changes route there."""
    engine = machine({(0, 0): [(0x180, 0xFFFFFFC0, [3], []),
                               (0x100, 0xFFFFFF00, [2], [])]}, width=1)
    add_probe(engine, probe, (0, 0, 1), n_send=256, key=0x100)
    wide = add_probe(engine, probe, (0, 0, 2), exit_after=192)
    narrow = add_probe(engine, probe, (0, 0, 3), exit_after=64)
    engine.start()
    assert engine.run(1000) == RunState.DONE
    assert received(engine, wide)[:2].tolist() == [192, 0x1FF]
    assert received(engine, narrow)[:2].tolist() == [64, 0x1BF]
    assert engine.chip_counters(0, 0).dropped == 0
    engine.close()


def test_packets_with_nowhere_to_go_are_dropped_and_counted(probe):
    # Key 0x200 has no entry at its own chip; 0x300 goes to an empty
    # processor; 0x400 goes east off the edge of the machine.
    engine = machine({(0, 0): [(0x300, 0xFFFFFF00, [9], []),
                               (0x400, 0xFFFFFF00, [], [3])]})
    for key, p in ((0x200, 1), (0x300, 2), (0x400, 3)):
        add_probe(engine, probe, (0, 0, p), n_send=2, key=key)
    engine.start()
    assert engine.run(1000) == RunState.DONE
    assert engine.chip_counters(0, 0).dropped == 6


def random_losses(probe, seed, n=20_000, rate=0.1):
    """(0, 0) sends to its own processor 2 and east, by default route
    through (1, 0), to (2, 0)'s processor 2; routers drop at random."""
    engine = machine({(0, 0): [(0, 0xFFFF0000, [2], [EAST])],
                      (2, 0): [(0, 0xFFFF0000, [2], [])]})
    add_probe(engine, probe, (0, 0, 1), n_send=n, key=0x100)
    near = add_probe(engine, probe, (0, 0, 2), exit_after=n)
    far = add_probe(engine, probe, (2, 0, 2), exit_after=n)
    engine.drop_at_random(rate, seed)
    engine.start()
    assert engine.run(10 * n) == RunState.STALLED     # some never came
    counts = [int(received(engine, core)[0]) for core in (near, far)]
    chips = [engine.chip_counters(x, 0) for x in range(3)]
    engine.close()
    return counts, [(c.routed, c.dropped) for c in chips]


def test_routers_drop_at_random_hop_by_hop(probe):
    """Each router a packet reaches drops it with the drop rate: what
    crosses three routers arrives 0.9^3 of the time, what crosses one 0.9;
    each router counts what reached it and what it dropped; the same seed
    drops the same packets."""
    n = 20_000
    (near, far), chips = random_losses(probe, seed=5, n=n)
    assert abs(near / n - 0.9) < 0.01 and abs(far / n - 0.729) < 0.01
    assert chips[0][0] == n
    for (routed, dropped), (next_routed, _) in zip(chips, chips[1:]):
        assert next_routed == routed - dropped
    assert chips[2][0] - chips[2][1] == far
    assert random_losses(probe, seed=5, n=n) == ([near, far], chips)
    assert random_losses(probe, seed=6, n=n)[0] != [near, far]


@pytest.mark.parametrize("priority, taken", [(FIQ, 20), (QUEUED, 15)])
def test_receive_queues_are_bounded_like_spin1s(probe, priority, taken):
    """A burst of 20 packets in one callback: an FIQ handler takes each as
    it comes; a queued one gets spin1's task queue of 15, and the rest are
    dropped at the core and counted."""
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [2], [])]}, width=1)
    add_probe(engine, probe, (0, 0, 1), n_send=20, key=0x100)
    target = add_probe(engine, probe, (0, 0, 2), priority=priority,
                       exit_after=taken)
    engine.start()
    assert engine.run(1000) == RunState.DONE
    counters = engine.core_counters(target)
    assert (counters.received, counters.dropped) == (taken, 20 - taken)
    assert received(engine, target)[0] == taken


def test_a_quiet_machine_with_work_left_is_stalled(probe):
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [2], [])]}, width=1)
    add_probe(engine, probe, (0, 0, 1), n_send=4, key=0x100)
    waiting = add_probe(engine, probe, (0, 0, 2), exit_after=5)
    engine.start()
    assert engine.run(1000) == RunState.STALLED
    assert received(engine, waiting)[0] == 4


def test_bad_machines_are_refused(probe):
    engine = machine({}, width=1)
    with pytest.raises(Exception, match="outside the machine"):
        engine.add_core(0, 0, 18, probe)
    add_probe(engine, probe, (0, 0, 1))
    with pytest.raises(Exception, match="placed twice"):
        engine.add_core(0, 0, 1, probe)
    with pytest.raises(Exception, match="SDRAM exhausted"):
        engine.add_region(0, 5, 2 << 20)


def test_sdram_holds_garbage_until_written(probe):
    """As on a chip, SDRAM the tools allocate holds what it held (a loud
    pattern here) until written; regions made for tests start zeroed."""
    engine = machine({}, width=1)
    address = engine.malloc_sdram(0, 0, 64)
    assert address >= 0x60000000
    assert (engine.sdram(0, 0, address, 64) == 0xFF).all()
    core = add_probe(engine, probe, (0, 0, 1))
    assert (received(engine, core) == 0).all()
    engine.close()


def test_subnormals_flush_to_zero_while_cores_run(tmp_path):
    """A documented choice: the emulator's cores flush float32 subnormals
    (below 1.2e-38) to zero, as x86 is a hundred times slower on them;
    the ARM968's soft-float keeps them. The caller's float mode is left as
    it was."""
    engine = machine({}, width=1)
    core = engine.add_core(0, 0, 1, build_model(tmp_path, "subnormal_probe"))
    result = engine.add_region(core, 0, 4)
    engine.start()
    assert engine.run(10) == RunState.DONE
    assert result.view(np.float32)[0] == 0.0
    product = np.float32(1e-30) * np.float32(1e-10)
    assert 0 < product < np.finfo(np.float32).tiny       # not flushed here
    engine.close()


def test_dtcm_allocation_is_the_chips(tmp_path):
    """spin1_malloc(0) is NULL, as sark_xalloc gives, and the heap is the
    hardware's size."""
    engine = machine({}, width=1)
    core = engine.add_core(0, 0, 1, build_model(tmp_path, "malloc_probe"))
    result = engine.add_region(core, 0, 12)
    engine.start()
    assert engine.run(10) == RunState.DONE
    assert list(result.view(np.uint32)) == [1, 1, 1]
    engine.close()


def test_sends_fail_while_the_outgoing_queue_is_full(probe):
    """Preemption mode: a core's sends queue up to the hardware's 16 (the
    comms controller and spin1's queue of 15); beyond, a send fails and is
    retried, and every packet still arrives."""
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [2], [])]}, width=1)
    sender = add_probe(engine, probe, (0, 0, 1), n_send=40, key=0x100)
    target = add_probe(engine, probe, (0, 0, 2), exit_after=40)
    engine.reorder(5)
    engine.preempt()
    engine.start()
    assert engine.run(10_000) == RunState.DONE
    assert received(engine, target)[0] == 40
    assert received(engine, sender)[3] == engine.core_counters(
        sender).send_failures > 0
    engine.close()


@pytest.mark.parametrize("masked", [False, True])
def test_packet_interrupts_cut_in_unless_masked(probe, masked):
    """Preemption mode: a core sending to itself gets its own packets
    inside the sending callback, unless it masked its FIQ; then they wait
    until it unmasks it."""
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [1], [])]}, width=1)
    core = add_probe(engine, probe, (0, 0, 1), n_send=60, key=0x100,
                     exit_after=60, masked=masked)
    engine.reorder(7)
    engine.preempt()
    engine.start()
    assert engine.run(10_000) == RunState.DONE
    counts = received(engine, core)
    assert counts[0] == 60
    if masked:
        assert counts[4] == 0
    else:
        assert engine.core_counters(core).preemptions > 0
    engine.close()


def priced(engine, core, **cycles):
    """Prices the core's work: cycles per packet interrupt, task, ..."""
    coefficients = np.zeros(len(COST_FEATURES))
    for name, value in cycles.items():
        coefficients[COST_FEATURES.index(name)] = value
    engine.set_cost(core, coefficients)


def router_reference(arrivals, fiq, unmasked=0.0, drop=True):
    """The router's wait, as the emulator's model states it (router.c's
    overdue()), written out independently: (packets overdue, packets
    taken) of a core whose FIQ takes ``fiq`` cycles, for packets arriving
    at ``arrivals`` while it had its FIQ masked until ``unmasked``."""
    head_free = rx_free = fiq_free = 0.0
    overdue = taken_count = 0
    for t in arrivals:
        head = max(t, head_free)
        taken = max(head, rx_free)
        if taken - head > ROUTER_WAIT:
            overdue += 1
            if drop:
                head_free = head + ROUTER_WAIT
                continue
        head_free = taken
        start = max(taken, fiq_free, unmasked if t < unmasked else 0.0)
        rx_free, fiq_free = start, start + fiq
        taken_count += 1
    return overdue, taken_count


#: SC&MP's router wait (240 cycles of its 133 MHz clock) in ARM cycles.
ROUTER_WAIT = 240 * 200 / 133


@pytest.mark.parametrize("drop", [False, True])
def test_routers_time_out_packets_a_busy_core_cannot_take(probe, drop):
    """Ten packets reach a core at once and its FIQ takes 400 cycles: the
    comms controller holds one while the FIQ handles another, so each
    later one waits two FIQs' time, 400 cycles, at the router, past its
    361. Counted as overdue; with router_timeout the router drops it
    (counted at the chip), and the one behind it, whose wait started
    only then, gets in: 6 taken, every other one from the third
    dropped."""
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [2], [])]}, width=1)
    sender = add_probe(engine, probe, (0, 0, 1), n_send=10, key=0x100)
    target = add_probe(engine, probe, (0, 0, 2), exit_after=6 if drop else 10)
    priced(engine, target, packet=400)
    priced(engine, sender)
    if drop:
        engine.router_timeout()
    engine.start()
    assert engine.run(10_000) == RunState.DONE
    counts = engine.core_counters(target)
    assert received(engine, target)[0] == counts.received == (6 if drop
                                                              else 10)
    assert counts.overdue == (4 if drop else 8)
    assert engine.chip_counters(0, 0).dropped == (4 if drop else 0)
    assert router_reference([20.0] * 10, 400, drop=drop) == (
        counts.overdue, counts.received)
    engine.close()


@pytest.mark.parametrize("fiq, sent", [(350, 0), (400, 500)])
def test_a_core_that_keeps_up_loses_nothing(probe, fiq, sent):
    """A packet interrupt shorter than the router's wait keeps any queue
    moving; a sender slower than the receiver's interrupt makes none."""
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [2], [])]}, width=1)
    sender = add_probe(engine, probe, (0, 0, 1), n_send=50, key=0x100)
    target = add_probe(engine, probe, (0, 0, 2), exit_after=50)
    priced(engine, target, packet=fiq)
    priced(engine, sender, sent=sent)
    engine.router_timeout()
    engine.start()
    assert engine.run(10_000) == RunState.DONE
    assert engine.core_counters(target).overdue == 0
    assert received(engine, target)[0] == 50
    engine.close()


@pytest.mark.parametrize("drop", [False, True])
def test_packets_held_while_the_fiq_is_masked_wait_at_the_router(
        probe, drop):
    """A core sends itself 10 packets (one per 100 cycles) with its FIQ
    masked, for 1,000 cycles: the first waits in its comms controller,
    the rest at the router, from their arrival, until the first's FIQ
    starts at the unmasking."""
    engine = machine({(0, 0): [(0x100, 0xFFFFFF00, [1], [])]}, width=1)
    core = add_probe(engine, probe, (0, 0, 1), n_send=10, key=0x100,
                     masked=True)
    priced(engine, core, packet=400, sent=100)
    if drop:
        engine.router_timeout()
    engine.start()
    engine.run(10_000)
    arrivals = [100.0 * (i + 1) + 20 for i in range(10)]
    overdue, taken = router_reference(arrivals, 400, unmasked=1000.0,
                                      drop=drop)
    counts = engine.core_counters(core)
    assert (counts.overdue, counts.received) == (overdue, taken)
    assert received(engine, core)[0] == taken
    assert overdue > 0 and (taken < 10) == drop
    engine.close()


def test_the_tick_count_moves_on_during_a_long_callback(tmp_path):
    """As spin1's timer interrupt counts ticks while a callback holds the
    TIMER_TICK callback off, spin1_get_simulation_time() counts the ticks
    due by the core's clock (the cost model's): a callback of 1,000 sends
    at 1,000 cycles each (5 ms at 200 MHz) sees five ticks come, none of
    whose callbacks runs before it ends; they then run, in order."""
    engine = machine({}, width=1)
    core = engine.add_core(0, 0, 1, build_model(tmp_path, "tick_probe"))
    engine.add_region(core, 0, 4)[:] = np.array([1000], np.uint32).view(
        np.uint8)
    engine.add_region(core, 1, 20)
    priced(engine, core, sent=1000)
    engine.start()
    assert engine.run(10_000) == RunState.DONE
    before, after, during, ran, last = received(engine, core)
    assert (before, after, during) == (0, 5, 0)
    assert last == ran == 6
    engine.close()


def test_packets_from_interleaved_senders_run_in_order_of_arrival(probe):
    """Six cores each send 20 packets at their own pace (7, 11, ... 23
    cycles a send) to a seventh, whose clock has not reached them: its
    FIQs take them in order of arrival time, those of equal times (77
    cycles: the 11th of the first sender, the 7th of the second) in the
    order they were sent, senders taking turns by core (the emulator
    merges a run of packets per sender)."""
    periods = [7, 11, 13, 17, 19, 23]
    routes = [(0x100 * (s + 1), 0xFFFFFF00, [7], [])
              for s in range(len(periods))]
    engine = machine({(0, 0): routes}, width=1)
    senders = [add_probe(engine, probe, (0, 0, s + 1), n_send=20,
                         key=0x100 * (s + 1))
               for s in range(len(periods))]
    target = add_probe(engine, probe, (0, 0, 7), exit_after=120)
    for sender, period in zip(senders, periods):
        priced(engine, sender, sent=period)
    priced(engine, target, packet=1)
    trace = engine.trace_packets(target, 120)
    engine.start()
    assert engine.run(10_000) == RunState.DONE
    expected = sorted((period * (i + 1), s, i)
                      for s, period in enumerate(periods) for i in range(20))
    assert [(key >> 8) - 1 for key, _ in engine.traced(target)] == [
        s for _, s, _ in expected]
    assert [int(i) for _, i in trace] == [i for _, _, i in expected]
    engine.close()
