public import IOCQuery
import IOCStore

/// Prometheus' API of iocd over a store, answering requests given as text without a listener:
/// what the API's fuzzer drives, with the same routes, parameter parsing and limits as iocd.
public struct OfflineAPI: Sendable {
    private let routes: PrometheusAPI

    public init(storePath: String, engine: Engine) {
        routes = PrometheusAPI(
            readers: ReaderPool { try StoreReader(path: storePath) }, engine: engine, metrics: { "" },
            rules: { [] }, ready: { true }, credentials: [],
            allowedHosts: PrometheusAPI.allowedHosts(listeningOn: "127.0.0.1"))
    }

    /// The status and body of the answer to `method target` (`GET /api/v1/query?query=up`) with
    /// `headers` and a form `body`.
    public func answer(method: String, target: String, headers: [(String, String)] = [], body: String? = nil)
        -> (status: Int, body: String)
    {
        let response = routes.handle(APIRequest(method: method, target: target, headers: headers, body: body))
        return (response.status, response.body)
    }
}
