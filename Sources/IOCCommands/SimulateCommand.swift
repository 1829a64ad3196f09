import ArgumentParser
import Foundation
import IOCConfig
import IOCCore
import IOCSimulator

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: Message(
            vi: "Phục vụ các điểm cuối mô phỏng của tỉnh qua HTTP, để trình diễn và kiểm thử.",
            en: "Serve synthetic provincial endpoints over HTTP, for demos and tests."
        ).spoken,
        discussion: Message(
            vi: """
                Phục vụ /PROVINCE/SERVICE/health cho 34 tỉnh, thành phố, mỗi nơi năm dịch vụ (dvc, motcua, lgsp, \
                egov, mail), với độ trễ đuôi dài, lỗi thỉnh thoảng, một điểm cuối luôn lỗi, vài điểm chậm và các \
                đợt ngừng lặp lại (một đợt bị treo), tất cả rút từ --seed; các nguồn thống kê hồ sơ \
                /feeds/dossiers.json và /feeds/metrics (văn bản Prometheus); và các điểm cuối /test/... (delay/MS, \
                status/CODE, echo, hang, drip, endless, bytes/N, feed/NAME). --scenario demo phục vụ thế giới nhỏ, \
                dự đoán được của các kiểm thử. Chạy đến khi nhận SIGINT hoặc SIGTERM.
                """,
            en: """
                Serves /PROVINCE/SERVICE/health for the 34 provinces and five services each (dvc, motcua, lgsp, \
                egov, mail), with heavy-tailed latency, occasional errors, one failing endpoint, slow ones and \
                recurring outages (one of them hanging), all drawn from --seed; the dossier statistics feeds \
                /feeds/dossiers.json and /feeds/metrics (Prometheus text); and /test/... endpoints (delay/MS, \
                status/CODE, echo, hang, drip, endless, bytes/N, feed/NAME). --scenario demo serves the small, \
                predictable world of the tests instead. Runs until SIGINT or SIGTERM.
                """
        ).spoken)

    @Option(
        help: .says(
            vi: "Địa chỉ lắng nghe, HOST:PORT; cổng 0 để chọn một cổng trống.",
            en: "Address to listen on, HOST:PORT; port 0 picks a free one."))
    var listen = "127.0.0.1:17000"

    @Option(
        help: .says(
            vi: "Hạt giống cho kịch bản, độ trễ và giá trị nguồn dữ liệu; cùng hạt giống cho cùng một lần chạy.",
            en: "Seed for the scenario, latencies and feed values; the same seed gives the same run."))
    var seed: UInt64 = 1

    @Option(
        help: .says(
            vi: "national (34 tỉnh, thành phố, mặc định) hoặc demo (5 tỉnh, chỉ độ trễ là ngẫu nhiên).",
            en: "national (34 provinces, the default) or demo (5 provinces, nothing random but latency)."))
    var scenario = "national"

    @Option(
        help: .says(
            vi: "Ghi một tệp đo cho các điểm cuối của trình mô phỏng vào đây khi nó đã lắng nghe.",
            en: "Write a probe file for the simulator's endpoints here once it is listening."))
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
