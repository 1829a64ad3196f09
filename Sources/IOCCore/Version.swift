internal import CBuildInfo

/// IOC's version, printed by `iocd --version` and `ioc --version` and sent as the probes' User-Agent,
/// with what the build knew of itself (`scripts/stamp-build.sh`; "unknown" from a plain `swift build`).
public enum IOCVersion {
    public static let current = "0.2.0"
    public static let revision = String(cString: ioc_build_revision())
    /// The commit time of `revision` (or SOURCE_DATE_EPOCH) in UTC, as Prometheus writes it
    /// (20261204-19:19:52): the same for two builds of one revision.
    public static let buildDate = String(cString: ioc_build_date())
    public static let swiftVersion = String(cString: ioc_build_swift_version())

    public static var platform: String {
        #if arch(x86_64)
            "linux/amd64"
        #elseif arch(arm64)
            "linux/arm64"
        #else
            "linux/unknown"
        #endif
    }

    /// What `--version` prints, in the shape of Prometheus' own.
    public static func report(program: String) -> String {
        """
        \(program), version \(current) (revision: \(revision))
          build date:       \(buildDate)
          swift version:    \(swiftVersion)
          platform:         \(platform)
        """
    }
}
