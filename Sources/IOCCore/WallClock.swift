#if canImport(Glibc)
    import Glibc
#endif

/// Wall-clock time as the store and the query language count it: milliseconds since the Unix epoch.
public enum WallClock {
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
