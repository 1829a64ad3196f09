import Foundation
public import IOCCore

/// Which store file an `ioc` command uses: `--db`, else `$IOC_DB`, else the store of the daemon's
/// configuration (if it can be read), else `/var/lib/iocd/ioc.db`.
public enum StoreLocation {
    public static func resolve(db: String?, config: String?, environment: [String: String]? = nil)
        -> String
    {
        if let db, !db.isEmpty { return db }
        if let fromEnvironment = (environment ?? ProcessInfo.processInfo.environment)["IOC_DB"],
            !fromEnvironment.isEmpty
        {
            return fromEnvironment
        }
        let configPath = config ?? DaemonConfig.defaultPath
        if let root = try? ConfigFiles.parse(configPath), let daemon = try? DaemonConfig(from: root, file: configPath) {
            return daemon.storePath
        }
        return DaemonConfig.defaultStorePath
    }

    /// The daemon's configuration (`config`, else the default path), when it can be read.
    public static func daemonConfig(_ config: String?) -> DaemonConfig? {
        let configPath = config ?? DaemonConfig.defaultPath
        guard let root = try? ConfigFiles.parse(configPath) else { return nil }
        return try? DaemonConfig(from: root, file: configPath)
    }

    /// The display time zone of the daemon's configuration (`time_zone`), or Viet Nam's when it
    /// cannot be read.
    public static func displayZone(config: String?) -> DisplayZone {
        daemonConfig(config)?.displayZone ?? .vietnam
    }
}
