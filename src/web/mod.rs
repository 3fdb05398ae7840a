//! Browser implementations of the platform seams (`wasm32` only).
