//! Amounts as people type them (VNT, up to 9 decimals) and as the pool counts them (units of
//! one gwei, `u64`).

/// Decimals of a pool unit: one unit is 10^-9 VNT (one gwei).
const UNIT_DECIMALS: usize = 9;
const UNITS_PER_VNT: u64 = 1_000_000_000;

/// Parses `text` as VNT (`2`, `0.5`, `1.000000001`) into pool units. Strict: digits, at most
/// one point with digits on both sides, at most 9 decimals, no sign, exponent or spaces.
pub fn parse_vnt(text: &str) -> Result<u64, String> {
    let shape = || format!("`{text}` is not an amount of VNT like 1.5 (up to 9 decimals)");
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) {
        return Err(shape());
    }
    if fraction.len() > UNIT_DECIMALS {
        return Err(format!(
            "`{text}` has {} decimals; the pool counts in units of 10^-9 VNT, so 9 at most",
            fraction.len()
        ));
    }
    let too_large = || format!("`{text}` VNT is more than a note can hold (18446744073.709551615)");
    let whole: u64 = whole.parse().map_err(|_| too_large())?;
    let padded = format!("{fraction:0<width$}", width = UNIT_DECIMALS);
    let fraction: u64 = padded.parse().expect("nine ASCII digits");
    whole
        .checked_mul(UNITS_PER_VNT)
        .and_then(|units| units.checked_add(fraction))
        .ok_or_else(too_large)
}

/// Pool units as VNT, without trailing zeros: `1500000000` → `1.5`. Takes sums of notes,
/// which may pass `u64`.
pub fn format_vnt(units: impl Into<u128>) -> String {
    let units: u128 = units.into();
    let per_vnt = u128::from(UNITS_PER_VNT);
    let whole = units / per_vnt;
    let fraction = units % per_vnt;
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0width$}", width = UNIT_DECIMALS);
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// Wei as VNT with all 18 decimals trimmed, for public balances.
pub fn format_wei(wei: u128) -> String {
    const WEI_PER_VNT: u128 = 1_000_000_000_000_000_000;
    let fraction = wei % WEI_PER_VNT;
    if fraction == 0 {
        return (wei / WEI_PER_VNT).to_string();
    }
    let fraction = format!("{fraction:018}");
    format!("{}.{}", wei / WEI_PER_VNT, fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_pool_units() {
        assert_eq!(parse_vnt("2"), Ok(2_000_000_000));
        assert_eq!(parse_vnt("0.5"), Ok(500_000_000));
        assert_eq!(parse_vnt("1.000000001"), Ok(1_000_000_001));
        assert_eq!(parse_vnt("0.000000001"), Ok(1));
        assert_eq!(parse_vnt("0"), Ok(0));
        assert_eq!(parse_vnt("007.10"), Ok(7_100_000_000));
        assert_eq!(parse_vnt("18446744073.709551615"), Ok(u64::MAX));
    }

    #[test]
    fn malformed_amounts_are_refused_with_the_reason() {
        for bad in [
            "", ".", "1.", ".5", "-1", "+1", "1e9", " 1", "1 ", "1,5", "1.2.3", "0x10",
        ] {
            let err = parse_vnt(bad).unwrap_err();
            assert!(err.contains("is not an amount of VNT"), "{bad:?}: {err}");
        }
        let err = parse_vnt("0.0000000001").unwrap_err();
        assert!(err.contains("10 decimals"), "{err}");
        for huge in ["18446744073.709551616", "99999999999999999999"] {
            let err = parse_vnt(huge).unwrap_err();
            assert!(err.contains("more than a note can hold"), "{huge}: {err}");
        }
    }

    #[test]
    fn units_format_as_short_vnt() {
        assert_eq!(format_vnt(0u64), "0");
        assert_eq!(format_vnt(1u64), "0.000000001");
        assert_eq!(format_vnt(1_500_000_000u64), "1.5");
        assert_eq!(format_vnt(2_990_000_000u64), "2.99");
        assert_eq!(format_vnt(u64::MAX), "18446744073.709551615");
        assert_eq!(format_vnt(2 * u128::from(u64::MAX)), "36893488147.41910323");
        for units in [1u64, 10, 999_999_999, 1_000_000_000, 123_456_789_012] {
            assert_eq!(parse_vnt(&format_vnt(units)), Ok(units));
        }
        assert_eq!(format_wei(1_500_000_000_000_000_000), "1.5");
        assert_eq!(format_wei(1), "0.000000000000000001");
    }
}
