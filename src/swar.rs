//! Eight bytes at a time in a `u64` ("SIMD within a register"), for the byte
//! scans that run on every word of a body or every value a template prints:
//! the mention search (`mentions.rs`) and escaping (`render/templates.rs`).
//! Plain integer arithmetic, so no `unsafe` and no target features.

/// 0x01 in every byte: `ONES * b` is `b` in every byte.
pub const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// The top bit of every byte.
pub const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// Whether some byte of `word` is under `n` (`n` at most 0x80). The lowest
/// such byte borrows in the subtraction, which sets its top bit; a byte with
/// its top bit set already is masked out, and bytes of `n` or more borrow
/// nothing, so the answer is exact.
pub fn any_byte_under(word: u64, n: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_under_n_is_found_wherever_it_stands() {
        for n in [1, 0x20, 0x61, 0x80] {
            for place in 0..8 {
                for value in 0..=u8::MAX {
                    let mut bytes = [n; 8];
                    bytes[place] = value;
                    let word = u64::from_le_bytes(bytes);
                    assert_eq!(
                        any_byte_under(word, n),
                        value < n,
                        "{value:#x} at {place}, n {n:#x}"
                    );
                }
            }
        }
        // Several hits side by side, and high bytes beside them.
        assert!(any_byte_under(
            u64::from_le_bytes([0, 0, 0xFF, 0x80, 1, 0, 0xEF, 0]),
            1
        ));
        assert!(!any_byte_under(
            u64::from_le_bytes([0xFF, 0x80, 0x81, 0xEF, 0x20, 0x7F, 0x21, 0xC3]),
            0x20
        ));
    }
}
