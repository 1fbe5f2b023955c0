#ifndef CKEEL_MEMORY_H
#define CKEEL_MEMORY_H

/// Stores Swift cannot emit. Header-only: Swift inlines these into the loops that call them.

/// A store that bypasses the cache (x86 MOVNTI, Arm STNP): the line is not read first (no write-allocate) and does
/// not evict what the loop reads. For columns far larger than the cache, written once and read later. Order them
/// before another thread reads the column with a sequentially consistent fence.
static inline __attribute__((always_inline)) void keel_store_streaming(double *address, double value) {
    __builtin_nontemporal_store(value, address);
}

#endif
