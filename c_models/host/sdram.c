// Each chip's SDRAM: blocks allocated at SpiNNaker addresses, as SC&MP's
// sdram_alloc gives them to the tool chain, with host memory behind each;
// and the translation of addresses into that memory.
#include <stdlib.h>
#include <string.h>

#include "machine.h"

uint32_t sdram_allocate(emu_t *emu, chip_t *chip, uint32_t size) {
    uint32_t words = (size + 3) & ~3u;
    if (words == 0 || chip->sdram_used + words > emu->sdram_per_chip) {
        return 0;
    }
    sdram_block_t *blocks = grow_array(chip->blocks, &chip->blocks_capacity,
            chip->n_blocks + 1, sizeof(sdram_block_t));
    if (blocks == NULL) {
        return 0;
    }
    chip->blocks = blocks;
    // SDRAM on a chip holds whatever the last application left, and the
    // tool chain writes only what a data specification says: fill blocks
    // with a loud pattern (NaN as floats, huge as counters), so that a
    // model reading what nobody wrote fails here as it would there.
    uint8_t *memory = malloc(words);
    if (memory == NULL) {
        return 0;
    }
    memset(memory, SDRAM_FILL, words);
    uint32_t address = SDRAM_BASE + chip->sdram_used;
    chip->blocks[chip->n_blocks++] = (sdram_block_t) {address, words, memory};
    chip->sdram_used += words;
    return address;
}

void *sdram_host(const chip_t *chip, uint32_t address, uint32_t size) {
    // Blocks are in address order.
    size_t low = 0, high = chip->n_blocks;
    while (low < high) {
        size_t mid = (low + high) / 2;
        if (chip->blocks[mid].address + chip->blocks[mid].size <= address) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    if (low == chip->n_blocks) {
        return NULL;
    }
    const sdram_block_t *block = &chip->blocks[low];
    if (address < block->address
            || (uint64_t) address + size > (uint64_t) block->address
                    + block->size) {
        return NULL;
    }
    return block->memory + (address - block->address);
}

void sdram_free(chip_t *chip) {
    for (size_t b = 0; b < chip->n_blocks; b++) {
        free(chip->blocks[b].memory);
    }
    free(chip->blocks);
    chip->blocks = NULL;
    chip->n_blocks = chip->blocks_capacity = 0;
    chip->sdram_used = 0;
}
