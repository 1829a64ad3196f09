import ArgumentParser
import Foundation
import IOCConfig
import IOCCore
import IOCSimulator

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Serve synthetic provincial endpoints over HTTP, for demos and tests.",
        discussion: """
            Serves /PROVINCE/SERVICE/health for the 34 provinces and five services each (dvc, motcua, lgsp, \
            egov, mail), with heavy-tailed latency, occasional errors, one failing endpoint, slow ones and \
            recurring outages (one of them hanging), all drawn from --seed; the dossier statistics feeds \
            /feeds/dossiers.json and /feeds/metrics (Prometheus text); and /test/... endpoints (delay/MS, \
            status/CODE, echo, hang, drip, endless, bytes/N, feed/NAME). --scenario demo serves the small, \
            predictable world of the tests instead. Runs until SIGINT or SIGTERM.
            """)

    @Option(help: "Address to listen on, HOST:PORT; port 0 picks a free one.")
    var listen = "127.0.0.1:17000"

    @Option(help: "Seed for the scenario, latencies and feed values; the same seed gives the same run.")
    var seed: UInt64 = 1

    @Option(help: "national (34 provinces, the default) or demo (5 provinces, nothing random but latency).")
    var scenario = "national"

    @Option(help: "Write a probe file for the simulator's endpoints here once it is listening.")
    var probesOut: String?

    func validate() throws {
        guard ["national", "demo"].contains(scenario) else {
            throw ValidationError.say("cmd.simulate.bad_scenario", ["value": scenario])
        }
        guard Self.address(listen) != nil else {
            throw ValidationError.say("cmd.bad_address", ["value": listen])
        }
    }

    static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        guard let (host, port) = Self.address(listen) else { throw ExitCode.validationFailure }
        let world: SimulatedWorld = scenario == "demo" ? .demo(seed: seed) : .national(seed: seed)
        let simulator = try await Simulator(world: world, host: host, port: port)
        if let probesOut {
            try writeWhole(simulator.world.probeFile(baseURL: simulator.baseURL), to: probesOut)
        }
        print(
            Language.ofCommand.localized(
                "cmd.simulate.serving",
                ["count": String(simulator.world.provinces.count), "url": "\(simulator.baseURL)"]))
        fflush(nil)
        await TerminationSignal.wait()
        await simulator.stop()
    }
}
