//! The live origin. The HTTP service arrives with the origin issue; for now the
//! binary only reports its version so the workspace shape is in place.

fn main() {
    println!("dashlive-origin {}", env!("CARGO_PKG_VERSION"));
}
