import Glibc

/// How the process's allocator treats memory that is freed: the daemon's queries allocate tens of
/// megabytes of samples and free them, again at every dashboard refresh and rule evaluation.
public enum ProcessMemory {
    /// Keeps up to 128 MB of freed memory for the next query and serves allocations of up to 32 MB
    /// from it, instead of glibc's default of returning blocks over 128 KB to the kernel at once and
    /// taking them back, a page fault per 4 KB, at the next query (a third of a 24-hour query's time).
    /// An administrator's own `GLIBC_TUNABLES` are left alone.
    public static func keepFreedMemoryForReuse() {
        guard getenv("GLIBC_TUNABLES") == nil else { return }
        // `mallopt` is glibc's and not in Swift's Glibc module: found by name (nil is RTLD_DEFAULT).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        // M_MMAP_THRESHOLD and M_TRIM_THRESHOLD of <malloc.h>.
        _ = mallopt(-3, 32 << 20)
        _ = mallopt(-1, 128 << 20)
    }

    /// Gives the freed memory that every allocator arena holds back to the kernel (`malloc_trim`).
    /// What `keepFreedMemoryForReuse` keeps piles up in each thread's arena: at 5,000 probe
    /// targets with the shipped rules, 96 MB of iocd's 294 MB was free memory held that way. The
    /// store's writer calls this after an hour closes and every ten minutes.
    public static func returnFreedMemory() {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }
}
