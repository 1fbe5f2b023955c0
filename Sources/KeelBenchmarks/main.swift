import ArgumentParser
import Foundation

// Callgrind (valgrind 3.19) crashes inside Swift's async main, so the instruction probe it counts runs here,
// synchronously, before the commands start.
if CommandLine.arguments.dropFirst().first == InstructionProbe.command {
    exit(InstructionProbe.run(Array(CommandLine.arguments.dropFirst(2))))
}

/// The commands, through `AsyncParsableCommand`'s asynchronous entry point: called from top-level code, `main` binds
/// to ParsableCommand's synchronous one, which refuses an asynchronous root command.
func startCommands() async {
    await BenchmarkMain.main(nil)
}
await startCommands()
