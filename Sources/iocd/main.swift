import ArgumentParser
import Foundation
import IOCCommands

/// Runs `command` as the program's root command, on the async path its subcommands need.
func start<Command: AsyncParsableCommand>(_ command: Command.Type) async { await command.main() }

// One binary for both commands where they are installed as one (the Debian package links ioc to
// iocd): run under the name ioc, it is ioc.
if CommandLine.arguments.first.map({ URL(fileURLWithPath: $0).lastPathComponent }) == "ioc" {
    await start(IOC.self)
} else {
    await start(IOCD.self)
}
