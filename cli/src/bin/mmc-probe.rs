fn main() -> std::process::ExitCode {
    cli::cmd::probe::main()
}
