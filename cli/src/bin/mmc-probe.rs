fn main() -> std::process::ExitCode {
    cli::probe::main()
}
