import Foundation
import IOCCore
import Testing

/// Freed memory held back by the allocator goes back to the kernel when asked: the store's writer
/// asks after each hour closes, and the daemon's resident memory then shows what it holds.
@Suite struct ProcessMemoryTests {
    func residentMiB() throws -> Double {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return Double(line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
    }

    @Test func freedMemoryHeldInTheHeapIsReturned() throws {
        ProcessMemory.keepFreedMemoryForReuse()
        // Resident memory is the whole process's, and the tests running beside this one allocate in
        // the same arenas meanwhile: the best of a few tries, each of which frees 126 MB.
        var best = -Double.infinity
        var seen: [String] = []
        for _ in 0..<5 where best <= 48 {
            let (held, returned) = try holdThenReturn()
            best = max(best, held - returned)
            seen.append("\(Int(held)) -> \(Int(returned)) MiB")
        }
        #expect(best > 48, "resident before and after: \(seen)")
    }

    /// 128 MB in 4 KB blocks, touched; then all freed but every 64th, so that the heap cannot
    /// simply shrink from its top and the freed pages stay resident until trimmed. Resident MiB
    /// before and after the trim.
    func holdThenReturn() throws -> (Double, Double) {
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<32_768 {
            guard let block = malloc(4096) else { continue }
            memset(block, 1, 4096)
            blocks.append(block)
        }
        for (index, block) in blocks.enumerated() where index % 64 != 0 { free(block) }
        let held = try residentMiB()
        ProcessMemory.returnFreedMemory()
        let returned = try residentMiB()
        for (index, block) in blocks.enumerated() where index % 64 == 0 { free(block) }
        return (held, returned)
    }
}
