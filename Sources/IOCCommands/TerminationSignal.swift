import UnixSignals

/// Waits for SIGTERM or SIGINT, for commands that serve until told to stop (`ioc simulate`).
public enum TerminationSignal {
    public static func wait() async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        for await _ in signals { return }
    }
}
