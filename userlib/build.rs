//! Gives the shared library a SONAME (`libseqfab.so.MAJOR`), so programs linked against
//! it keep loading the same ABI when a newer minor release replaces the file.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libseqfab.so.{major}");
}
