//! The `oneportal` binary: everything is in the library; this only runs the CLI.

/// mimalloc instead of glibc's malloc: a request allocates and frees many small
/// buffers across threads, where glibc's arenas showed up at about 7% of the
/// token endpoint's profile (malloc, free, consolidation). Built without its
/// transparent huge pages (see the workspace's Cargo.toml): memory grows with
/// the work in 64 KiB pages, not 2 MiB ones.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    oneportal::cli::main()
}
