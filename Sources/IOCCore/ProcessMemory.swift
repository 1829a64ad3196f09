import Glibc

/// How the process's allocator treats memory that is freed: the daemon's queries allocate tens of
/// megabytes of samples and free them, again at every dashboard refresh and rule evaluation.
///
/// iocd links jemalloc (12-14 % less CPU per probe than glibc's allocator at 2,000 targets; at
/// 5,000 its memory was within what single runs of either differ by), which keeps freed pages for
/// reuse and returns them to the kernel within two seconds on its own (the options built in with
/// `malloc_conf` in CBuildInfo); `ioc` and the benchmarks use glibc's, which is tuned here. Which
/// one the process has is found by name: jemalloc's `mallctl`.
public enum ProcessMemory {
    /// With glibc's allocator, keeps up to 128 MB of freed memory for the next query and serves
    /// allocations of up to 32 MB from it, instead of glibc's default of returning blocks over
    /// 128 KB to the kernel at once and taking them back, a page fault per 4 KB, at the next query
    /// (a third of a 24-hour query's time).
    ///
    /// And as many arenas as cores (at least two), not glibc's eight per core: each thread that
    /// allocates while another holds an arena gets one of its own, and what a thread frees stays in
    /// its arena for that arena's next user. At 5,000 probe targets with the shipped rules iocd
    /// held 58 MB freed in 12 arenas 3-5 minutes after start, and 12 MB in two (RSS at minute 3: 167 and
    /// 113 MiB).
    /// An administrator's own `GLIBC_TUNABLES` or `MALLOC_ARENA_MAX` are left alone; jemalloc
    /// reads its own `MALLOC_CONF`.
    public static func keepFreedMemoryForReuse() {
        guard mallctl == nil, getenv("GLIBC_TUNABLES") == nil else { return }
        // `mallopt` is glibc's and not in Swift's Glibc module: found by name (nil is RTLD_DEFAULT).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_ARENA_MAX of <malloc.h>.
        _ = mallopt(-3, 32 << 20)
        _ = mallopt(-1, 128 << 20)
        if getenv("MALLOC_ARENA_MAX") == nil {
            _ = mallopt(-8, Int32(max(2, min(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 64))))
        }
    }

    /// Gives the freed memory the allocator holds back to the kernel: jemalloc purges every
    /// arena's unused pages, glibc trims every arena (`malloc_trim`). What
    /// `keepFreedMemoryForReuse` keeps piles up in each thread's arena: at 5,000 probe targets
    /// with the shipped rules, 96 MB of iocd's 294 MB was free memory held that way. The store's
    /// writer calls this after an hour closes and every ten minutes.
    public static func returnFreedMemory() {
        if let mallctl {
            // MALLCTL_ARENAS_ALL (4096) names every arena.
            _ = mallctl("arena.4096.purge", nil, nil, nil, 0)
            return
        }
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }

    /// Which allocator serves the process: the name of the one found.
    public static var allocator: String { mallctl == nil ? "glibc" : "jemalloc" }

    private typealias Mallctl =
        @convention(c) (
            UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?, Int
        ) -> Int32

    /// jemalloc's control call, when jemalloc is the process's allocator.
    private static let mallctl: Mallctl? = dlsym(nil, "mallctl").map {
        unsafeBitCast($0, to: Mallctl.self)
    }
}
