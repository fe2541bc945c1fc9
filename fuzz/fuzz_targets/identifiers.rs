//! Every identifier parser on arbitrary input: none may panic, and whatever
//! one accepts must parse again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use propusk_core::Lang;
use propusk_core::ident::{Kind, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line (if any) doubles as a BIK for bank accounts.
    let (bik, value) = text.split_once('\n').unwrap_or(("044525225", text));
    for kind in Kind::ALL {
        match validate(kind, value, Some(bik)) {
            Ok(normalized) => {
                let again = validate(kind, &normalized, Some(bik));
                assert_eq!(again.as_deref(), Ok(normalized.as_str()), "{kind}: not idempotent");
            }
            Err(e) => {
                assert!(!e.message(Lang::Ru).is_empty() && !e.message(Lang::En).is_empty());
            }
        }
    }
});
