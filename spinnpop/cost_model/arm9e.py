"""ARM968E-S cycles of ARM code run under unicorn (a CPU emulator).

Each instruction executed is costed with the ARM9E-S timings (ARM DDI 0240A,
ARM9E-S Technical Reference Manual, chapter 7 "Instruction Cycle Timings"):
one cycle per issued instruction, plus the extra cycles of multi-cycle
instructions, branches, writes to the PC, register-controlled shifts and
load-use interlocks; a condition that fails costs one cycle. Code and data
in the tightly coupled memories (ITCM, DTCM) have no wait states; a read
from SDRAM costs ``SDRAM_READ_CYCLES`` more (writes go through the
ARM968's write buffer and are not charged).
"""

from __future__ import annotations

from elftools.elf.elffile import ELFFile

#: Extra cycles of a read from SDRAM through the system network on chip
#: (DESIGN.md, "Numbers that matter": at least 20 cycles per read).
SDRAM_READ_CYCLES = 20
SDRAM = (0x60000000, 0x80000000)
ITCM, ITCM_SIZE = 0x0, 0x8000
DTCM, DTCM_SIZE = 0x400000, 0x10000


def _condition_passes(cond: int, flags: int) -> bool:
    n, z, c, v = (flags >> 31) & 1, (flags >> 30) & 1, (flags >> 29) & 1, \
        (flags >> 28) & 1
    return (z, not z, c, not c, n, not n, v, not v, c and not z,
            not c or z, n == v, n != v, not z and n == v, z or n != v,
            True, True)[cond]


class _Timing:
    """The cost of one instruction, decoded once."""

    __slots__ = ("cycles", "conditional", "cond", "loads", "load_delay",
                 "reads")

    def __init__(self, insn):
        from capstone import arm as A
        mnemonic = insn.mnemonic.split(".")[0]
        base = mnemonic
        self.cond = insn.cc - 1 if insn.cc not in (0, A.ARM_CC_AL) else 14
        self.conditional = self.cond != 14
        if self.conditional:
            base = mnemonic[:-2]          # the condition code's two letters
        if base.endswith("s") and base not in ("mls", "ldrs", "smuls"):
            flags = True
            base_ns = base[:-1]
        else:
            flags, base_ns = False, base
        regs_read, regs_written = insn.regs_access()
        writes_pc = A.ARM_REG_PC in regs_written
        operands = insn.operands
        reg_shift = any(op.type == A.ARM_OP_REG and op.shift.type in (
            A.ARM_SFT_ASR_REG, A.ARM_SFT_LSL_REG, A.ARM_SFT_LSR_REG,
            A.ARM_SFT_ROR_REG, A.ARM_SFT_RRX_REG) for op in operands)
        self.loads = ()
        self.load_delay = 0
        self.reads = frozenset(regs_read)
        n_regs = sum(op.type == A.ARM_OP_REG for op in operands)
        if base in ("b", "bl", "bx", "blx"):
            cycles = 3
        elif base_ns in ("mul", "mla"):
            cycles = 4 if flags else 2
            self.loads, self.load_delay = tuple(regs_written), 1
        elif base_ns in ("smull", "umull", "smlal", "umlal"):
            cycles = 5 if flags else 3
            self.loads, self.load_delay = tuple(regs_written), 1
        elif base.startswith(("smul", "smla")):
            cycles = 2 if base.startswith("smlal") else 1
        elif base.startswith(("ldm", "pop")):
            n = max(n_regs - (0 if base.startswith("pop") else 1), 1)
            cycles = max(n, 2) + (4 if writes_pc else 0)
            self.loads, self.load_delay = tuple(
                r for r in regs_written if r != A.ARM_REG_SP), 1
        elif base.startswith(("stm", "push")):
            n = max(n_regs - (0 if base.startswith("push") else 1), 1)
            cycles = max(n, 2)
        elif base.startswith("ldr"):
            cycles = 2 if base.startswith("ldrd") else 1
            if writes_pc:
                cycles = 5
            self.loads = tuple(r for r in regs_written
                               if r != A.ARM_REG_PC)
            self.load_delay = 2 if base[3:4] in ("b", "h", "s") else 1
        elif base.startswith("str"):
            cycles = 2 if base.startswith("strd") else 1
        elif base.startswith("swp"):
            cycles = 2
        else:
            cycles = 1 + (1 if reg_shift else 0) + (2 if writes_pc else 0)
        self.cycles = cycles


class CycleCounter:
    """Counts the ARM968 cycles of what a unicorn CPU executes."""

    def __init__(self, uc):
        from capstone import CS_ARCH_ARM, CS_MODE_ARM, CS_MODE_THUMB, Cs
        from unicorn import UC_HOOK_CODE, UC_HOOK_MEM_READ
        from unicorn.arm_const import UC_ARM_REG_CPSR
        self._uc = uc
        self._cpsr = UC_ARM_REG_CPSR
        self._decoders = {}
        for thumb, mode in ((False, CS_MODE_ARM), (True, CS_MODE_THUMB)):
            decoder = Cs(CS_ARCH_ARM, mode)
            decoder.detail = True
            self._decoders[thumb] = decoder
        self._timings = {}
        self.cycles = 0
        self._pending = ()        # registers the last load is filling
        self._pending_delay = 0
        uc.hook_add(UC_HOOK_CODE, self._instruction)
        uc.hook_add(UC_HOOK_MEM_READ, self._sdram_read, begin=SDRAM[0],
                    end=SDRAM[1] - 1)

    def _timing(self, address: int, size: int, thumb: bool) -> _Timing:
        key = (address, thumb)
        timing = self._timings.get(key)
        if timing is None:
            code = bytes(self._uc.mem_read(address, size))
            insn = next(self._decoders[thumb].disasm(code, address))
            timing = _Timing(insn)
            self._timings[key] = timing
        return timing

    def _instruction(self, uc, address, size, _data):
        thumb = size == 2
        timing = self._timing(address, size, thumb)
        cycles = timing.cycles
        if timing.conditional and not _condition_passes(
                timing.cond, uc.reg_read(self._cpsr)):
            cycles = 1
            executed = False
        else:
            executed = True
        # A load's (or multiply's) result used by the next instruction
        # stalls the pipeline.
        if self._pending and not timing.reads.isdisjoint(self._pending):
            cycles += self._pending_delay
        self._pending = timing.loads if executed else ()
        self._pending_delay = timing.load_delay
        self.cycles += cycles

    def _sdram_read(self, uc, access, address, size, value, _data):
        self.cycles += SDRAM_READ_CYCLES


def load_elf(uc, path: str) -> dict:
    """Maps SpiNNaker's ITCM and DTCM into ``uc``, loads the ELF's
    segments, and returns its symbols: {name: address}."""
    from unicorn import UC_PROT_ALL
    uc.mem_map(ITCM, ITCM_SIZE, UC_PROT_ALL)
    uc.mem_map(DTCM, DTCM_SIZE, UC_PROT_ALL)
    with open(path, "rb") as f:
        elf = ELFFile(f)
        for segment in elf.iter_segments():
            if segment["p_type"] == "PT_LOAD" and segment["p_filesz"]:
                uc.mem_write(segment["p_paddr"], segment.data())
        symbols = {s.name: s["st_value"]
                   for s in elf.get_section_by_name(".symtab").iter_symbols()
                   if s.name}
    return symbols
