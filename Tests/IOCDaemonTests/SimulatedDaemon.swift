import IOCSimulator
import TestSupport

/// A daemon's directory for probing `simulator`: iocd.yaml (store `ioc.db`, probe files
/// `probes/*.yaml`, rules `rules.yaml` evaluated every second) and the simulator's probe file
/// at `interval`. Returns the directory and the configuration's path.
func simulatedDaemonDirectory(
    _ simulator: Simulator, interval: String, timeout: String, rules: String
) throws -> (directory: TemporaryDirectory, config: String) {
    let directory = try TemporaryDirectory()
    let config = try directory.write(
        "iocd.yaml",
        "storage:\n  path: ioc.db\nprobe_files: [probes/*.yaml]\nrule_files: [rules.yaml]\nevaluation_interval: 1s\n")
    try directory.write(
        "probes/simulator.yaml",
        simulator.world.probeFile(baseURL: simulator.baseURL, interval: interval, timeout: timeout))
    try directory.write("rules.yaml", rules)
    return (directory, config)
}
