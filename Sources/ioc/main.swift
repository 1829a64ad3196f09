import ArgumentParser
import IOCCommands

/// Runs `command` as the program's root command, on the async path its subcommands need.
func start<Command: AsyncParsableCommand>(_ command: Command.Type) async { await command.main() }

await start(IOC.self)
