//! Password rules for local accounts.

/// Minimum length of a password a person chooses.
pub const MIN_LEN: usize = 12;
/// Maximum length accepted, so hashing cost stays bounded.
pub const MAX_LEN: usize = 256;

/// Checks a new password; the error is a message key's suffix for the
/// catalogue (`password.too_short`, …).
pub fn check_new_password(password: &str, username: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err("too_short");
    }
    if password.len() > MAX_LEN {
        return Err("too_long");
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("contains_username");
    }
    let distinct: std::collections::BTreeSet<char> = password.chars().collect();
    if distinct.len() < 5 {
        return Err("too_simple");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(check_new_password("short", "a"), Err("too_short"));
        assert_eq!(check_new_password("aaaaaaaaaaaaaa", "x"), Err("too_simple"));
        assert_eq!(
            check_new_password("tanaka-secret-2026", "tanaka"),
            Err("contains_username")
        );
        assert_eq!(
            check_new_password("空の安全を守る合言葉です", "tanaka"),
            Ok(())
        );
    }
}
