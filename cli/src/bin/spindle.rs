fn main() -> std::process::ExitCode {
    cli::spindle::main()
}
