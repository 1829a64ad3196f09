import Foundation
public import IOCAlert
public import IOCCore
public import IOCProbe

/// Everything the daemon runs on, read and checked in full before anything starts: a configuration
/// either loads completely or not at all.
public struct Configuration: Sendable {
    public var daemon: DaemonConfig
    public var targets: [ProbeTarget]
    /// The probe files that were read, in order.
    public var probeFiles: [String]
    public var ruleGroups: [RuleGroup] = []
    /// The rule files that were read, in order.
    public var ruleFiles: [String] = []
}

/// Reading configuration files from disk: `iocd.yaml`, then the probe files it names.
public enum ConfigFiles {
    /// Loads and validates `iocd.yaml` and every file it includes. Throws the first problem found,
    /// naming file, line and key; nothing is opened or written on the way.
    public static func load(_ path: String) throws(ConfigError) -> Configuration {
        let daemon = try DaemonConfig(from: try parse(path), file: path)
        var targets: [ProbeTarget] = []
        var files: [String] = []
        for pattern in daemon.probeFiles {
            let matched = try expand(pattern, from: daemon.file)
            // A pattern written in iocd.yaml that matches nothing is a typo (`probe/*.yaml`), not an
            // empty start: iocd would probe nothing and say "ok".
            if matched.isEmpty, let location = daemon.probeFileLocations[pattern] {
                throw ConfigError(at: location, "the probe file pattern '\(pattern)' matches no file")
            }
            for file in matched {
                targets += try ProbeFile.targets(from: try parse(file))
                files.append(file)
            }
        }
        try ProbeFile.checkUnique(targets)
        var configuration = Configuration(daemon: daemon, targets: targets, probeFiles: files)
        for pattern in daemon.ruleFiles {
            // A wildcard skips rule unit tests (`*.test.yaml`), which live beside the rules.
            let hasWildcard = FileGlob.hasWildcard(pattern)
            for file in try expand(pattern, from: daemon.file, what: "rule file")
            where !(hasWildcard && file.hasSuffix(".test.yaml")) {
                configuration.ruleGroups += try RuleFile.load(file)
                configuration.ruleFiles.append(file)
            }
        }
        return configuration
    }

    /// The dashboard files `dashboard_files` names. iocd never reads them (it draws no dashboard):
    /// `ioc check` and `ioc dashboard` do.
    public static func dashboardPaths(_ daemon: DaemonConfig) throws(ConfigError) -> [String] {
        var paths: [String] = []
        for pattern in daemon.dashboardFiles {
            paths += try expand(pattern, from: daemon.file, what: "dashboard file")
        }
        return paths
    }

    /// Reads and parses one YAML file.
    public static func parse(_ path: String) throws(ConfigError) -> ConfigNode {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ConfigError(file: path, "not UTF-8 text")
            }
            text = decoded
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: path, "cannot read: \(Self.reason(error))")
        }
        return try ConfigNode.parse(yaml: text, file: path)
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain && nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }

    /// Files matching a glob pattern, sorted. A pattern without wildcards must name an existing file;
    /// a wildcard pattern may match nothing (an empty `probes/` is a valid start).
    static func expand(_ pattern: String, from configFile: String, what: String = "probe file") throws(ConfigError)
        -> [String]
    {
        guard let paths = FileGlob.paths(matching: pattern) else {
            throw ConfigError(file: configFile, "cannot expand '\(pattern)'")
        }
        if paths.isEmpty && !FileGlob.hasWildcard(pattern) {
            throw ConfigError(file: configFile, "\(what) '\(pattern)' does not exist")
        }
        return paths
    }

    /// The folder that holds `file`, for resolving paths written relative to it.
    public static func directory(of file: String) -> String {
        let url = URL(fileURLWithPath: file)
        return url.deletingLastPathComponent().path
    }

    /// `path` made absolute against `base` unless it already is.
    public static func resolve(_ path: String, against base: String) -> String {
        path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base + path : base + "/" + path)
    }
}
