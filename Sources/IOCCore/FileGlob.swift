import Glibc

/// Shell wildcards (`*`, `?`, `[...]`) over file names, through glob(3): the one place IOC
/// expands the file patterns of its configuration (`probe_files`, `rule_files`,
/// `dashboard_files`, a rule test's `rule_files`, `ioc dashboard --dashboards`).
public enum FileGlob {
    /// Whether `pattern` has a wildcard; one without names a file as it is.
    public static func hasWildcard(_ pattern: String) -> Bool { pattern.contains { "*?[".contains($0) } }

    /// The files matching `pattern`, sorted; empty when nothing matches; nil when the expansion
    /// failed (a directory that cannot be read).
    public static func paths(matching pattern: String) -> [String]? {
        var result = glob_t()
        defer { globfree(&result) }
        switch glob(pattern, 0, nil, &result) {
        case 0: break
        case GLOB_NOMATCH: return []
        default: return nil
        }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
