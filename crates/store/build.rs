//! `sqlx::migrate!` reads the migrations directory while compiling, and Cargo
//! does not know it: without this, a new migration would not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
