//! Evidence files attached to records: which files are taken (by name and
//! by what their first bytes say they are), how large, and how their names
//! are cleaned. Pure; the store keeps the bytes with their SHA-256.

/// Largest evidence file taken.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// Kinds taken: extension, content type, and whether the bytes must start
/// with a signature (`None`: UTF-8 text without NUL).
const KINDS: &[(&str, &str, Option<&[u8]>)] = &[
    ("pdf", "application/pdf", Some(b"%PDF-")),
    ("png", "image/png", Some(b"\x89PNG\r\n\x1a\n")),
    ("jpg", "image/jpeg", Some(b"\xff\xd8\xff")),
    ("jpeg", "image/jpeg", Some(b"\xff\xd8\xff")),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some(b"PK\x03\x04"),
    ),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some(b"PK\x03\x04"),
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Some(b"PK\x03\x04"),
    ),
    ("csv", "text/csv; charset=utf-8", None),
    ("txt", "text/plain; charset=utf-8", None),
];

/// A file name as kept: the last path part, no control characters, at most
/// 200 characters.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The content type of an acceptable evidence file, or why it is refused.
pub fn check(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(format!(
            "the file is larger than {} MB",
            MAX_EVIDENCE_BYTES / 1024 / 1024
        ));
    }
    let name = clean_name(name);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.0).collect();
    let Some((_, content_type, signature)) = KINDS.iter().find(|k| k.0 == ext) else {
        return Err(format!(
            "{name:?} is not a kind of file taken as evidence; take {}",
            kinds.join(", ")
        ));
    };
    let fits = match signature {
        Some(sig) => bytes.starts_with(sig),
        None => std::str::from_utf8(bytes).is_ok_and(|t| !t.contains('\0')),
    };
    if fits {
        Ok(content_type)
    } else {
        Err(format!("{name:?} is not what its name says (.{ext})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_taken_by_name_and_content() {
        assert_eq!(
            check("監査報告.pdf", b"%PDF-1.7 ..."),
            Ok("application/pdf")
        );
        assert_eq!(
            check("ログ.CSV", "日時,件数\n".as_bytes()),
            Ok("text/csv; charset=utf-8")
        );
        assert!(check("a.pdf", b"MZ\x90\x00").is_err_and(|e| e.contains("not what its name says")));
        assert!(check("tool.exe", b"MZ").is_err_and(|e| e.contains("take pdf")));
        assert!(check("x.txt", b"a\0b").is_err());
        assert!(check("x.pdf", b"").is_err());
        assert!(
            check("big.txt", &vec![b'a'; MAX_EVIDENCE_BYTES + 1])
                .is_err_and(|e| e.contains("larger"))
        );
        assert_eq!(
            clean_name("C:\\\\Users\\\\x\\\\..\\\\証跡\u{7}.pdf"),
            "証跡.pdf"
        );
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
    }
}
