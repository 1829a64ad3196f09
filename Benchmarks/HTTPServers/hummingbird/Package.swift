// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "hb",
    platforms: [.macOS(.v15)],
    dependencies: [.package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"), .package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [.executableTarget(name: "hb-server", dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOPosix", package: "swift-nio")])]
)
