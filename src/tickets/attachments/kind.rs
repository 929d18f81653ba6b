//! What a file really is. The type a browser declares is the file name's
//! guess, so the allow-list is checked against the content: a "photo.png"
//! that is really an HTML page is refused, whatever it claims.

/// Signatures of the binary kinds worth recognising.
const SIGNATURES: &[(&[u8], usize, &str)] = &[
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xFF\xD8\xFF", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
];

/// The type the content shows, for kinds with a signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    SIGNATURES.iter().find_map(|(sig, at, ty)| {
        let riff_ok = *ty != "image/webp" || bytes.starts_with(b"RIFF");
        (riff_ok && bytes.get(*at..at + sig.len()) == Some(*sig)).then_some(*ty)
    })
}

fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| !s.contains('\0'))
}

/// The content type to store the file under, if `allowed` lets it in;
/// otherwise why not.
pub fn classify(declared: &str, bytes: &[u8], allowed: &[String]) -> Result<String, String> {
    let declared = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let allows = |t: &str| allowed.iter().any(|a| a == t);
    let sniffed = sniff(bytes);
    let claims_signature = SIGNATURES.iter().any(|(_, _, t)| *t == declared);
    if claims_signature && sniffed.is_none() {
        return Err(format!("its content is not {declared}"));
    }
    let actual = match sniffed {
        Some(t) => t.to_owned(),
        None if is_text(bytes) => {
            if declared.starts_with("text/") && allows(&declared) {
                declared
            } else {
                "text/plain".to_owned()
            }
        }
        None => {
            if declared.starts_with("text/") {
                return Err(format!("its content is not {declared}"));
            }
            if declared.is_empty() {
                "application/octet-stream".to_owned()
            } else {
                declared
            }
        }
    };
    if allows(&actual) {
        Ok(actual)
    } else {
        Err(format!(
            "{actual} files are not accepted (accepted: {})",
            allowed.join(", ")
        ))
    }
}

/// A name safe to store and to send back in `Content-Disposition`: the last
/// path segment, without control characters, at most 255 bytes.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect();
    let trimmed = out.trim().trim_start_matches('.').to_owned();
    out = if trimmed.is_empty() {
        "file".to_owned()
    } else {
        trimmed
    };
    while out.len() > 255 {
        out.pop();
    }
    out
}

/// A content type for a file first seen on Monday, from its name.
pub fn from_extension(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        crate::config::AttachmentsConfig::default_types()
    }

    #[test]
    fn the_content_decides_not_the_declared_type() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(
            classify("application/octet-stream", png, &defaults()),
            Ok("image/png".to_owned())
        );
        let html = b"<html><script>alert(1)</script></html>";
        // Claimed to be an image: refused, it is not one.
        assert!(classify("image/png", html, &defaults()).is_err());
        // Text stays text, served as text/plain.
        assert_eq!(
            classify("text/html", html, &defaults()),
            Ok("text/plain".to_owned())
        );
        assert_eq!(
            classify("text/csv; charset=utf-8", b"a,b\n1,2\n", &defaults()),
            Ok("text/csv".to_owned())
        );
        let zip = b"PK\x03\x04rest";
        assert!(
            classify("application/zip", zip, &defaults())
                .unwrap_err()
                .contains("not accepted")
        );
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff";
        assert!(classify("application/x-msdownload", exe, &defaults()).is_err());
        assert!(classify("", exe, &defaults()).is_err());
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\shot.png"), "shot.png");
        assert_eq!(clean_name("a\r\nb\".png"), "ab.png");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(&"é".repeat(300)).len(), 254);
    }
}
