/// IOC's version, printed by `iocd --version` and `ioc --version` and sent as the probes' User-Agent.
public enum IOCVersion {
    public static let current = "0.1.0"
}
