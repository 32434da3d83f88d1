"""SpiNNaker 1, in the numbers spinnpop's budgets use."""

from spinnpop.errors import ResourceError

#: DTCM the models may take with spin1_malloc, of the core's 64 KiB. sark's
#: heap runs from the end of the static data to the stacks (2 KiB,
#: sark.lnk); the ARM builds of the models have at most 2.2 KB of static
#: data and bss (arm-none-eabi-size), so the heap is about 59.8 KB, of
#: which this leaves 3.8 KB to sark's own blocks.
DTCM_HEAP_BYTES = 56 * 1024
#: sark's heap puts a two-word header before every block.
DTCM_BLOCK_HEADER = 8
#: SDRAM the tools leave to applications on a SpiNN-5 chip (of 128 MiB).
SDRAM_PER_CHIP_FOR_APPLICATIONS = 123_469_792
#: Chips on a SpiNN-5 board.
CHIPS_PER_BOARD = 48
#: Cores of a chip left to applications: of its 18, one is the monitor and
#: one is the system core (DESIGN.md).
APPLICATION_CORES_PER_CHIP = 16


def dtcm_block(n_bytes: int) -> int:
    """DTCM a spin1_malloc of ``n_bytes`` takes, header included; the
    models ask for nothing when they need no bytes."""
    if n_bytes == 0:
        return 0
    return (n_bytes + 3) // 4 * 4 + DTCM_BLOCK_HEADER


def check_fits_machine(n_words: int, what: str, n_boards: int) -> None:
    """ResourceError if ``n_words`` 32-bit words cannot fit the SDRAM of an
    ``n_boards`` machine: checked before the host allocates them."""
    sdram = n_boards * CHIPS_PER_BOARD * SDRAM_PER_CHIP_FOR_APPLICATIONS
    if n_words * 4 > sdram:
        raise ResourceError(
            f"{what} needs {n_words * 4 / 1e9:,.1f} GB (32 bits each), more "
            f"than the {sdram / 1e9:.1f} GB of SDRAM of a {n_boards}-board "
            "machine; make it smaller, or ask for a bigger machine with "
            "setup(n_boards=...)")
