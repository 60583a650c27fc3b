"""The Lambda half of the emulator: function registry, Runtime API, execution environments, invoker."""
