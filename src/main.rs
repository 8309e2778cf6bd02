//! The `tripline` binary: see `tripline --help` and docs/cli.md.

fn main() -> std::process::ExitCode {
    tripline::cli::main()
}
